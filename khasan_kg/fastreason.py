"""The entailments users keep, computed in Oxigraph by SPARQL updates generated from the ontology's axioms.

owlrl's full OWL 2 RL closure (reason.closure) stays the reference semantics; tests/test_fastpaths.py checks that
this module keeps exactly the same entailments. It is fast because it runs only the rules whose axioms the ontology
states — subclass and subproperty hierarchies (as owlrl's cax-sco / prp-spo1), domains and ranges (prp-dom /
prp-rng), inverses (prp-inv1/2), symmetric and transitive properties (prp-symp / prp-trp), property chains
(prp-spo2), equivalent classes and properties — each as one set-at-a-time SPARQL update, repeated to a fixpoint.

An ontology axiom this module does not implement (restrictions, owl:sameAs, keys, functional properties…) raises
UnsupportedAxiom rather than silently giving fewer entailments: build with the reference path then.
"""

from __future__ import annotations

import re
import shutil
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS

from .export import file_line_chunks, line_chunks, temporary_dir
from .namespaces import ALL_GRAPH, DERIVED_GRAPH, ID, INFERRED_GRAPH, ONTOLOGY_GRAPH, bind_prefixes
from .reason import _NOISE_TYPES
from .terms import to_oxigraph, to_rdflib

# Axioms with OWL 2 RL consequences on instance data that the rules below do not cover.
_UNSUPPORTED_PREDICATES = {
    OWL.onProperty: "property restrictions (owl:Restriction)",
    OWL.hasKey: "owl:hasKey",
    OWL.sameAs: "owl:sameAs",
    OWL.intersectionOf: "owl:intersectionOf",
    OWL.unionOf: "owl:unionOf",
    OWL.oneOf: "owl:oneOf",
}
_UNSUPPORTED_TYPES = {
    OWL.FunctionalProperty: "owl:FunctionalProperty",
    OWL.InverseFunctionalProperty: "owl:InverseFunctionalProperty",
}


class UnsupportedAxiom(ValueError):
    """The ontology states an axiom the fast reasoner has no rule for."""


@dataclass
class Rules:
    """The ontology's axioms, reduced to what the rules need."""

    superclasses: dict[URIRef, set[URIRef]] = field(default_factory=dict)  # reflexive-transitive, minus self
    superproperties: dict[URIRef, set[URIRef]] = field(default_factory=dict)
    domains: list[tuple[URIRef, URIRef]] = field(default_factory=list)
    ranges: list[tuple[URIRef, URIRef]] = field(default_factory=list)
    inverses: list[tuple[URIRef, URIRef]] = field(default_factory=list)  # both directions listed
    transitive: list[URIRef] = field(default_factory=list)
    chains: list[tuple[URIRef, list[URIRef]]] = field(default_factory=list)

    @classmethod
    def from_ontology(cls, ontology: Graph) -> Rules:
        for pred, what in _UNSUPPORTED_PREDICATES.items():
            if what and any(True for _ in ontology.triples((None, pred, None))):
                raise UnsupportedAxiom(f"the ontology uses {what}: the fast reasoner has no rule for it "
                                       "(build with the reference path: KHASAN_KG_REFERENCE=1)")
        for typ, what in _UNSUPPORTED_TYPES.items():
            if any(True for _ in ontology.subjects(RDF.type, typ)):
                raise UnsupportedAxiom(f"the ontology declares an {what}: the fast reasoner has no rule for it "
                                       "(build with the reference path: KHASAN_KG_REFERENCE=1)")
        sub_c = _direct_supers(ontology, RDFS.subClassOf, OWL.equivalentClass)
        sub_p = _direct_supers(ontology, RDFS.subPropertyOf, OWL.equivalentProperty)
        rules = cls(superclasses=_closure(sub_c), superproperties=_closure(sub_p))
        rules.domains = sorted((p, d) for p, d in ontology.subject_objects(RDFS.domain)
                               if isinstance(p, URIRef) and isinstance(d, URIRef))
        rules.ranges = sorted((p, r) for p, r in ontology.subject_objects(RDFS.range)
                              if isinstance(p, URIRef) and isinstance(r, URIRef))
        inverses = set()
        for p, q in ontology.subject_objects(OWL.inverseOf):
            if isinstance(p, URIRef) and isinstance(q, URIRef):
                inverses |= {(p, q), (q, p)}
        for p in ontology.subjects(RDF.type, OWL.SymmetricProperty):
            if isinstance(p, URIRef):
                inverses.add((p, p))
        rules.inverses = sorted(inverses)
        rules.transitive = sorted(p for p in ontology.subjects(RDF.type, OWL.TransitiveProperty)
                                  if isinstance(p, URIRef))
        for p, head in ontology.subject_objects(OWL.propertyChainAxiom):
            steps = [s for s in Collection(ontology, head)]
            if isinstance(p, URIRef) and steps and all(isinstance(s, URIRef) for s in steps):
                rules.chains.append((p, steps))  # type: ignore[arg-type]
        rules.chains.sort()
        return rules

    def updates(self) -> list[str]:
        """The SPARQL updates, one per kind of rule, each working on the whole default graph at once."""
        return [rule.update for rule in self.rules()]

    def property_closure(self) -> dict[URIRef, set[tuple[URIRef, bool]]]:
        """For each property p, every (q, inverted) that a p-statement entails through sub-properties,
        equivalences, inverses and symmetry together (prp-spo1, prp-eqp, prp-inv1/2, prp-symp): (q, False) gives
        s q o, (q, True) gives o q s. Closing this in Python makes one SPARQL update do all of it at once."""
        edges: dict[tuple[URIRef, bool], set[tuple[URIRef, bool]]] = defaultdict(set)
        for p, qs in self.superproperties.items():
            for q in qs:
                edges[(p, False)].add((q, False))
                edges[(p, True)].add((q, True))
        for p, q in self.inverses:
            edges[(p, False)].add((q, True))
            edges[(p, True)].add((q, False))
        reachable = _closure(edges)  # type: ignore[arg-type]
        return {p: targets for (p, inverted), targets in reachable.items() if not inverted}  # type: ignore[misc]

    def property_rule(self, only: set[URIRef] | None = None) -> Rule | None:
        """The rule of sub-properties, equivalences, inverses and symmetry together (property_closure), run on the
        statements of ``only`` these predicates if given (its other statements have been through it already);
        None if it has nothing to do."""
        closure = self.property_closure()
        if only is not None:
            closure = {p: qs for p, qs in closure.items() if p in only}
        forward = sorted((p, q) for p, qs in closure.items() for q, inverted in qs if not inverted)
        backward = sorted((p, q) for p, qs in closure.items() for q, inverted in qs if inverted)
        if not forward and not backward:
            return None
        parts = []
        if forward:
            parts.append(f"{{ VALUES (?p ?q) {{ {_pairs(forward)} }} ?x ?p ?y BIND (?x AS ?s) BIND (?y AS ?o) }}")
        if backward:
            parts.append(f"{{ VALUES (?p ?q) {{ {_pairs(backward)} }} ?x ?p ?y FILTER (!isLiteral(?y)) "
                         "BIND (?y AS ?s) BIND (?x AS ?o) }")
        # closed under itself: one run gives everything it can
        return Rule(f"INSERT {{ ?s ?q ?o }} WHERE {{ {' UNION '.join(parts)} }}", set(closure),
                    {q for qs in closure.values() for q, _ in qs}, closed=True)

    def rules(self, types: bool = True) -> list[Rule]:
        """The rules as SPARQL updates, with the predicates each reads and writes (for saturate's worklist);
        without the rules that only write rdf:type (domains, ranges, sub-classes) unless ``types``. The property
        rule, if any, comes first."""
        out: list[Rule] = []

        closure = self.property_closure()
        property_rule = self.property_rule()
        if property_rule is not None:
            out.append(property_rule)
        for p in self.transitive:
            if self._inverse_of_earlier_transitive(p, closure):
                continue  # its statements are the inverses of a closed transitive property's: closed already
            head, written = _with_images(p, "?s", "?o", closure)
            out.append(Rule(f"INSERT {{ {head} }} WHERE {{ ?s <{p}> ?m . ?m <{p}>+ ?o }}", {p}, written,
                            closed=True, property_closed=True))
        for p, steps in self.chains:  # a recursive chain (p among its steps) runs until it adds nothing
            hops = " . ".join(f"?x{i} <{step}> ?x{i + 1}" for i, step in enumerate(steps))
            last = f"?x{len(steps)}"
            head, written = _with_images(p, "?x0", last, closure)
            out.append(Rule(f"INSERT {{ {head} }} WHERE {{ {hops} FILTER (!isLiteral({last})) }}",
                            set(steps), written, closed=p not in steps, property_closed=True))
        type_ = {RDF.type}
        if not types:
            return out
        if self.domains:
            out.append(Rule("INSERT { ?s a ?d } WHERE { VALUES (?p ?d) { " + _pairs(self.domains)
                            + " } ?s ?p ?o }", {p for p, _ in self.domains}, type_, closed=True))
        if self.ranges:
            out.append(Rule("INSERT { ?o a ?r } WHERE { VALUES (?p ?r) { " + _pairs(self.ranges)
                            + " } ?s ?p ?o FILTER (!isLiteral(?o)) }", {p for p, _ in self.ranges}, type_,
                            closed=True))
        sub_c = [(c, d) for c, ds in sorted(self.superclasses.items()) for d in sorted(ds)]
        if sub_c:  # super-classes are closed already
            out.append(Rule(f"INSERT {{ ?x a ?d }} WHERE {{ VALUES (?c ?d) {{ {_pairs(sub_c)} }} ?x a ?c }}",
                            type_, type_, closed=True))
        return out

    def types_apart(self) -> bool:
        """Whether rdf:type is read and written only by the type rules: then their entailments can be asked for
        once, at the end (``type_query``), instead of inserted."""
        return all(RDF.type not in rule.reads | rule.writes for rule in self.rules(types=False))

    def type_query(self, kept: str) -> str | None:
        """One CONSTRUCT of every rdf:type the domains, ranges and sub-classes entail once the other rules have run
        (cax-sco, prp-dom, prp-rng to their fixpoint: a domain or range gives its class and all its
        super-classes at once), each statement once, about subjects ``kept`` (a SPARQL condition on ?x) accepts,
        the types reason.is_kept drops left out. None if the ontology has no such axiom."""
        def closed(c: URIRef) -> list[URIRef]:
            return [t for t in sorted({c} | self.superclasses.get(c, set())) if t not in _NOISE_TYPES]

        # a subject typed by many statements of one property is one row once DISTINCT: the super-classes are
        # joined only after that (joined before, the rows were 16 times the types they give)
        declared = []
        if self.domains:
            declared.append(f"{{ VALUES (?p ?c) {{ {_pairs(self.domains)} }} ?x ?p ?o }}")
        if self.ranges:
            declared.append(f"{{ VALUES (?p ?c) {{ {_pairs(self.ranges)} }} ?s ?p ?x FILTER (!isLiteral(?x)) }}")
        parts = []
        classes = sorted({c for _, c in self.domains} | {c for _, c in self.ranges})
        if declared:
            parts.append(f"{{ {{ SELECT DISTINCT ?x ?c WHERE {{ {' UNION '.join(declared)} }} }} "
                         f"VALUES (?c ?t) {{ {_pairs((c, t) for c in classes for t in closed(c))} }} }}")
        supers = [(c, t) for c, ds in sorted(self.superclasses.items()) for t in sorted(ds) if t not in _NOISE_TYPES]
        if supers:
            parts.append(f"{{ VALUES (?c ?t) {{ {_pairs(supers)} }} ?x a ?c }}")
        if not parts:
            return None
        return (f"CONSTRUCT {{ ?x a ?t }} WHERE {{ SELECT DISTINCT ?x ?t WHERE {{ {' UNION '.join(parts)} "
                f"FILTER ({kept}) }} }}")

    def _inverse_of_earlier_transitive(self, p: URIRef, closure: dict[URIRef, set[tuple[URIRef, bool]]]) -> bool:
        """Whether p's statements and those of an earlier transitive property q are each other's inverses: then,
        once q is closed, the property rule's inverses close p too."""
        for q in self.transitive:
            if q == p:
                return False
            if (q, True) in closure.get(p, set()) and (p, True) in closure.get(q, set()):
                return True
        return False


def _pairs(pairs: Iterable[tuple[URIRef, URIRef]]) -> str:
    """Pairs of IRIs as the rows of a SPARQL VALUES block."""
    return " ".join(f"(<{a}> <{b}>)" for a, b in pairs)


@dataclass
class Rule:
    """One SPARQL update and what it depends on: it must run again only when a predicate it reads has grown."""

    update: str
    reads: set[URIRef]
    writes: set[URIRef]
    closed: bool  # running it again right after itself adds nothing
    property_closed: bool = False  # it writes the property rule's images of what it adds: no need to rerun that


def _closure(edges: dict[URIRef, set[URIRef]]) -> dict[URIRef, set[URIRef]]:
    """Everything reachable from each node (the node itself left out)."""
    result: dict[URIRef, set[URIRef]] = {}
    for start in list(edges):
        seen: set[URIRef] = set()
        todo = list(edges[start])
        while todo:
            node = todo.pop()
            if node in seen:
                continue
            seen.add(node)
            todo.extend(edges.get(node, ()))
        seen.discard(start)
        if seen:
            result[start] = seen
    return result


def _with_images(p: URIRef, s: str, o: str, closure: dict[URIRef, set[tuple[URIRef, bool]]]
                 ) -> tuple[str, set[URIRef]]:
    """An INSERT template writing ``s p o`` and at once what the property rule would entail from it."""
    head = [f"{s} <{p}> {o} ."]
    for q, inverted in sorted(closure.get(p, set())):
        head.append(f"{o} <{q}> {s} ." if inverted else f"{s} <{q}> {o} .")
    return " ".join(head), {p} | {q for q, _ in closure.get(p, set())}


def saturate(store: ox.Store, rules: Rules, max_runs: int = 500, types: bool = True,
             added: set[URIRef] | None = None) -> int:
    """Run the rules (the type rules only if ``types``) on the store's default graph until nothing new is
    entailed; returns the updates run.

    A worklist, not rounds: after the first pass a rule runs again only if a predicate it reads has grown, so no
    pass is spent confirming that nothing changes.

    ``added``: the store was saturated already, and statements of these predicates have been added since. Only
    the rules that read them run at first, the property rule only on the added predicates' statements (it has
    no join: what it gives from the others, it gave before).
    """
    ordered = rules.rules(types)
    has_property_rule = bool(rules.property_closure())  # then it is ordered[0]
    first: dict[int, Rule | None] = {}  # a rule's first run, if not its usual update
    if added is None:
        pending = set(range(len(ordered)))
    else:
        pending = {i for i, rule in enumerate(ordered) if rule.reads & added}
        if has_property_rule and 0 in pending:
            first[0] = rules.property_rule(added)
    counts: dict[URIRef, int] = {}
    runs = 0
    while pending:
        i = min(pending)
        pending.discard(i)
        rule = first.pop(i, None) or ordered[i]
        before = {p: counts[p] if p in counts else _count(store, p) for p in rule.writes}
        store.update(rule.update)
        runs += 1
        if runs > max_runs:
            raise RuntimeError(f"the fast reasoner did not reach a fixpoint in {max_runs} updates")
        after = _counts(store, rule.writes)
        counts.update(after)
        grown = {p for p in rule.writes if after[p] != before[p]}
        for j, other in enumerate(ordered):
            if j == i and rule.closed or (j == 0 and rule.property_closed and has_property_rule):
                continue
            if other.reads & grown:
                pending.add(j)
    return runs


def _count(store: ox.Store, p: URIRef) -> int:
    return _counts(store, {p})[p]


def _counts(store: ox.Store, predicates: set[URIRef]) -> dict[URIRef, int]:
    """How many statements each predicate has in the default graph (one query, the predicate index)."""
    if not predicates:
        return {}
    names = " ".join(f"<{p}>" for p in sorted(predicates))
    rows = store.query(f"SELECT ?p (COUNT(*) AS ?n) WHERE {{ VALUES ?p {{ {names} }} ?s ?p ?o }} GROUP BY ?p")
    found = {URIRef(row[0].value): int(row[1].value) for row in rows}  # type: ignore[union-attr]
    return {p: found.get(p, 0) for p in predicates}


# Blank nodes go into the scratch store as IRIs of their own (skolemised in the N-Triples text) and come back out
# under their own labels: Oxigraph's loaders give a blank node a new name, and the build tells entailments from
# asserted statements by their text. As IRIs they can also be named in SPARQL (the ontology's, to drop them).
_SKOLEM = "urn:x-khasan-kg-blank:"
# each pattern starts with a literal, which the regex engine finds by fast search: blank nodes are rare
_SUBJECT_BLANK = re.compile(rb"\n_:([^\s\"<>]+) ")
_OBJECT_BLANK = re.compile(rb" _:([^\s\"<>]+) \.\n")
_SKOLEM_IRI = re.compile(rb"<" + re.escape(_SKOLEM.encode()) + rb"([^>]*)>")


def _of_predicates(ntriples: bytes, predicates: set[bytes]) -> tuple[bytes, set[bytes]]:
    """The lines of N-Triples text (as Oxigraph writes it: one space between terms, no comments) whose predicate
    (written ``<iri>``) is one of ``predicates``, and which of those predicates they have."""
    kept = []
    seen = set()
    for line in ntriples.split(b"\n"):
        if line and (predicate := line.split(b" ", 2)[1]) in predicates:
            kept.append(line)
            seen.add(predicate)
    return (b"\n".join(kept) + b"\n" if kept else b""), seen


def _skolemised(ntriples: bytes) -> bytes:
    ntriples = _SUBJECT_BLANK.sub(b"\n<" + _SKOLEM.encode() + rb"\1> ", b"\n" + ntriples)
    return _OBJECT_BLANK.sub(b" <" + _SKOLEM.encode() + rb"\1> .\n", ntriples)[1:]


def _unskolemised(ntriples: bytes) -> bytes:
    return _SKOLEM_IRI.sub(rb"_:\1", ntriples)


@dataclass
class ClosureText:
    """Statements as N-Triples, in parts (text, or files the reasoner's store wrote), blank nodes still as the
    IRIs they crossed as. ``chunks`` gives the text back with its blank nodes a slice at a time, so that a
    gigabyte of it is never held in memory whole; ``text`` all at once. Files are removed with the ClosureText
    (or by ``discard``)."""

    parts: list[bytes | Path]
    directory: Path | None = None  # where the parts' files are, removed with them

    def __post_init__(self) -> None:
        if self.directory is not None:
            self._cleanup = weakref.finalize(self, shutil.rmtree, self.directory, ignore_errors=True)

    def chunks(self) -> Iterator[bytes]:
        for part in self.parts:
            for chunk in file_line_chunks(part) if isinstance(part, Path) else line_chunks(part):
                yield _unskolemised(chunk)

    def text(self) -> bytes:
        return b"".join(self.chunks())

    def discard(self) -> None:
        """Remove the parts' files now (their text is no longer needed)."""
        if self.directory is not None:
            self._cleanup()


def _drop_unkept(scratch: ox.Store, ontology_nodes: set[ox.BlankNode]) -> None:
    """Remove from the entailments what reason.is_kept drops: statements about anything but our instances and the
    data's blank nodes, reflexive owl:sameAs, types every resource has, the ontology's own blank nodes."""
    # one scan for the subjects, then lookups by predicate: tested in the scan, the IN lists cost a second at 1M
    scratch.update(f"""
        DELETE {{ ?s ?p ?o }} WHERE {{
          ?s ?p ?o FILTER (isIRI(?s) && !STRSTARTS(STR(?s), "{ID}") && !STRSTARTS(STR(?s), "{_SKOLEM}"))
        }}""")
    scratch.update(f"DELETE {{ ?s ?p ?o }} WHERE {{ VALUES ?p {{ <{OWL.sameAs}> }} ?s ?p ?o "
                   f"FILTER (sameTerm(?s, ?o)) }}")
    noise = " ".join(f"<{t}>" for t in sorted(_NOISE_TYPES))
    scratch.update(f"DELETE {{ ?s ?p ?o }} WHERE {{ VALUES ?p {{ <{RDF.type}> }} VALUES ?o {{ {noise} }} ?s ?p ?o }}")
    scratch.update(f"DELETE {{ ?s ?p ?o }} WHERE {{ VALUES ?p {{ <{OWL.differentFrom}> <{OWL.topObjectProperty}> "
                   f"<{OWL.topDataProperty}> }} ?s ?p ?o }}")
    if ontology_nodes:
        names = " ".join(_skolem_names(ontology_nodes))
        scratch.update(f"DELETE {{ ?n ?p ?o }} WHERE {{ VALUES ?n {{ {names} }} ?n ?p ?o }}")
        scratch.update(f"DELETE {{ ?s ?p ?n }} WHERE {{ VALUES ?n {{ {names} }} ?s ?p ?n }}")


def _skolem_names(nodes: set[ox.BlankNode]) -> list[str]:
    """Blank nodes as the IRIs they are in the scratch store, written for SPARQL, in a stable order."""
    return [f"<{_SKOLEM}{node.value}>" for node in sorted(nodes, key=lambda n: n.value)]


def closure(store: ox.Store, rules: Rules,
            wait_for_derived: Callable[[], bytes | None] | None = None) -> ClosureText | None:
    """ALL_GRAPH's kept entailments as N-Triples text, and with them some asserted statements (those of the
    predicates a rule writes), for the caller to tell apart (``infer`` takes them out; the build does it on the
    sorted lines it writes anyway, which is cheaper). What reason.is_kept drops is left out.

    The rules run in a scratch store whose default graph starts as those statements: every rule then reads and
    writes one graph, which Oxigraph does several times faster than reading a merge of graphs. Statements of
    predicates no rule reads (labels, offsets, OWL-Time…) entail nothing here and stay out. The copy is a CONSTRUCT
    written as N-Triples and bulk-loaded: Oxigraph lets go of Python's lock for both, so the build's validation runs
    on meanwhile; only the blank-node rewriting holds it.

    With ``wait_for_derived`` the store need not be merged yet: the data graphs and the ontology are copied and
    saturated at once, while the build derives; then what ``wait_for_derived()`` returns is added (the build's
    derived statements as N-Triples; None: the build gave up, and None is returned), and only the rules that read
    it run again. Together they are ALL_GRAPH's statements; the build starts the reasoner right after the load
    this way.
    """
    scratch = ox.Store()
    read = {p for rule in rules.rules() for p in rule.reads}
    reads = " ".join(sorted(f"<{p}>" for p in read))

    if wait_for_derived is None:
        _copy(store, scratch, reads, f"GRAPH <{ALL_GRAPH}> {{ ?s ?p ?o }}")
    else:
        build_graphs = ", ".join(f"<{g}>" for g in (ALL_GRAPH, DERIVED_GRAPH, INFERRED_GRAPH))
        _copy(store, scratch, reads, f"{{ ?s ?p ?o }} UNION {{ GRAPH ?g {{ ?s ?p ?o }} "
                                     f"FILTER (?g NOT IN ({build_graphs})) }}")
    # rdf:type statements, the most numerous entailments, are asked for once at the end when no other rule
    # needs them: not inserted into the store, they cost neither the inserts nor the memory
    types_apart = rules.types_apart()
    saturate(scratch, rules, types=not types_apart)
    if wait_for_derived is not None:
        # the data is saturated while the build derives; then the rules that read what it derived run again
        derived = wait_for_derived()
        if derived is None:
            return None
        written_as = {f"<{p}>".encode(): p for p in read}  # a predicate as an N-Triples line has it
        derived, predicates = _of_predicates(derived, set(written_as))
        if derived:
            # the store's own dump
            scratch.bulk_load(_skolemised(derived), format=ox.RdfFormat.N_TRIPLES, lenient=True)
            del derived
            saturate(scratch, rules, types=not types_apart, added={written_as[p] for p in predicates})
    ontology_nodes = {term for q in store.quads_for_pattern(None, None, None, ox.NamedNode(str(ONTOLOGY_GRAPH)))
                      for term in (q.subject, q.object) if isinstance(term, ox.BlankNode)}
    _drop_unkept(scratch, ontology_nodes)
    # only the predicates a rule writes can hold an entailment: the copies of the others stay behind. One pattern
    # per predicate, not a VALUES list joined with ?s ?p ?o: a fifth faster at 1M (11.4 s against 8.8 s alone)
    written = sorted({p for rule in rules.rules(types=not types_apart) for p in rule.writes})
    queries = {}
    if written:
        patterns = " UNION ".join(f"{{ ?s <{p}> ?o BIND (<{p}> AS ?p) }}" for p in written)
        queries["written.nt"] = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {patterns} }}"
    type_query = rules.type_query(_kept_subject("?x", ontology_nodes)) if types_apart else None
    if type_query is not None:
        queries["types.nt"] = type_query
    # written to files, not held: at 1M they are 700 MB of text, alive until the build has written khasan.nt
    text = ClosureText([], temporary_dir("entailments"))
    for name, query in queries.items():
        path = text.directory / name  # type: ignore[operator]
        scratch.query(query).serialize(path, format=ox.RdfFormat.N_TRIPLES)  # type: ignore[union-attr]
        text.parts.append(path)
    return text


def _kept_subject(var: str, ontology_nodes: set[ox.BlankNode]) -> str:
    """A SPARQL condition: the term is one of our instances or one of the data's blank nodes (reason.is_kept).

    The list of the ontology's blank nodes is looked at only for blank nodes: tested on every term (forty-odd
    comparisons each), it took half of the 1M build's type query."""
    blank = f'STRSTARTS(STR({var}), "{_SKOLEM}")'
    if ontology_nodes:
        blank = f"({blank} && {var} NOT IN ({', '.join(_skolem_names(ontology_nodes))}))"
    return f'STRSTARTS(STR({var}), "{ID}") || {blank}'


def _copy(store: ox.Store, scratch: ox.Store, predicates: str, pattern: str) -> None:
    """The statements of ``pattern`` (?s ?p ?o) in ``store`` whose predicate is among ``predicates`` (a SPARQL
    list of IRIs), into the scratch store's default graph."""
    if not predicates:
        return
    triples = store.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ VALUES ?p {{ {predicates} }} {pattern} }}")
    data = _skolemised(triples.serialize(format=ox.RdfFormat.N_TRIPLES) or b"")  # type: ignore[union-attr]
    if data:
        scratch.bulk_load(data, format=ox.RdfFormat.N_TRIPLES, lenient=True)  # Oxigraph's own output


def infer(store: ox.Store, ontology: Graph) -> ox.Store:
    """The kept entailments of ALL_GRAPH: exactly what reason.entailments (owlrl) keeps, in the default graph of a
    store of their own (``closure`` with the asserted statements taken out)."""
    scratch = ox.Store()
    closed = closure(store, Rules.from_ontology(ontology))
    assert closed is not None  # None only when a build gives up waiting
    scratch.bulk_extend(ox.parse(closed.text(), format=ox.RdfFormat.N_TRIPLES))  # type: ignore[arg-type]
    default = ox.DefaultGraph()
    for t in store.quads_for_pattern(None, None, None, ox.NamedNode(str(ALL_GRAPH))):
        scratch.remove(ox.Quad(t.subject, t.predicate, t.object, default))
    return scratch


def infer_into(store: ox.Store, ontology: Graph) -> int:
    """``infer``, with the entailments copied into the store's INFERRED_GRAPH; returns how many were kept."""
    inferred = ox.NamedNode(str(INFERRED_GRAPH))
    entailed = infer(store, ontology)
    store.update(f"CLEAR SILENT GRAPH <{inferred.value}>")
    store.bulk_extend(ox.Quad(q.subject, q.predicate, q.object, inferred) for q in entailed)
    return len(entailed)


def entailments(asserted: Graph, ontology: Graph) -> Graph:
    """The same kept entailments as reason.entailments (owlrl), for rdflib graphs: infer_into on a scratch store."""
    store = ox.Store()
    all_graph, onto_graph = ox.NamedNode(str(ALL_GRAPH)), ox.NamedNode(str(ONTOLOGY_GRAPH))
    store.bulk_extend(_quads(asserted, all_graph))
    store.bulk_extend(_quads(ontology, all_graph, onto_graph))
    infer_into(store, ontology)
    kept = Graph()
    bind_prefixes(kept)
    for q in store.quads_for_pattern(None, None, None, ox.NamedNode(str(INFERRED_GRAPH))):
        kept.add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))  # type: ignore[arg-type]
    return kept


def _quads(graph: Graph, *graphs: ox.NamedNode | ox.DefaultGraph) -> Iterable[ox.Quad]:
    for s, p, o in graph:
        if isinstance(s, Literal):
            continue
        triple = (to_oxigraph(s), to_oxigraph(p), to_oxigraph(o))
        for g in graphs:
            yield ox.Quad(*triple, g)  # type: ignore[arg-type]


def _direct_supers(ontology: Graph, sub: URIRef, equivalent: URIRef) -> dict[URIRef, set[URIRef]]:
    """Each named term's direct super-terms: its ``sub`` targets, and both directions of ``equivalent``."""
    supers: dict[URIRef, set[URIRef]] = defaultdict(set)
    for a, b in ontology.subject_objects(sub):
        if isinstance(a, URIRef) and isinstance(b, URIRef):
            supers[a].add(b)
    for a, b in ontology.subject_objects(equivalent):
        if isinstance(a, URIRef) and isinstance(b, URIRef):
            supers[a].add(b)
            supers[b].add(a)
    return supers

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

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS

from .namespaces import bind_prefixes
from .reason import is_kept
from .store import to_oxigraph, to_rdflib

_ASSERTED = ox.NamedNode("urn:khasan-kg:fastreason:asserted")
_ONTOLOGY = ox.NamedNode("urn:khasan-kg:fastreason:ontology")

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
        out = []

        def values(pairs: Iterable[tuple[URIRef, URIRef]]) -> str:
            return " ".join(f"(<{a}> <{b}>)" for a, b in pairs)

        sub_p = [(p, q) for p, qs in sorted(self.superproperties.items()) for q in sorted(qs)]
        if sub_p:
            out.append(f"INSERT {{ ?s ?q ?o }} WHERE {{ VALUES (?p ?q) {{ {values(sub_p)} }} ?s ?p ?o }}")
        if self.inverses:
            out.append("INSERT { ?o ?q ?s } WHERE { VALUES (?p ?q) { " + values(self.inverses)
                       + " } ?s ?p ?o FILTER (!isLiteral(?o)) }")
        for p in self.transitive:
            out.append(f"INSERT {{ ?s <{p}> ?o }} WHERE {{ ?s <{p}> ?m . ?m <{p}>+ ?o }}")
        for p, steps in self.chains:
            hops = " . ".join(f"?x{i} <{step}> ?x{i + 1}" for i, step in enumerate(steps))
            out.append(f"INSERT {{ ?x0 <{p}> ?x{len(steps)} }} WHERE {{ {hops} FILTER (!isLiteral(?x{len(steps)})) }}")
        if self.domains:
            out.append("INSERT { ?s a ?d } WHERE { VALUES (?p ?d) { " + values(self.domains) + " } ?s ?p ?o }")
        if self.ranges:
            out.append("INSERT { ?o a ?r } WHERE { VALUES (?p ?r) { " + values(self.ranges)
                       + " } ?s ?p ?o FILTER (!isLiteral(?o)) }")
        sub_c = [(c, d) for c, ds in sorted(self.superclasses.items()) for d in sorted(ds)]
        if sub_c:
            out.append(f"INSERT {{ ?x a ?d }} WHERE {{ VALUES (?c ?d) {{ {values(sub_c)} }} ?x a ?c }}")
        return out


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


def saturate(store: ox.Store, rules: Rules, max_rounds: int = 50) -> int:
    """Run the rules on the store's default graph until nothing new is entailed; returns the rounds run."""
    updates = rules.updates()
    size = len(store)
    for rounds in range(1, max_rounds + 1):
        for update in updates:
            store.update(update)
        new_size = len(store)
        if new_size == size:
            return rounds
        size = new_size
    raise RuntimeError(f"the fast reasoner did not reach a fixpoint in {max_rounds} rounds")


def _quads(graph: Graph, *graphs: ox.NamedNode | ox.DefaultGraph) -> Iterable[ox.Quad]:
    for s, p, o in graph:
        if isinstance(s, Literal):
            continue
        triple = (to_oxigraph(s), to_oxigraph(p), to_oxigraph(o))
        for g in graphs:
            yield ox.Quad(*triple, g)  # type: ignore[arg-type]


def entailments(asserted: Graph, ontology: Graph) -> Graph:
    """The same kept entailments as reason.entailments (owlrl), computed from the ontology's axioms only."""
    rules = Rules.from_ontology(ontology)
    store = ox.Store()
    store.bulk_extend(_quads(asserted, ox.DefaultGraph(), _ASSERTED))
    store.bulk_extend(_quads(ontology, ox.DefaultGraph(), _ONTOLOGY))
    saturate(store, rules)
    data_nodes = {s for s in asserted.subjects() if isinstance(s, BNode)}
    data_nodes |= {o for o in asserted.objects() if isinstance(o, BNode)}
    new = store.query(
        f"SELECT ?s ?p ?o WHERE {{ ?s ?p ?o FILTER NOT EXISTS {{ GRAPH <{_ASSERTED.value}> {{ ?s ?p ?o }} }} "
        f"FILTER NOT EXISTS {{ GRAPH <{_ONTOLOGY.value}> {{ ?s ?p ?o }} }} }}"
    )
    kept = Graph()
    bind_prefixes(kept)
    for row in new:  # type: ignore[union-attr]
        triple = (to_rdflib(row[0]), to_rdflib(row[1]), to_rdflib(row[2]))
        if is_kept(triple, data_nodes):
            kept.add(triple)  # type: ignore[arg-type]
    return kept


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

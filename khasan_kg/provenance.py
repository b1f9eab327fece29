"""Passages: named graphs whose names are spans of the source document.

The graph files state each source fact inside ``GRAPH psg:START-END { … }``. From those names alone this module
derives what a linked-data user needs to follow a fact back to its text: the passage as a W3C Web Annotation
``oa:SpecificResource`` with an ``oa:TextPositionSelector``, its line and its part, plus ``kh:statedIn`` /
``kh:accordingTo`` on every claim and ``kh:mentionedIn`` on every entity a passage speaks of.

Everything here works on the build's Oxigraph store (``Loaded.store``): the asserted data is its default graph
plus one named graph per passage, and the derived triples go into DERIVED_GRAPH (``derive_into``; the build
derives into ALL_GRAPH instead, see validate.prepare_shapes_data), set-at-a-time with SPARQL updates. Only what
differs per passage (its line and part, a handful of values each) is computed in Python. ``derive`` keeps the old
rdflib signature for the reference path; it runs the same code on a scratch store.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Container, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import pyoxigraph as ox
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import RDF, RDFS, XSD

from .errors import InputError
from .namespaces import BUILD_GRAPHS, DERIVED_GRAPH, ID, KH, OA, ONTOLOGY_GRAPH, PASSAGE, SOURCE_DOC, curie
from .terms import to_oxigraph, to_rdflib

if TYPE_CHECKING:
    from .load import Loaded

PASSAGE_RE = re.compile(re.escape(str(PASSAGE)) + r"(\d+)-(\d+)$")
# Terms that are vocabulary, not entities a passage "mentions".
_VOCAB_PREFIXES = ("http://www.w3.org/", "https://w3id.org/khasan/ontology", "http://purl.org/")

OxTerm = ox.NamedNode | ox.BlankNode | ox.Literal
_DERIVED = ox.NamedNode(str(DERIVED_GRAPH))


def _n(iri: object) -> ox.NamedNode:
    return ox.NamedNode(str(iri))


_RDF_TYPE, _RDFS_LABEL, _SKOS_ALT = _n(RDF.type), _n(RDFS.label), _n("http://www.w3.org/2004/02/skos/core#altLabel")
_AS_PRINTED = _n(KH.asPrinted)


# ---------------------------------------------------------------- the store: asserted data and its graphs


def store_of(target: Loaded | ox.Store) -> ox.Store:
    """The Oxigraph store of a load (or the store itself)."""
    return target if isinstance(target, ox.Store) else target.store


def is_build_graph(graph: object) -> bool:
    """True for the graphs the build adds (ontology, derived, merged, inferred): not asserted data."""
    return isinstance(graph, ox.NamedNode) and graph.value in BUILD_GRAPHS


_BUILD_LIST = ", ".join(f"<{g}>" for g in sorted(BUILD_GRAPHS))


def asserted(pattern: str, graph_var: str = "g_", scope: str | None = None) -> str:
    """A SPARQL group matching ``pattern`` in the asserted data: the default graph and every named graph but the
    build's own.

    Two such groups in one query need two ``graph_var`` names: sharing one would make them match in the same
    graph. The union is a bag (a triple stated by two passages matches twice): use DISTINCT. ``scope`` (from
    ``scan_scope``) is for a pattern with no bound predicate, which reads every quad of the graphs it walks: given,
    the pattern walks only the data graphs listed in it instead of every graph but the build's own. Keep such
    queries to one pattern: Oxigraph may plan joins of these groups very badly.
    """
    if scope is not None:
        return f"{{ {{ {pattern} }} UNION {{ VALUES ?{graph_var} {{ {scope} }} GRAPH ?{graph_var} {{ {pattern} }} }} }}"
    return (f"{{ {{ {pattern} }} UNION {{ GRAPH ?{graph_var} {{ {pattern} }} "
            f"FILTER (?{graph_var} NOT IN ({_BUILD_LIST})) }} }}")


_LARGE_BUILD_GRAPHS = [ox.NamedNode(str(g)) for g in sorted(BUILD_GRAPHS) if g != str(ONTOLOGY_GRAPH)]


def scan_scope(store: ox.Store, names: list[ox.NamedNode]) -> str | None:
    """How ``asserted`` should read every quad of the asserted data. None (skip the build's graphs by name) while
    the build's graphs hold only the ontology, as after a load: then there is little to skip. Once DERIVED_GRAPH,
    ALL_GRAPH or INFERRED_GRAPH are filled they are several times the data, and a scan that skips them by name
    still reads them: the data graphs ``names`` are then listed instead, and each is read through its index."""
    if all(next(iter(store.quads_for_pattern(None, None, None, g)), None) is None for g in _LARGE_BUILD_GRAPHS):
        return None
    return " ".join(str(g) for g in names)


def data_graph_names(target: Loaded | ox.Store) -> list[ox.NamedNode]:
    """The named graphs of asserted data that hold a triple (passages, and any graph misnamed as one), sorted by
    IRI: the build's own graphs left out."""
    store = store_of(target)
    names = [g for g in store.named_graphs() if isinstance(g, ox.NamedNode) and g.value not in BUILD_GRAPHS]
    names = [g for g in names if next(iter(store.quads_for_pattern(None, None, None, g)), None) is not None]
    return sorted(names, key=lambda g: g.value)


def asserted_objects(store: ox.Store, subject: OxTerm | None, predicate: ox.NamedNode) -> list[OxTerm]:
    """The objects of (subject, predicate) in the asserted data, without repeats, in the store's order."""
    seen: dict[OxTerm, None] = {}
    for q in store.quads_for_pattern(subject, predicate, None, None):  # type: ignore[arg-type]
        if not is_build_graph(q.graph_name):
            seen.setdefault(q.object, None)
    return list(seen)


# ---------------------------------------------------------------- spans, parts and lines


@dataclass(frozen=True)
class Span:
    iri: URIRef
    start: int
    end: int

    @property
    def slug(self) -> str:
        return f"{self.start}-{self.end}"


@dataclass(frozen=True)
class SourcePart:
    iri: URIRef
    start: int
    end: int
    label: str


def _iri_text(name: object) -> str:
    # str() of an Oxigraph NamedNode is "<iri>"; of an rdflib URIRef or a str, the IRI itself
    return name.value if isinstance(name, ox.NamedNode) else str(name)


def passage_span(name: object) -> Span | None:
    """The span a graph name (IRI string, rdflib URIRef or Oxigraph NamedNode) stands for, or None if it is not
    a passage IRI."""
    iri = _iri_text(name)
    match = PASSAGE_RE.match(iri)
    if not match:
        return None
    return Span(URIRef(iri), int(match.group(1)), int(match.group(2)))


def passage_iri(start: int, end: int) -> URIRef:
    return URIRef(f"{PASSAGE}{start}-{end}")


def _integer(value: object, what: str) -> int:
    text = value.value if isinstance(value, ox.Literal) else str(value)
    try:
        return int(text)
    except ValueError:
        raise InputError(f"graph/sources.ttl: {what} must be an integer, not {text!r}") from None


class SourceIndex:
    """What graph/sources.ttl says of the document: its length, its line starts and its parts.

    Made from the build's store (or a Loaded), reading the asserted data only; an rdflib graph holding the
    sources facts is still accepted, for the reference path.
    """

    def __init__(self, sources: Loaded | ox.Store | Graph) -> None:
        if isinstance(sources, Graph):
            def values(s: object, p: object) -> list[object]:
                return list(sources.objects(s, p))  # type: ignore[arg-type]

            part_nodes = list(dict.fromkeys(sources.subjects(RDF.type, KH.SourcePart)))
            doc: object = SOURCE_DOC
            start_p, end_p, label_p, count_p, starts_p = (KH.startOffset, KH.endOffset, RDFS.label,
                                                         KH.characterCount, KH.lineStarts)
        else:
            store = store_of(sources)

            def values(s: object, p: object) -> list[object]:
                return asserted_objects(store, s, p)  # type: ignore[arg-type]

            part_nodes = [q.subject for q in store.quads_for_pattern(None, _RDF_TYPE, _n(KH.SourcePart), None)
                          if not is_build_graph(q.graph_name)]
            part_nodes = list(dict.fromkeys(part_nodes))
            doc = _n(SOURCE_DOC)
            start_p, end_p, label_p, count_p, starts_p = (_n(KH.startOffset), _n(KH.endOffset), _RDFS_LABEL,
                                                         _n(KH.characterCount), _n(KH.lineStarts))
        count, starts = values(doc, count_p), values(doc, starts_p)
        if not count or not starts:
            raise InputError("graph/sources.ttl: the source document needs kh:characterCount and kh:lineStarts")
        self.length = _integer(count[0], "kh:characterCount")
        starts_text = starts[0].value if isinstance(starts[0], ox.Literal) else str(starts[0])
        self.line_starts = [_integer(x, "each of kh:lineStarts") for x in starts_text.split()]
        parts = []
        for part in part_nodes:
            s, e = values(part, start_p), values(part, end_p)
            if not s or not e:
                continue
            labels = sorted(values(part, label_p), key=_english_first)
            iri = URIRef(_iri_text(part))
            parts.append(SourcePart(iri, _integer(s[0], "kh:startOffset"), _integer(e[0], "kh:endOffset"),
                                    _lexical(labels[0]) if labels else str(iri)))
        self.parts = sorted(parts, key=lambda p: p.start)

    def line_of(self, offset: int) -> int:
        return bisect_right(self.line_starts, offset)

    def part_of(self, span: Span) -> SourcePart | None:
        for part in self.parts:
            if part.start <= span.start < part.end:
                return part
        return None


def _lexical(term: object) -> str:
    """The lexical form of a literal, the IRI of an IRI (what str() gives for an rdflib term)."""
    return term.value if isinstance(term, ox.NamedNode | ox.BlankNode | ox.Literal) else str(term)


def _english_first(label: object) -> tuple[int, str]:
    language = label.language if isinstance(label, ox.Literal | Literal) else None
    return (0 if language == "en" else 1, _lexical(label))


def span_problems(target: Loaded | ox.Store, index: SourceIndex, text: str | None = None,
                  names: list[ox.NamedNode] | None = None) -> list[str]:
    """Graph names that are not passages, or spans outside the document (or, with the text, empty of text).
    ``names``: the data graphs, if the caller has them (data_graph_names)."""
    problems = []
    for name in data_graph_names(target) if names is None else names:
        span = passage_span(name)
        if span is None:
            problems.append(f"graph {_curie(name)}: a named graph must be a passage psg:START-END")
            continue
        if not span.start < span.end:
            problems.append(f"passage {_curie(name)}: its start is not before its end")
        elif span.end > index.length:
            problems.append(f"passage {_curie(name)}: ends at {span.end}, outside the document ({index.length} "
                            f"characters)")
        elif index.part_of(span) is None:
            problems.append(f"passage {_curie(name)}: falls in no part of the source (site navigation?)")
        elif text is not None and not text[span.start : span.end].strip():
            problems.append(f"passage {_curie(name)}: covers only white space")
    return problems


def _curie(term: ox.NamedNode) -> str:
    return curie(term.value)


def is_entity(term: object) -> bool:
    """True for an instance IRI of ours (not a passage, not vocabulary), rdflib or Oxigraph."""
    if isinstance(term, ox.NamedNode):
        iri = term.value
    elif isinstance(term, URIRef):
        iri = str(term)
    else:
        return False
    return iri.startswith(ID) and not iri.startswith(str(PASSAGE)) and not iri.startswith(_VOCAB_PREFIXES)


# ---------------------------------------------------------------- deriving provenance into the store

_PREFIXES = f"""PREFIX kh: <{KH}>
PREFIX oa: <{OA}>
PREFIX rdf: <{RDF}>
PREFIX xsd: <{XSD}>
"""

# statedIn / accordingTo for every claim stated in a passage. The claims (a few per passage) bind ?s first, so
# each lookup of its passages is an index range, not a scan of every passage. GRAPH_ is the graph derived into,
# where the passage descriptions are (DERIVED_GRAPH, or ALL_GRAPH in the build: see validate.prepare_shapes_data).
_CLAIMS = _PREFIXES + f"""
INSERT {{ GRAPH <GRAPH_> {{ ?s kh:statedIn ?g . ?s kh:accordingTo ?part }} }}
WHERE {{
    {{ SELECT DISTINCT ?s WHERE {{ {asserted("?s rdf:type ?type")} VALUES ?type {{ kh:Claim kh:Figure }} }} }}
    GRAPH ?g {{ ?s ?p ?o }}
    GRAPH <GRAPH_> {{ ?g rdf:type kh:Passage }}
    OPTIONAL {{ GRAPH <GRAPH_> {{ ?g kh:inPart ?part }} }}
}}"""

# mentionedIn for every entity of ours a passage names as subject or object (one pass over each passage: ?w picks
# the position, so the passage's quads are read once, not once per position).
_MENTIONS = _PREFIXES + f"""
INSERT {{ GRAPH <GRAPH_> {{ ?e kh:mentionedIn ?g }} }}
WHERE {{
    GRAPH <GRAPH_> {{ ?g rdf:type kh:Passage }}
    GRAPH ?g {{ ?s ?p ?o }}
    VALUES ?w {{ 0 1 }}
    BIND (IF(?w = 0, ?s, ?o) AS ?e)
    FILTER (isIRI(?e) && STRSTARTS(STR(?e), "{ID}") && !STRSTARTS(STR(?e), "{PASSAGE}"))
}}"""  # is_entity, in SPARQL (no vocabulary IRI starts with ID)


def into_graph(update: str, graph: ox.NamedNode) -> str:
    """A derivation update (with GRAPH_ where its target graph goes) writing into ``graph``."""
    return update.replace("<GRAPH_>", str(graph))


def _passage_turtle(index: SourceIndex, names: list[ox.NamedNode]) -> bytes:
    """The description of every passage graph, as Turtle: types, label, line, part and its text position
    selector, ten triples a passage.

    Written as text and parsed by Oxigraph because that is the cheapest way into the store: building ten Quad
    objects a passage in Python costs more than the insertion itself. Every term is safe to write unescaped: a
    passage IRI is PASSAGE plus digits (PASSAGE_RE), a part IRI is written by Oxigraph, the rest are constants.
    """
    out = [f"@prefix kh: <{KH}> .\n@prefix oa: <{OA}> .\n@prefix xsd: <{XSD}> .\n@prefix rdfs: <{RDFS}> .\n"]
    source = f"<{SOURCE_DOC}>"
    parts = {part.iri: str(ox.NamedNode(part.iri)) for part in index.parts}  # "<iri>", checked by Oxigraph
    for name in names:
        iri = name.value
        match = PASSAGE_RE.match(iri)
        if not match:
            continue
        start, end = int(match.group(1)), int(match.group(2))
        part = index.part_of(Span(URIRef(iri), start, end))
        line = index.line_of(start)
        in_part = f" ;\n    kh:inPart {parts[part.iri]}" if part is not None else ""
        out.append(
            f"<{iri}> a kh:Passage, oa:SpecificResource ;\n"
            f'    rdfs:label "source passage {start}-{end} (line {line})"@en ;\n'
            f"    oa:hasSource {source} ;\n"
            f"    oa:hasSelector <{iri}#selector> ;\n"
            f'    kh:line "{line}"^^xsd:positiveInteger{in_part} .\n'
            f"<{iri}#selector> a oa:TextPositionSelector ;\n"
            f'    oa:start "{start}"^^xsd:nonNegativeInteger ;\n'
            f'    oa:end "{end}"^^xsd:nonNegativeInteger .\n'
        )
    return "".join(out).encode("utf-8")


def derive_into(target: Loaded | ox.Store, index: SourceIndex | None = None, graph: ox.NamedNode = _DERIVED) -> int:
    """Write the provenance the build derives from passage names into DERIVED_GRAPH of the store (or ``graph``).

    For every passage graph: its description (``kh:Passage``, ``oa:SpecificResource`` with an
    ``oa:TextPositionSelector``, ``kh:line``, ``kh:inPart``); ``kh:statedIn`` and ``kh:accordingTo`` on every
    claim (kh:Claim, kh:Figure) it states; ``kh:mentionedIn`` on every entity of ours it names: the triples
    ``derive`` has always given (numbers typed xsd:integer in the store, see DERIVED_DATATYPES). ``index``
    defaults to what graph/sources.ttl says (read from the store). Running it twice adds nothing (the store is a
    set). Returns how many triples it added.
    """
    store = store_of(target)
    before = len(store)
    _derive_provenance(store, index, graph)
    return len(store) - before


def _derive_provenance(store: ox.Store, index: SourceIndex | None, graph: ox.NamedNode) -> None:
    index = index or SourceIndex(store)
    # Turtle we write from IRIs Oxigraph has checked already: read leniently (not checked again)
    store.load(_passage_turtle(index, data_graph_names(store)), format=ox.RdfFormat.TURTLE, to_graph=graph,
               lenient=True)
    store.update(into_graph(_CLAIMS, graph))  # these two read the passage descriptions just written
    store.update(into_graph(_MENTIONS, graph))


def derive_all_into(target: Loaded | ox.Store, index: SourceIndex | None = None,
                    graph: ox.NamedNode = _DERIVED) -> int:
    """Everything the build derives, into DERIVED_GRAPH (or ``graph``): passage provenance (``derive_into``) and
    OWL-Time (``temporal.derive_time_into``). Returns how many triples it added."""
    from .temporal import TIME_UPDATE

    store = store_of(target)
    before = len(store)
    _derive_provenance(store, index, graph)
    store.update(into_graph(TIME_UPDATE, graph))
    return len(store) - before


def count_derived(target: Loaded | ox.Store) -> int:
    """How many triples DERIVED_GRAPH holds."""
    result = store_of(target).query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{DERIVED_GRAPH}> {{ ?s ?p ?o }} }}")
    for row in result:  # type: ignore[union-attr]
        return int(row["n"].value)  # type: ignore[union-attr]
    return 0


def store_from_dataset(dataset: Dataset | Graph) -> ox.Store:
    """A scratch store holding an rdflib dataset's graphs as they are (a plain Graph goes to the default graph)."""
    store = ox.Store()
    if isinstance(dataset, Dataset):
        quads = dataset.quads((None, None, None, None))
    else:
        quads = ((s, p, o, None) for s, p, o in dataset)
    store.bulk_extend(
        ox.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o),  # type: ignore[arg-type]
                ox.DefaultGraph() if g is None or g == DATASET_DEFAULT_GRAPH_ID else to_oxigraph(g))
        for s, p, o, g in quads
    )
    return store


# The datatypes the derivation gives its numbers. Oxigraph stores every subtype of xsd:integer as xsd:integer
# (oxigraph/oxigraph#1413), so in the store these come back as xsd:integer; ``as_derived`` puts the type back
# where a reader needs the ontology's range (rdflib views, SHACL's sh:datatype xsd:nonNegativeInteger).
DERIVED_DATATYPES: dict[str, str] = {
    str(KH.line): str(XSD.positiveInteger),
    str(OA.start): str(XSD.nonNegativeInteger),
    str(OA.end): str(XSD.nonNegativeInteger),
}
_XSD_INTEGER = str(XSD.integer)


def as_derived(predicate: ox.NamedNode, obj: OxTerm) -> OxTerm:
    """The object of a derived triple with the datatype the derivation gave it (see DERIVED_DATATYPES)."""
    if isinstance(obj, ox.Literal) and obj.datatype.value == _XSD_INTEGER:
        datatype = DERIVED_DATATYPES.get(predicate.value)
        if datatype is not None:
            return ox.Literal(obj.value, datatype=ox.NamedNode(datatype))
    return obj


def derived_graph(store: ox.Store) -> Graph:
    """DERIVED_GRAPH of a store as an rdflib graph, numbers typed as derived (``as_derived``)."""
    out = Graph()
    for q in store.quads_for_pattern(None, None, None, _DERIVED):
        out.add((to_rdflib(q.subject), to_rdflib(q.predicate),  # type: ignore[arg-type]
                 to_rdflib(as_derived(q.predicate, q.object))))
    return out


def derive(dataset: Dataset, index: SourceIndex) -> Graph:
    """The triples the build adds from passage names, for an rdflib Dataset (the reference path): ``derive_into``
    run on a scratch store, returned as an rdflib graph."""
    store = store_from_dataset(dataset)
    derive_into(store, index)
    return derived_graph(store)


# ---------------------------------------------------------------- does a passage say what its statements say?


class Facts(Protocol):
    """What the surface-form test reads of the data: a node's names, its printed forms and the nodes it links."""

    def names_of(self, term: object) -> set[str]: ...
    def printed_of(self, term: object) -> set[str]: ...
    def links_of(self, term: object) -> Iterable[object]: ...


class SurfaceFacts:
    """The asserted data as the passage check reads it, fetched from the store in bulk (one index range per
    label property, one pass over the asserted graphs for links) instead of one lookup per statement. Keys and
    links are Oxigraph terms.

    - names: a node's labels in any language (rdfs:label, skos:altLabel) and the forms it was printed in
      (kh:asPrinted), as strings;
    - printed: kh:asPrinted alone (a number must be in the passage as printed);
    - links: the nodes (IRIs, blank nodes) it points at, rdf:type left out.
    """

    def __init__(self, target: Loaded | ox.Store, names: list[ox.NamedNode] | None = None) -> None:
        store = store_of(target)
        self._names: dict[object, set[str]] = {}
        self._printed: dict[object, set[str]] = {}
        self._links: dict[object, set[object]] = {}
        for prop in (_RDFS_LABEL, _SKOS_ALT, _AS_PRINTED):
            for q in store.quads_for_pattern(None, prop, None, None):
                if is_build_graph(q.graph_name):
                    continue
                self._names.setdefault(q.subject, set()).add(_lexical(q.object))
                if prop == _AS_PRINTED:
                    self._printed.setdefault(q.subject, set()).add(_lexical(q.object))
        graphs: list[ox.NamedNode | ox.DefaultGraph] = [
            ox.DefaultGraph(), *(data_graph_names(store) if names is None else names)]
        for g in graphs:
            for q in store.quads_for_pattern(None, None, None, g):
                if not isinstance(q.object, ox.Literal) and q.predicate != _RDF_TYPE:
                    self._links.setdefault(q.subject, set()).add(q.object)

    def names_of(self, term: object) -> set[str]:
        return self._names.get(term, set())

    def printed_of(self, term: object) -> set[str]:
        return self._printed.get(term, set())

    def links_of(self, term: object) -> Iterable[object]:
        return self._links.get(term, ())


class GraphFacts:
    """The same, read from an rdflib graph on demand (for callers that hold one: check_shapes' reports)."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph

    def names_of(self, term: object) -> set[str]:
        return {str(o) for p in (RDFS.label, SKOS_ALT, KH.asPrinted) for o in self.graph.objects(term, p)}  # type: ignore[arg-type]

    def printed_of(self, term: object) -> set[str]:
        return {str(o) for o in self.graph.objects(term, KH.asPrinted)}  # type: ignore[arg-type]

    def links_of(self, term: object) -> Iterable[object]:
        return [o for p, o in self.graph.predicate_objects(term)  # type: ignore[arg-type]
                if p != RDF.type and not isinstance(o, Literal)]


def surface_forms(facts: Facts | Graph, term: object, depth: int = 1) -> set[str]:
    """The strings whose presence in a passage shows it speaks of ``term``: its labels in any language and the
    forms it was printed in; for a node without labels (a participation, figure or assignment), the forms of
    the entities it links. ``facts`` is a SurfaceFacts (Oxigraph terms) or an rdflib graph (rdflib terms)."""
    if isinstance(facts, Graph):
        facts = GraphFacts(facts)
    if isinstance(term, ox.Literal | Literal):
        return literal_forms(term)
    forms = set(facts.names_of(term))
    if (not forms or _is_nary(term)) and depth > 0:
        for o in facts.links_of(term):
            forms |= surface_forms(facts, o, depth - 1)
    return {f for f in forms if f.strip()}


def _is_nary(term: object) -> bool:
    """A tenure, assignment, participation or figure: named by what it links, whatever its own label."""
    return isinstance(term, ox.BlankNode | BNode) or any(k in _lexical(term) for k in ("/assignment/", "/figure/"))


SKOS_ALT = URIRef("http://www.w3.org/2004/02/skos/core#altLabel")
# Statements that interpret rather than name: which side a number belongs to, how exact it is, a role. The
# passage need not spell these out (a Soviet article says "our losses"), so they are not checked for a mention.
INTERPRETIVE = frozenset(str(t) for t in (
    RDF.type, KH.side, KH.qualifier, KH.unitOfMeasure, KH.participantRole, KH.countedThing, KH.dateText,
    KH.editorialNote, KH.disputeReason, KH.disputed, KH.asPrinted, KH.datePrinted,
))


def statement_anchors(facts: Facts | Graph, s: object, p: object, o: object, value_properties: Container[str]
                      ) -> set[str]:
    """What a passage must contain (any one of) to state (s, p, o); empty if nothing is checked.
    ``value_properties`` holds the IRIs (strings) of the sub-properties of kh:value."""
    if isinstance(facts, Graph):
        facts = GraphFacts(facts)
    predicate = _iri_text(p)
    if predicate in INTERPRETIVE:
        return set()
    if predicate in value_properties and isinstance(o, ox.Literal | Literal):
        # a number must be there as printed (digits, or the words kept in kh:asPrinted)
        return literal_forms(o) | facts.printed_of(s)
    return surface_forms(facts, s) | surface_forms(facts, o)


_THAI_MONTHS = [
    "มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน",
    "กรกฎาคม", "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม",
]


def literal_forms(lit: Literal | ox.Literal) -> set[str]:
    """How a literal value can appear in the text: a number with or without thousands separators, a date as
    its day and Thai month, its year in either calendar, the time as printed (16.00)."""
    if isinstance(lit, ox.Literal):
        lit = to_rdflib(lit)  # type: ignore[assignment]  # rdflib parses the value (toPython) as before
    assert isinstance(lit, Literal)
    forms = {str(lit)}
    value = lit.toPython()
    dt = lit.datatype
    if dt in (XSD.integer, XSD.nonNegativeInteger, XSD.positiveInteger, XSD.int) or isinstance(value, int):
        try:
            n = int(str(lit))
            forms |= {str(n), f"{n:,}", f"{n:,}".replace(",", " ")}
        except ValueError:
            pass
    if dt == XSD.decimal:
        text = str(lit)
        forms |= {text, text.rstrip("0").rstrip(".") if "." in text else text, text.replace(".", ",")}
    if dt in (XSD.date, XSD.dateTime, XSD.gYear, XSD.gYearMonth):
        text = str(lit)
        year = int(text[:4])
        forms |= {str(year), str(year + 543)}
        if len(text) >= 7 and text[4] == "-":
            month = int(text[5:7])
            forms.add(_THAI_MONTHS[month - 1])
            if len(text) >= 10:
                day = int(text[8:10])
                forms.add(f"{day} {_THAI_MONTHS[month - 1]}")
        if dt == XSD.dateTime and "T" in text:
            hh, mm = text.split("T")[1][:5].split(":")
            forms |= {f"{hh}.{mm}", f"{hh}:{mm}", f"{int(hh)}.{mm}"}
    return forms

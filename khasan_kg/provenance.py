"""Passages: named graphs whose names are spans of the source document.

The graph files state each source fact inside ``GRAPH psg:START-END { … }``. From those names alone this module
derives what a linked-data user needs to follow a fact back to its text: the passage as a W3C Web Annotation
``oa:SpecificResource`` with an ``oa:TextPositionSelector``, its line and its part, plus ``kh:statedIn`` /
``kh:accordingTo`` on every claim and ``kh:mentionedIn`` on every entity a passage speaks of.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import RDF, RDFS, XSD

from .errors import InputError
from .namespaces import ID, KH, OA, PASSAGE, SOURCE_DOC, curie

PASSAGE_RE = re.compile(re.escape(str(PASSAGE)) + r"(\d+)-(\d+)$")
# Terms that are vocabulary, not entities a passage "mentions".
_VOCAB_PREFIXES = ("http://www.w3.org/", "https://w3id.org/khasan/ontology", "http://purl.org/")


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


def passage_span(name: object) -> Span | None:
    """The span a graph name stands for, or None if it is not a passage IRI."""
    match = PASSAGE_RE.match(str(name))
    if not match:
        return None
    return Span(URIRef(str(name)), int(match.group(1)), int(match.group(2)))


def passage_iri(start: int, end: int) -> URIRef:
    return URIRef(f"{PASSAGE}{start}-{end}")


def named_graphs(dataset: Dataset) -> list[URIRef]:
    """The names of the dataset's named graphs that hold at least one triple, sorted."""
    names = {ctx.identifier for ctx in dataset.graphs() if ctx.identifier != DATASET_DEFAULT_GRAPH_ID}
    return sorted((n for n in names if len(dataset.graph(n)) > 0), key=str)


class SourceIndex:
    """What graph/sources.ttl says of the document: its length, its line starts and its parts."""

    def __init__(self, sources: Graph) -> None:
        count = sources.value(SOURCE_DOC, KH.characterCount)
        starts = sources.value(SOURCE_DOC, KH.lineStarts)
        if count is None or starts is None:
            raise InputError("graph/sources.ttl: the source document needs kh:characterCount and kh:lineStarts")
        self.length = int(count)
        self.line_starts = [int(x) for x in str(starts).split()]
        parts = []
        for part in sources.subjects(RDF.type, KH.SourcePart):
            s, e = sources.value(part, KH.startOffset), sources.value(part, KH.endOffset)
            if s is not None and e is not None:
                parts.append(SourcePart(part, int(s), int(e), str(sources.value(part, RDFS.label) or part)))
        self.parts = sorted(parts, key=lambda p: p.start)

    def line_of(self, offset: int) -> int:
        return bisect_right(self.line_starts, offset)

    def part_of(self, span: Span) -> SourcePart | None:
        for part in self.parts:
            if part.start <= span.start < part.end:
                return part
        return None


def span_problems(dataset: Dataset, index: SourceIndex, text: str | None = None) -> list[str]:
    """Graph names that are not passages, or spans outside the document (or, with the text, empty of text)."""
    problems = []
    for name in named_graphs(dataset):
        span = passage_span(name)
        if span is None:
            problems.append(f"graph {curie(str(name))}: a named graph must be a passage psg:START-END")
            continue
        if not span.start < span.end:
            problems.append(f"passage {curie(str(name))}: its start is not before its end")
        elif span.end > index.length:
            problems.append(
                f"passage {curie(str(name))}: ends at {span.end}, outside the document ({index.length} characters)"
            )
        elif index.part_of(span) is None:
            problems.append(f"passage {curie(str(name))}: falls in no part of the source (site navigation?)")
        elif text is not None and not text[span.start : span.end].strip():
            problems.append(f"passage {curie(str(name))}: covers only white space")
    return problems


def is_entity(term: object) -> bool:
    """True for an instance IRI of ours (not a passage, not vocabulary)."""
    return (
        isinstance(term, URIRef)
        and str(term).startswith(ID)
        and not str(term).startswith(str(PASSAGE))
        and not str(term).startswith(_VOCAB_PREFIXES)
    )


def derive(dataset: Dataset, index: SourceIndex) -> Graph:
    """The triples the build adds from passage names: passage descriptions and provenance links."""
    out = Graph()
    claim_types = {KH.Claim, KH.Figure}
    claims = {s for s, _, o, _ in dataset.quads((None, RDF.type, None, None)) if o in claim_types}
    for name in named_graphs(dataset):
        span = passage_span(name)
        if span is None:
            continue
        part = index.part_of(span)
        line = index.line_of(span.start)
        selector = URIRef(f"{name}#selector")
        out.add((name, RDF.type, KH.Passage))
        out.add((name, RDF.type, OA.SpecificResource))
        out.add((name, RDFS.label, Literal(f"source passage {span.slug} (line {line})", lang="en")))
        out.add((name, OA.hasSource, SOURCE_DOC))
        out.add((name, OA.hasSelector, selector))
        out.add((name, KH.line, Literal(line, datatype=XSD.positiveInteger)))
        out.add((selector, RDF.type, OA.TextPositionSelector))
        out.add((selector, OA.start, Literal(span.start, datatype=XSD.nonNegativeInteger)))
        out.add((selector, OA.end, Literal(span.end, datatype=XSD.nonNegativeInteger)))
        if part is not None:
            out.add((name, KH.inPart, part.iri))
        graph = dataset.graph(name)
        mentioned: set[URIRef] = set()
        for s, _, o in graph:
            for term in (s, o):
                if is_entity(term):
                    mentioned.add(term)  # type: ignore[arg-type]
            if s in claims:
                out.add((s, KH.statedIn, name))
                if part is not None:
                    out.add((s, KH.accordingTo, part.iri))
        for entity in mentioned:
            out.add((entity, KH.mentionedIn, name))
    return out


def surface_forms(graph: Graph, term: object, depth: int = 1) -> set[str]:
    """The strings whose presence in a passage shows it speaks of ``term``: its labels in any language and the
    forms it was printed in; for a node without labels (a participation, figure or assignment), the forms of
    the entities it links."""
    forms: set[str] = set()
    if isinstance(term, Literal):
        return literal_forms(term)
    for p in (RDFS.label, SKOS_ALT, KH.asPrinted):
        for label in graph.objects(term, p):  # type: ignore[arg-type]
            forms.add(str(label))
    if (not forms or _is_nary(term)) and depth > 0:
        for p, o in graph.predicate_objects(term):  # type: ignore[arg-type]
            if p != RDF.type and not isinstance(o, Literal):
                forms |= surface_forms(graph, o, depth - 1)
    return {f for f in forms if f.strip()}


def _is_nary(term: object) -> bool:
    """A tenure, assignment, participation or figure: named by what it links, whatever its own label."""
    return isinstance(term, BNode) or any(k in str(term) for k in ("/assignment/", "/figure/"))


SKOS_ALT = URIRef("http://www.w3.org/2004/02/skos/core#altLabel")
# Statements that interpret rather than name: which side a number belongs to, how exact it is, a role. The
# passage need not spell these out (a Soviet article says "our losses"), so they are not checked for a mention.
INTERPRETIVE = {
    RDF.type, KH.side, KH.qualifier, KH.unitOfMeasure, KH.participantRole, KH.countedThing, KH.dateText,
    KH.editorialNote, KH.disputeReason, KH.disputed, KH.asPrinted, KH.datePrinted,
}


def statement_anchors(graph: Graph, s: object, p: object, o: object, value_properties: set) -> set[str]:  # type: ignore[type-arg]
    """What a passage must contain (any one of) to state (s, p, o); empty if nothing is checked."""
    if p in INTERPRETIVE:
        return set()
    if p in value_properties and isinstance(o, Literal):
        # a number must be there as printed (digits, or the words kept in kh:asPrinted)
        return literal_forms(o) | {str(x) for x in graph.objects(s, KH.asPrinted)}  # type: ignore[arg-type]
    return surface_forms(graph, s) | surface_forms(graph, o)


_THAI_MONTHS = [
    "มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน",
    "กรกฎาคม", "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม",
]


def literal_forms(lit: Literal) -> set[str]:
    """How a literal value can appear in the text: a number with or without thousands separators, a date as
    its day and Thai month, its year in either calendar, the time as printed (16.00)."""
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

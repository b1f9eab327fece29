"""Converting terms between rdflib and Oxigraph (pyoxigraph)."""

from __future__ import annotations

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef

Term = URIRef | Literal | BNode
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def to_rdflib(term: object) -> Term | None:
    """An rdflib term; a plain string comes back without a datatype, as rdflib's parsers give it (RDF 1.1 says
    "x" and "x"^^xsd:string are one term, but rdflib and pySHACL compare them as two)."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        if term.datatype.value == _XSD_STRING:
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(term.datatype.value))
    raise TypeError(f"unexpected term {term!r}")


def to_oxigraph(term: Term) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"unexpected term {term!r}")


def solution_rows(solutions: ox.QuerySolutions) -> list[tuple[Term | None, ...]]:
    """A SELECT query's solutions as tuples of rdflib terms, in the order of its variables (None where unbound).

    Each distinct term is converted once: a typed literal costs microseconds to make (rdflib parses its value),
    and results repeat the same focus nodes, labels, types and dates many times. A solution is unpacked whole,
    which is several times cheaper than reading it variable by variable."""
    cache: dict[object, object] = {None: None}
    get = cache.get
    rows = []
    for solution in solutions:
        row = []
        for value in tuple(solution):  # type: ignore[arg-type]
            converted = get(value, cache)
            if converted is cache:
                converted = cache[value] = to_rdflib(value)
            row.append(converted)
        rows.append(tuple(row))
    return rows  # type: ignore[return-value]

"""Everything about one entity: labels, types, facts out and in — each fact with the passage that states it."""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import Literal, URIRef

from .namespaces import KH, PASSAGE, curie
from .render import cell
from .store import GraphStore, Term

_FACTS = f"""
SELECT ?s ?p ?o ?g ?line ?part WHERE {{
  ?s ?p ?o .
  OPTIONAL {{
    GRAPH ?g {{ ?s ?p ?o }}
    FILTER (STRSTARTS(STR(?g), "{str(PASSAGE)}"))
    OPTIONAL {{ ?g <https://w3id.org/khasan/ontology#line> ?line }}
    OPTIONAL {{ ?g <https://w3id.org/khasan/ontology#inPart> ?part }}
  }}
}} ORDER BY ?p ?o ?g
"""

_INCOMING = f"""
SELECT ?o ?s ?p ?g ?line WHERE {{
  ?s ?p ?o .
  OPTIONAL {{
    GRAPH ?g {{ ?s ?p ?o }}
    FILTER (STRSTARTS(STR(?g), "{str(PASSAGE)}"))
    OPTIONAL {{ ?g <https://w3id.org/khasan/ontology#line> ?line }}
  }}
}} ORDER BY ?p ?s ?g
"""


DERIVED = {KH.mentionedIn, KH.statedIn, KH.accordingTo}


@dataclass
class Fact:
    predicate: Term
    value: Term
    passage: Term | None = None
    line: Term | None = None
    part: Term | None = None

    def reference(self) -> str:
        if self.passage is None:
            return "derived by the build" if self.predicate in DERIVED else "editorial"
        where = f"{cell(self.passage)}"
        if self.line is not None:
            where += f", line {self.line}"
        if self.part is not None:
            where += f", {cell(self.part).split('-')[-1]}"
        return where


@dataclass
class Description:
    iri: URIRef
    outgoing: list[Fact] = field(default_factory=list)
    incoming: list[Fact] = field(default_factory=list)

    @property
    def exists(self) -> bool:
        return bool(self.outgoing or self.incoming)

    def text(self) -> str:
        lines = [curie(str(self.iri)).strip("<>")]
        lines.append(f"  <{self.iri}>")
        for f in self.outgoing:
            value = cell(f.value)
            if isinstance(f.value, Literal) and f.value.language:
                value = f'"{value}"@{f.value.language}'
            lines.append(f"  {cell(f.predicate)}  {value}    [{f.reference()}]")
        if self.incoming:
            lines.append("  referenced by:")
            for f in self.incoming:
                lines.append(f"    {cell(f.value)}  {cell(f.predicate)}    [{f.reference()}]")
        return "\n".join(lines)


def describe(store: GraphStore, iri: URIRef, *, inferred: bool = False) -> Description:
    d = Description(iri)
    for _, p, o, g, line, part in store.select(_FACTS, {"s": iri}, inferred=inferred).rows:
        d.outgoing.append(Fact(p, o, g, line, part))  # type: ignore[arg-type]
    for _, s, p, g, line in store.select(_INCOMING, {"o": iri}, inferred=inferred).rows:
        d.incoming.append(Fact(p, s, g, line))  # type: ignore[arg-type]
    return d

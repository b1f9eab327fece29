"""Links out: which of our entities are linked to Wikidata and DBpedia (or have coordinates), per class, and
where each link was found (graph/links/, kh:LinkRecord)."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass

from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, SKOS

from .load import load
from .namespaces import GEO, KH, curie
from .paths import Project

TARGETS = {"http://www.wikidata.org/entity/": "Wikidata", "http://dbpedia.org/resource/": "DBpedia"}
RELATIONS = (OWL.sameAs, SKOS.closeMatch)


@dataclass(frozen=True)
class Link:
    entity: URIRef
    relation: URIRef
    target: URIRef | None  # None for a geometry
    found_in: tuple[str, ...]


def dataset_of(target: URIRef | None) -> str:
    if target is None:
        return "coordinates"
    for prefix, name in TARGETS.items():
        if str(target).startswith(prefix):
            return name
    return "other"


def links(data: Graph) -> list[Link]:
    """Every owl:sameAs / skos:closeMatch from one of our entities, and every geometry, with its record's sources."""
    found: dict[tuple[URIRef, URIRef, URIRef | None], set[str]] = defaultdict(set)
    for rec in data.subjects(RDF.type, KH.LinkRecord):
        entity, relation = data.value(rec, KH.linkedEntity), data.value(rec, KH.linkRelation)
        key = (entity, relation, data.value(rec, KH.linkTarget))
        found[key] |= {str(o) for o in data.objects(rec, KH.foundIn)}  # type: ignore[index]
    out = []
    for relation in RELATIONS:
        for s, o in data.subject_objects(relation):
            if str(s).startswith("https://w3id.org/khasan/id/") and isinstance(o, URIRef):
                out.append(Link(s, relation, o, tuple(sorted(found.get((s, relation, o), ())))))  # type: ignore[arg-type]
    for s in set(data.subjects(GEO.hasGeometry, None)):
        out.append(Link(s, GEO.hasGeometry, None, tuple(sorted(found.get((s, GEO.hasGeometry, None), ())))))  # type: ignore[arg-type]
    return sorted(out, key=lambda link: (str(link.entity), str(link.relation), str(link.target)))


def summary(data: Graph) -> dict[str, dict[str, object]]:
    """Per class of ours: how many entities it has, how many are linked, and the links per dataset and relation."""
    per_class: dict[str, dict[str, object]] = {}
    found = links(data)
    linked_by_entity: dict[URIRef, list[Link]] = defaultdict(list)
    for link in found:
        linked_by_entity[link.entity].append(link)
    for cls in sorted({o for o in data.objects(None, RDF.type) if str(o).startswith(str(KH))}):
        members = set(data.subjects(RDF.type, cls))
        linked = [e for e in members if e in linked_by_entity]
        if not linked:
            continue
        to: Counter[str] = Counter()
        for e in linked:
            for link in linked_by_entity[e]:
                to[f"{dataset_of(link.target)} ({curie(str(link.relation))})"] += 1
        per_class[curie(str(cls))] = {
            "entities": len(members), "linked": len(linked), "links": dict(sorted(to.items()))}
    return per_class


def report(fmt: str = "text", project: Project | None = None) -> str:
    """The ``khasan-kg links`` report, as text or JSON."""
    data = load(project or Project.locate()).union()
    per_class, found = summary(data), links(data)
    if fmt == "json":
        return json.dumps({
            "per_class": per_class,
            "links": [{"entity": str(x.entity), "relation": str(x.relation),
                       "target": str(x.target) if x.target else None, "found_in": list(x.found_in)} for x in found],
        }, indent=2, ensure_ascii=False)
    lines = [f"{len(found)} links out from {len({x.entity for x in found})} entities", "", "per class:"]
    for cls, row in per_class.items():
        parts = ", ".join(f"{k} {v}" for k, v in row["links"].items())  # type: ignore[attr-defined]
        lines.append(f"  {cls:24} {row['linked']} of {row['entities']} linked: {parts}")
    lines += ["", "links:"]
    for x in found:
        target = curie(str(x.target)) if x.target else "(point)"
        where = ", ".join(x.found_in) or "NO RECORD"
        lines.append(f"  {curie(str(x.entity))} {curie(str(x.relation))} {target}    [found in: {where}]")
    return "\n".join(lines)

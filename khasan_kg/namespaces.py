"""Namespaces of the ontology, the instances and the vocabularies it aligns to."""

from __future__ import annotations

from rdflib import Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, ORG, OWL, PROV, RDF, RDFS, SKOS, VANN, XSD

KH = Namespace("https://w3id.org/khasan/ontology#")
ONTOLOGY_IRI = "https://w3id.org/khasan/ontology"
ID = "https://w3id.org/khasan/id/"
PASSAGE = Namespace(ID + "passage/55b75445-")
DOC = Namespace(ID + "document/")
SOURCE_DOC = DOC["source-55b75445"]
GRAPH_NS = Namespace(ID + "graph/")

# Graphs the build adds beside the asserted data (default graph and one graph per passage).
ONTOLOGY_GRAPH = URIRef(ONTOLOGY_IRI)  # the ontology, as published
INFERRED_GRAPH = GRAPH_NS["inferred"]  # the kept entailments
DERIVED_GRAPH = GRAPH_NS["derived"]  # provenance and OWL-Time the build derives; exported in the default graph
ALL_GRAPH = GRAPH_NS["all"]  # asserted + derived + ontology merged as a set: the default graph of queries
BUILD_GRAPHS = frozenset(str(g) for g in (ONTOLOGY_GRAPH, INFERRED_GRAPH, DERIVED_GRAPH, ALL_GRAPH))

SEM = Namespace("http://semanticweb.cs.vu.nl/2009/11/sem/")
SCHEMA = Namespace("https://schema.org/")
GEO = Namespace("http://www.opengis.net/ont/geosparql#")
OA = Namespace("http://www.w3.org/ns/oa#")
TIME = Namespace("http://www.w3.org/2006/time#")
SH = Namespace("http://www.w3.org/ns/shacl#")
WD = Namespace("http://www.wikidata.org/entity/")
DBR = Namespace("http://dbpedia.org/resource/")

# Prefixes for instance IRIs, one per kind (graph/README.md, "Minting IRIs").
INSTANCE_PREFIXES = {
    "person": ID + "person/",
    "actor": ID + "actor/",
    "unit": ID + "unit/",
    "place": ID + "place/",
    "event": ID + "event/",
    "equip": ID + "equipment/",
    "fig": ID + "figure/",
    "asg": ID + "assignment/",
    "rank": ID + "rank/",
    "office": ID + "office/",
    "deco": ID + "decoration/",
    "doc": ID + "document/",
    "psg": str(PASSAGE),
}

PREFIXES: dict[str, str] = {
    "kh": str(KH),
    **INSTANCE_PREFIXES,
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "skos": str(SKOS),
    "dcterms": str(DCTERMS),
    "prov": str(PROV),
    "sem": str(SEM),
    "schema": str(SCHEMA),
    "foaf": str(FOAF),
    "org": str(ORG),
    "geo": str(GEO),
    "oa": str(OA),
    "time": str(TIME),
    "vann": str(VANN),
    "wd": str(WD),
    "dbr": str(DBR),
}


def bind_prefixes(graph) -> None:  # type: ignore[no-untyped-def]
    """Bind our prefixes on an rdflib graph or dataset, replacing rdflib's defaults where they clash."""
    for prefix, iri in PREFIXES.items():
        graph.bind(prefix, iri, override=True, replace=True)


def curie(iri: str) -> str:
    """The shortest CURIE for an IRI, or the IRI in angle brackets."""
    best = None
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and (best is None or len(ns) > len(PREFIXES[best])):
            local = iri[len(ns):]
            if local and all(ch.isalnum() or ch in "-_." for ch in local):
                best = prefix
    if best is None:
        return f"<{iri}>"
    return f"{best}:{iri[len(PREFIXES[best]):]}"


def expand(term: str) -> str | None:
    """The IRI for a CURIE such as ``unit:su-39th-rifle-corps`` or ``<…>``; None if it is neither."""
    term = term.strip()
    if term.startswith("<") and term.endswith(">"):
        return term[1:-1]
    if term.startswith(("http://", "https://", "urn:")):
        return term
    if ":" in term:
        prefix, local = term.split(":", 1)
        if prefix in PREFIXES:
            return PREFIXES[prefix] + local
    return None

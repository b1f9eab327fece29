"""Descriptions of the service for machines: VoID for the dataset, DCAT 3 for the downloads, SPARQL Service
Description for the endpoint. Built per base URL (the server may sit behind any host name)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, RDF, VOID, XSD

from ..namespaces import ID, KH, ONTOLOGY_IRI, bind_prefixes

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
DATASET = URIRef(ID + "dataset")
LICENCE = URIRef("https://creativecommons.org/licenses/by/4.0/")

DOWNLOAD_TYPES = {
    ".ttl": "text/turtle",
    ".trig": "application/trig",
    ".nt": "application/n-triples",
    ".nq": "application/n-quads",
    ".jsonld": "application/ld+json",
    ".json": "application/json",
    ".rdf": "application/rdf+xml",
}


def downloads(folder: Path | None) -> dict[str, dict[str, Any]]:
    """The build's files that may be downloaded: {name: {path, media_type, size, sha256}}, read once at start."""
    found: dict[str, dict[str, Any]] = {}
    if folder is None or not folder.is_dir():
        return found
    for path in sorted(folder.iterdir()):
        media = DOWNLOAD_TYPES.get(path.suffix)
        if media and path.is_file():
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            found[path.name] = {"path": path, "media_type": media, "size": path.stat().st_size, "sha256": digest}
    return found


def void_graph(base: str, stats: dict[str, Any], files: dict[str, dict[str, Any]], examples: list[str]) -> Graph:
    g = Graph()
    bind_prefixes(g)
    for prefix, ns in (("void", VOID), ("dcat", DCAT), ("sd", SD), ("spdx", SPDX), ("foaf", FOAF)):
        g.bind(prefix, ns)
    ds = DATASET
    g.add((ds, RDF.type, VOID.Dataset))
    g.add((ds, RDF.type, DCAT.Dataset))
    g.add((ds, DCTERMS.title, Literal("Lake Khasan 1938 knowledge graph", lang="en")))
    g.add((ds, DCTERMS.description, Literal(
        "People, units, places, events and figures of the Soviet–Japanese fighting at Lake Khasan (1938), each "
        "statement tied to the passage of the source that states it.", lang="en")))
    g.add((ds, DCTERMS.license, LICENCE))
    g.add((ds, FOAF.homepage, URIRef(base)))
    g.add((ds, VOID.sparqlEndpoint, URIRef(base + "sparql")))
    g.add((ds, VOID.uriSpace, Literal(ID)))
    g.add((ds, VOID.uriLookupEndpoint, URIRef(base + "id/")))
    g.add((ds, VOID.vocabulary, URIRef(ONTOLOGY_IRI)))
    for ns in sorted({p.rsplit("#", 1)[0] + "#" if "#" in p else p.rsplit("/", 1)[0] + "/"
                      for p, _ in stats["properties"]}):
        if ns != str(KH):
            g.add((ds, VOID.vocabulary, URIRef(ns)))
    g.add((ds, VOID.triples, Literal(stats["triples"], datatype=XSD.integer)))
    g.add((ds, VOID.entities, Literal(stats["entities"], datatype=XSD.integer)))
    g.add((ds, VOID.classes, Literal(len(stats["classes"]), datatype=XSD.integer)))
    g.add((ds, VOID.properties, Literal(len(stats["properties"]), datatype=XSD.integer)))
    for ex in examples:
        g.add((ds, VOID.exampleResource, URIRef(ex)))
    for cls, n in stats["classes"]:
        if cls.startswith(str(KH)):
            part = BNode()
            g.add((ds, VOID.classPartition, part))
            g.add((part, VOID["class"], URIRef(cls)))
            g.add((part, VOID.entities, Literal(n, datatype=XSD.integer)))
    for prop, n in stats["properties"]:
        part = BNode()
        g.add((ds, VOID.propertyPartition, part))
        g.add((part, VOID.property, URIRef(prop)))
        g.add((part, VOID.triples, Literal(n, datatype=XSD.integer)))
    for target in stats["sameas_targets"]:
        ls = URIRef(ID + "dataset/links/" + hashlib.sha1(target.encode()).hexdigest()[:10])
        g.add((ds, VOID.subset, ls))
        g.add((ls, RDF.type, VOID.Linkset))
        g.add((ls, VOID.linkPredicate, OWL.sameAs))
        g.add((ls, VOID.subjectsTarget, ds))
        g.add((ls, VOID.objectsTarget, URIRef(target)))
        g.add((ls, VOID.uriSpace, Literal(target)))
    if stats["sameas"]:
        g.add((ds, DCTERMS.relation, Literal(f"{stats['sameas']} owl:sameAs links out", lang="en")))
    for name, info in files.items():
        url = URIRef(base + "downloads/" + name)
        dist = URIRef(ID + "dataset/distribution/" + name)
        g.add((ds, VOID.dataDump, url))
        g.add((ds, DCAT.distribution, dist))
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCAT.downloadURL, url))
        g.add((dist, DCAT.mediaType, URIRef("https://www.iana.org/assignments/media-types/" + info["media_type"])))
        g.add((dist, DCAT.byteSize, Literal(info["size"], datatype=XSD.nonNegativeInteger)))
        g.add((dist, DCTERMS.title, Literal(name)))
        g.add((dist, DCTERMS.license, LICENCE))
        checksum = BNode()
        g.add((dist, SPDX.checksum, checksum))
        g.add((checksum, RDF.type, SPDX.Checksum))
        g.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
        g.add((checksum, SPDX.checksumValue, Literal(info["sha256"], datatype=XSD.hexBinary)))
    service = URIRef(base + "sparql")
    g.add((service, RDF.type, DCAT.DataService))
    g.add((service, DCAT.endpointURL, service))
    g.add((service, DCAT.servesDataset, ds))
    return g


def service_description(base: str, timeout: float, max_rows: int) -> Graph:
    g = Graph()
    bind_prefixes(g)
    g.bind("sd", SD)
    g.bind("void", VOID)
    svc = URIRef(base + "sparql")
    g.add((svc, RDF.type, SD.Service))
    g.add((svc, SD.endpoint, svc))
    g.add((svc, SD.supportedLanguage, SD.SPARQL11Query))
    g.add((svc, SD.feature, SD.UnionDefaultGraph))
    for fmt in ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV", "Turtle",
                "JSON-LD", "N-Triples", "RDF_XML"):
        g.add((svc, SD.resultFormat, URIRef("http://www.w3.org/ns/formats/" + fmt)))
    dataset = BNode()
    g.add((svc, SD.defaultDataset, dataset))
    g.add((dataset, RDF.type, SD.Dataset))
    g.add((dataset, DCTERMS.source, DATASET))
    g.add((svc, DCTERMS.description, Literal(
        f"Read-only. SPARQL Update, LOAD and SERVICE are refused, and FROM may name only this dataset's graphs. "
        f"The default graph is the union of all graphs. Queries stop after {timeout:g} s (504); answers longer than "
        f"{max_rows} rows or triples are cut there and say so in the header Khasan-Truncated.", lang="en")))
    return g

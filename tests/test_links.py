"""Do the links to Wikidata and DBpedia stand? Well formed, never two of our entities on one external IRI, and
every link with its record of where it was found."""

from __future__ import annotations

import json
import re
from collections import defaultdict

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, SKOS

from khasan_kg import links
from khasan_kg.load import load
from khasan_kg.namespaces import GEO, KH

WIKIDATA = re.compile(r"^http://www\.wikidata\.org/entity/Q[1-9][0-9]*$")
DBPEDIA = re.compile(r"^http://dbpedia\.org/resource/[^\s<>\"{}|^`\\]+$")
POINT = re.compile(r"^POINT\s*\((-?\d+(?:\.\d+)?) (-?\d+(?:\.\d+)?)\)$")


@pytest.fixture(scope="module")
def data(project) -> Graph:  # type: ignore[no-untyped-def]
    return load(project).union()


def test_there_are_links_and_the_battle_is_q697579(data: Graph) -> None:
    battle = URIRef("https://w3id.org/khasan/id/event/battle-of-lake-khasan")
    assert (battle, OWL.sameAs, URIRef("http://www.wikidata.org/entity/Q697579")) in data


def test_every_link_target_is_a_well_formed_wikidata_or_dbpedia_iri(data: Graph) -> None:
    found = links.links(data)
    assert found
    for link in found:
        if link.target is None:
            continue
        assert WIKIDATA.match(str(link.target)) or DBPEDIA.match(str(link.target)), link


def test_no_two_of_our_entities_claim_the_same_external_iri(data: Graph) -> None:
    claimed: dict[str, set[str]] = defaultdict(set)
    for relation in (OWL.sameAs, SKOS.closeMatch):
        for s, o in data.subject_objects(relation):
            if str(s).startswith("https://w3id.org/khasan/id/"):
                claimed[str(o)].add(str(s))
    shared = {target: sorted(ours) for target, ours in claimed.items() if len(ours) > 1}
    assert not shared, f"one external IRI, several entities of ours (a wrong owl:sameAs merges them): {shared}"


def test_every_link_has_its_record_of_where_it_was_found(data: Graph) -> None:
    missing = [link for link in links.links(data) if not link.found_in]
    assert not missing, f"links without a kh:LinkRecord / kh:foundIn: {missing}"


def test_every_record_describes_a_link_that_exists(data: Graph) -> None:
    for rec in data.subjects(RDF.type, KH.LinkRecord):
        entity, relation, target = (data.value(rec, p) for p in (KH.linkedEntity, KH.linkRelation, KH.linkTarget))
        note = data.value(rec, KH.linkNote)
        assert isinstance(note, Literal) and note.language, f"{rec}: needs a kh:linkNote with a language tag"
        if relation == GEO.hasGeometry:
            assert target is None and (entity, GEO.hasGeometry, None) in data, rec
        else:
            assert (entity, relation, target) in data, f"{rec} records a link the graph does not make"


def test_points_are_wgs84_longitude_then_latitude(data: Graph) -> None:
    for _, wkt in data.subject_objects(GEO.asWKT):
        m = POINT.match(str(wkt))
        assert m, f"not a WKT point: {wkt}"
        lon, lat = float(m.group(1)), float(m.group(2))
        assert -180 <= lon <= 180 and -90 <= lat <= 90, wkt
        # everything this graph is about lies in East Asia: a swapped pair would land elsewhere
        assert 100 <= lon <= 150 and 20 <= lat <= 55, f"{wkt}: longitude first?"


def test_the_report_counts_links_per_class(project) -> None:  # type: ignore[no-untyped-def]
    report = json.loads(links.report("json", project))
    assert report["per_class"]["kh:Conflict"]["links"]["Wikidata (owl:sameAs)"] >= 1
    text = links.report("text", project)
    assert "NO RECORD" not in text and "kh:Conflict" in text

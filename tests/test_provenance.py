"""Can every statement be traced to the passage of the source that states it — and does the passage say it?"""

from __future__ import annotations

import hashlib

from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS

from khasan_kg.namespaces import KH, OA, SOURCE_DOC
from khasan_kg.paths import SOURCE_SHA256
from khasan_kg.provenance import SurfaceFacts, data_graph_names, passage_span, statement_anchors
from khasan_kg.validate import value_properties

from .conftest import SOURCE


def test_the_document_is_the_one_the_graph_was_made_from(built) -> None:  # type: ignore[no-untyped-def]
    assert hashlib.sha256(SOURCE.read_bytes()).hexdigest() == SOURCE_SHA256
    g = built[0].asserted
    assert str(g.value(SOURCE_DOC, KH.sha256)) == SOURCE_SHA256


def test_every_passage_is_a_span_inside_the_text(built, source_text: str) -> None:  # type: ignore[no-untyped-def]
    names = data_graph_names(built[0].loaded.store)
    assert names
    for name in names:
        span = passage_span(name)
        assert span is not None, f"{name} is not a passage"
        assert 0 <= span.start < span.end <= len(source_text), name
        assert source_text[span.start : span.end].strip(), name


def test_every_passage_has_a_text_position_selector_and_a_part(built) -> None:  # type: ignore[no-untyped-def]
    result = built[0]
    g = result.asserted
    for graph in data_graph_names(result.loaded.store):
        name = URIRef(graph.value)
        selector = g.value(name, OA.hasSelector)
        span = passage_span(name)
        assert (selector, RDF.type, OA.TextPositionSelector) in g
        assert int(g.value(selector, OA.start)) == span.start and int(g.value(selector, OA.end)) == span.end
        assert g.value(name, KH.inPart) is not None and g.value(name, OA.hasSource) == SOURCE_DOC


def test_every_source_statement_is_mentioned_in_its_passage(built, source_text: str) -> None:  # type: ignore[no-untyped-def]
    loaded = built[0].loaded
    facts, values = SurfaceFacts(loaded.store), value_properties(loaded)
    checked, missing = 0, []
    for name in data_graph_names(loaded.store):
        span = passage_span(name)
        text = source_text[span.start : span.end].casefold()
        for q in loaded.store.quads_for_pattern(None, None, None, name):
            anchors = statement_anchors(facts, q.subject, q.predicate, q.object, values)
            if not anchors:  # an interpretive statement (side, role, qualifier…) or one naming nothing checkable
                continue
            checked += 1
            if not any(a.casefold() in text for a in anchors):
                missing.append(f"{name} {q.subject} {q.predicate} {q.object}")
    assert checked > 0
    assert missing == []


def test_every_entity_has_an_english_label_a_type_and_a_passage(built) -> None:  # type: ignore[no-untyped-def]
    g = built[0].asserted
    entities = {s for s in g.subjects(RDF.type, None) if isinstance(s, URIRef) and "/id/" in str(s) and "#" not in str(s)
                and "/passage/" not in str(s) and "/document/" not in str(s)}
    vocabulary = ("/rank/", "/office/", "/decoration/")
    for e in sorted(entities):
        if any(k in str(e) for k in ("/figure/", "/assignment/", "/link/")):  # records, named by what they link
            continue
        assert any(isinstance(label, Literal) and label.language == "en" for label in g.objects(e, RDFS.label)), e
        if not any(v in str(e) for v in vocabulary):
            assert g.value(e, KH.mentionedIn) is not None, f"{e} is mentioned in no passage"


def test_every_event_has_a_date_and_every_figure_a_source(built) -> None:  # type: ignore[no-untyped-def]
    g = built[0].with_inferred
    for event in g.subjects(RDF.type, KH.Event):
        assert g.value(event, KH.begin) is not None or g.value(event, KH.earliest) is not None, event
    for figure in g.subjects(RDF.type, KH.Figure):
        assert g.value(figure, KH.statedIn) is not None and g.value(figure, KH.accordingTo) is not None, figure
        assert g.value(figure, KH.side) is not None and g.value(figure, KH.about) is not None, figure

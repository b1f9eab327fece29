"""Which format does a client get for its Accept header, and which queries are refused before they run?"""

from __future__ import annotations

import pytest

from khasan_kg.web import conneg
from khasan_kg.web.sparql_protocol import Refused, check_query

CHROMIUM = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"


@pytest.mark.parametrize(
    ("accept", "offers", "expected"),
    [
        (CHROMIUM, conneg.DOCUMENT_FORMATS, "html"),
        ("text/turtle", conneg.DOCUMENT_FORMATS, "turtle"),
        ("application/ld+json", conneg.DOCUMENT_FORMATS, "jsonld"),
        ("application/n-triples", conneg.DOCUMENT_FORMATS, "nt"),
        ("application/rdf+xml", conneg.DOCUMENT_FORMATS, "rdfxml"),
        (None, conneg.DOCUMENT_FORMATS, "turtle"),  # curl's */*: Turtle, not HTML
        ("*/*", conneg.DOCUMENT_FORMATS, "turtle"),
        ("text/html;q=0.5, text/turtle;q=0.9", conneg.DOCUMENT_FORMATS, "turtle"),  # q-values honoured
        ("text/turtle;q=0.1, application/ld+json;q=0.2", conneg.DOCUMENT_FORMATS, "jsonld"),
        ("text/*;q=0.9, text/html;q=0.1", conneg.DOCUMENT_FORMATS, "turtle"),  # the most specific range wins
        ("application/json", conneg.DOCUMENT_FORMATS, "jsonld"),
        ("application/json", conneg.RESULT_FORMATS, "json"),
        ("application/sparql-results+xml", conneg.RESULT_FORMATS, "xml"),
        ("text/csv", conneg.RESULT_FORMATS, "csv"),
        ("text/tab-separated-values", conneg.RESULT_FORMATS, "tsv"),
        ("application/sparql-results+json;q=0.5, application/sparql-results+xml", conneg.RESULT_FORMATS, "xml"),
        ("image/png", conneg.RESULT_FORMATS, None),
        ("text/turtle;q=0", conneg.RDF_FORMATS, None),
    ],
)
def test_accept_header_picks_the_format(accept: str | None, offers: tuple[str, ...], expected: str | None) -> None:
    assert conneg.choose(accept, offers) == expected


def test_a_garbled_accept_header_falls_back_rather_than_failing() -> None:
    assert conneg.choose("garbage, ;;;, text/turtle;q=abc, */*", conneg.RDF_FORMATS) == "turtle"


def test_format_parameter_names_a_format_as_clients_send_it() -> None:
    assert conneg.from_format_param("ttl", conneg.RDF_FORMATS) == "turtle"
    assert conneg.from_format_param("application/sparql-results+json", conneg.RESULT_FORMATS) == "json"
    assert conneg.from_format_param("csv", conneg.RDF_FORMATS) is None


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
        "select * where { service   <http://127.0.0.1:9/> { ?s ?p ?o } }",
        "SELECT * WHERE { ?s ?p ?o .SERVICE <http://x/> { ?a ?b ?c } }",
        "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
        "LOAD <http://example.org/data.ttl>",
        "DROP ALL",
        "DELETE WHERE { ?s ?p ?o }",
        "SELECT * FROM <http://example.org/other> WHERE { ?s ?p ?o }",
        "PREFIX ex: <http://example.org/> SELECT * FROM NAMED ex:g WHERE { GRAPH ?g { ?s ?p ?o } }",
    ],
)
def test_update_load_service_and_outside_graphs_are_refused(query: str) -> None:
    with pytest.raises(Refused) as info:
        check_query(query)
    assert info.value.status == 403


@pytest.mark.parametrize(
    "query",
    [
        'SELECT * WHERE { ?s ?p "SERVICE <http://x/> INSERT" }',  # keywords inside a string are words, not clauses
        "SELECT * WHERE { ?s <http://example.org/LOAD> ?o }",  # ... or inside an IRI
        "PREFIX ex: <http://example.org/> SELECT ?service WHERE { ?service ex:delete ?o }",  # ... a variable, a name
        "# SERVICE in a comment\nSELECT * WHERE { ?s ?p ?o }",
        "SELECT * FROM <https://w3id.org/khasan/ontology> WHERE { ?s ?p ?o }",  # our own graphs may be named
        "PREFIX psg: <https://w3id.org/khasan/id/passage/> SELECT * FROM NAMED psg:x WHERE { GRAPH ?g { ?s ?p ?o } }",
    ],
)
def test_harmless_queries_that_look_alike_pass(query: str) -> None:
    check_query(query)

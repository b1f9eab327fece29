"""Can a linked-data engineer point SPARQLWrapper, rdflib and plain HTTP at `khasan-kg serve` and get standard answers?

One real server (uvicorn on 127.0.0.1, two query workers, a 2 s timeout) serves the real build for the whole module.
"""

from __future__ import annotations

import csv
import io
import json
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import httpx
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS

from tests.server_helpers import dist_folder, running_server

ID = "https://w3id.org/khasan/id/"
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"  # ~10^11 rows: never finishes in time
JSON_RESULTS = "application/sparql-results+json"
LABELS_TH = """SELECT ?s ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label
               FILTER (lang(?label) = "th") } ORDER BY ?s LIMIT 5"""


@pytest.fixture(scope="module")
def dist(request: pytest.FixtureRequest) -> Path:
    return dist_folder(request)


@pytest.fixture(scope="module")
def base(dist: Path) -> Iterator[str]:
    with running_server(dist, timeout=2.0, workers=2, max_rows=500) as url:
        yield url


@pytest.fixture(scope="module")
def client(base: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base, timeout=30, follow_redirects=False) as c:
        yield c


@pytest.fixture(scope="module")
def a_unit(client: httpx.Client) -> str:
    """Some unit of the graph (the data changes as curators work: ask rather than hard-code)."""
    q = """PREFIX kh: <https://w3id.org/khasan/ontology#>
           SELECT ?u WHERE { ?u a kh:MilitaryUnit FILTER EXISTS { ?u kh:directlySubordinateTo ?p } }
           ORDER BY ?u LIMIT 1"""
    r = client.get("/sparql", params={"query": q}, headers={"Accept": JSON_RESULTS})
    return r.json()["results"]["bindings"][0]["u"]["value"]


# --- the SPARQL 1.1 Protocol, by the clients people use ---------------------------------------------------------------


def test_sparqlwrapper_gets_select_results_as_json(base: str) -> None:
    from SPARQLWrapper import JSON, SPARQLWrapper

    sw = SPARQLWrapper(base + "sparql")
    sw.setQuery(LABELS_TH)
    sw.setReturnFormat(JSON)
    data = sw.query().convert()
    labels = [b["label"] for b in data["results"]["bindings"]]
    assert labels and all(lab["xml:lang"] == "th" for lab in labels)
    assert any("\u0e00" <= ch <= "\u0e7f" for lab in labels for ch in lab["value"])  # Thai letters intact


def test_sparqlwrapper_posts_and_gets_xml_and_construct_turtle(base: str) -> None:
    from SPARQLWrapper import POST, TURTLE, XML, SPARQLWrapper

    sw = SPARQLWrapper(base + "sparql")
    sw.setMethod(POST)
    sw.setQuery("ASK { ?s a <https://w3id.org/khasan/ontology#MilitaryUnit> }")
    sw.setReturnFormat(XML)
    doc = sw.query().convert()
    assert doc.getElementsByTagName("boolean")[0].firstChild.data == "true"
    sw.setQuery("PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> CONSTRUCT { ?s rdfs:label ?l } WHERE { "
                "?s a <https://w3id.org/khasan/ontology#MilitaryUnit> ; rdfs:label ?l }")
    sw.setReturnFormat(TURTLE)
    g = Graph().parse(data=sw.query().convert(), format="turtle")
    assert len(g) > 5


def test_rdflib_sparqlstore_queries_the_endpoint(base: str) -> None:
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    g = Graph(store=SPARQLStore(base + "sparql", returnFormat="json"))
    rows = list(g.query(LABELS_TH))
    assert rows and all(isinstance(r[1], Literal) and r[1].language == "th" for r in rows)


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        ("application/sparql-results+json", "application/sparql-results+json"),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv", "text/csv"),
        ("text/tab-separated-values", "text/tab-separated-values"),
        ("text/csv;q=0.4, application/sparql-results+xml;q=0.8", "application/sparql-results+xml"),
    ],
)
def test_select_results_in_each_format_by_accept(client: httpx.Client, accept: str, media: str) -> None:
    r = client.get("/sparql", params={"query": LABELS_TH}, headers={"Accept": accept})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith(media)
    assert "Accept" in r.headers["vary"]
    text = r.content.decode("utf-8")
    if media.endswith("json"):
        assert len(json.loads(text)["results"]["bindings"]) == 5
    elif media.endswith("xml"):
        assert len(ElementTree.fromstring(text).findall(".//{http://www.w3.org/2005/sparql-results#}result")) == 5
    elif media == "text/csv":
        rows = list(csv.reader(io.StringIO(text)))
        assert rows[0] == ["s", "label"] and len(rows) == 6
    else:
        lines = text.strip().split("\n")
        assert lines[0] == "?s\t?label" and lines[1].endswith("@th")


@pytest.mark.parametrize(
    ("accept", "fmt"),
    [("text/turtle", "turtle"), ("application/ld+json", "json-ld"), ("application/n-triples", "nt"),
     ("application/rdf+xml", "xml")],
)
def test_construct_answers_in_each_rdf_format_with_thai_intact(client: httpx.Client, accept: str, fmt: str) -> None:
    q = """CONSTRUCT { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l } WHERE {
             ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l FILTER (lang(?l) = "th") }"""
    r = client.post("/sparql", content=q.encode(),
                    headers={"Content-Type": "application/sparql-query", "Accept": accept})
    assert r.status_code == 200, r.text
    g = Graph().parse(data=r.content, format=fmt)
    thai = [o for o in g.objects(None, RDFS.label) if isinstance(o, Literal) and o.language == "th"]
    # some @th labels are Latin (the source prints foreign names so): look for Thai script in any of them
    assert thai and any("\u0e00" <= ch <= "\u0e7f" for label in thai for ch in str(label))
    if fmt == "json-ld":  # compacted with our context, not a flat @graph with every prefix spelt out
        assert "@context" in json.loads(r.text)


def test_the_merged_asserted_graph_can_be_asked_for_by_name(client: httpx.Client, dist: Path) -> None:
    """default-graph-uri=…/graph/all (the graph a push fills) gives the asserted graph: khasan.nt, no entailments."""
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    counts = []
    for params in ({"query": query, "default-graph-uri": f"{ID}graph/all"}, {"query": query}):
        r = client.get("/sparql", params=params, headers={"Accept": JSON_RESULTS})
        assert r.status_code == 200, r.text
        counts.append(int(r.json()["results"]["bindings"][0]["n"]["value"]))
    asserted = len((dist / "khasan.nt").read_bytes().splitlines())
    assert counts[0] == asserted < counts[1]


def test_form_post_is_answered(client: httpx.Client) -> None:
    r = client.post("/sparql", data={"query": "ASK { ?s ?p ?o }"}, headers={"Accept": JSON_RESULTS})
    assert r.status_code == 200 and r.json()["boolean"] is True


def test_no_query_gives_the_service_description(client: httpx.Client) -> None:
    r = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    g = Graph().parse(data=r.text, format="turtle")
    sd = "http://www.w3.org/ns/sparql-service-description#"
    assert (None, None, URIRef(sd + "Service")) in g
    assert (None, URIRef(sd + "feature"), URIRef(sd + "UnionDefaultGraph")) in g


def test_cors_lets_browser_pages_elsewhere_query(client: httpx.Client) -> None:
    r = client.options("/sparql", headers={"Origin": "https://example.org", "Access-Control-Request-Method": "POST"})
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] in ("*", "https://example.org")
    r = client.get("/sparql", params={"query": "ASK {}"}, headers={"Origin": "https://example.org"})
    assert r.headers["access-control-allow-origin"] == "*"


# --- read-only, no outbound network, clear errors -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "kwargs"),
    [
        ("GET", {"params": {"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"}}),
        ("POST", {"data": {"update": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"}}),
        ("POST", {"content": b"DROP ALL", "headers": {"Content-Type": "application/sparql-update"}}),
        ("POST", {"content": b"LOAD <http://example.org/x.ttl>",
                  "headers": {"Content-Type": "application/sparql-query"}}),
        ("GET", {"params": {"query": "SELECT * FROM <http://example.org/g> WHERE { ?s ?p ?o }"}}),
        ("GET", {"params": {"query": "SELECT * WHERE { ?s ?p ?o }", "default-graph-uri": "http://example.org/g"}}),
    ],
)
def test_update_load_service_and_outside_graphs_are_refused(client: httpx.Client, method: str, kwargs: dict) -> None:
    r = client.request(method, "/sparql", **kwargs)
    assert r.status_code == 403, r.text
    assert "refused" in r.text


def test_a_malformed_query_gets_400_with_the_parsers_message(client: httpx.Client) -> None:
    r = client.get("/sparql", params={"query": "SELECT ?s WHERE { ?s ?p }"})
    assert r.status_code == 400
    assert "syntax error" in r.text and "1:" in r.text


def test_an_oversized_request_is_refused(client: httpx.Client) -> None:
    r = client.post("/sparql", content=b"#" * 200_000, headers={"Content-Type": "application/sparql-query"})
    assert r.status_code == 413


def test_a_slow_query_times_out_while_another_client_is_answered(client: httpx.Client, base: str) -> None:
    slow: dict[str, httpx.Response] = {}

    def run_slow() -> None:
        with httpx.Client(base_url=base, timeout=30) as c:
            slow["r"] = c.get("/sparql", params={"query": SLOW})

    t0 = time.monotonic()
    thread = threading.Thread(target=run_slow)
    thread.start()
    time.sleep(0.3)
    fast_times = []
    for _ in range(5):
        f0 = time.monotonic()
        r = client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}, headers={"Accept": JSON_RESULTS})
        fast_times.append(time.monotonic() - f0)
        assert r.status_code == 200 and r.json()["boolean"] is True
    thread.join(30)
    assert slow["r"].status_code == 504
    assert "timed out" in slow["r"].text
    assert 1.5 < time.monotonic() - t0 < 15
    assert max(fast_times) < 1.0, fast_times
    # the killed worker is replaced: the server still answers afterwards
    assert client.get("/sparql", params={"query": "ASK {}"}).status_code == 200


def test_a_truncated_answer_says_so(client: httpx.Client) -> None:
    r = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"}, headers={"Accept": "text/csv"})
    assert r.status_code == 200
    assert r.headers["khasan-truncated"].startswith("true")
    assert len(r.text.strip().split("\n")) == 501  # header + the 500-row limit this server was given
    small = client.get("/sparql", params={"query": LABELS_TH}, headers={"Accept": "text/csv"})
    assert "khasan-truncated" not in small.headers


# --- dereferencing IRIs (Cool URIs) -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "ext"),
    [("text/turtle", ".ttl"), ("application/ld+json", ".jsonld"), ("application/n-triples", ".nt"),
     ("application/rdf+xml", ".rdf"), ("text/html,application/xhtml+xml,*/*;q=0.8", ".html"),
     ("text/html;q=0.3, text/turtle;q=0.7", ".ttl")],
)
def test_an_iri_redirects_303_to_the_document_asked_for(client: httpx.Client, a_unit: str, accept: str,
                                                        ext: str) -> None:
    path = "/id/" + a_unit[len(ID):]
    r = client.get(path, headers={"Accept": accept})
    assert r.status_code == 303
    assert r.headers["location"] == path + ext
    assert "Accept" in r.headers["vary"]


@pytest.mark.parametrize("ext, fmt", [(".ttl", "turtle"), (".jsonld", "json-ld"), (".nt", "nt"), (".rdf", "xml")])
def test_each_document_holds_the_entitys_triples(client: httpx.Client, a_unit: str, ext: str, fmt: str) -> None:
    path = "/id/" + a_unit[len(ID):] + ext
    r = client.get(path)
    assert r.status_code == 200
    assert r.headers["content-location"] == path
    g = Graph().parse(data=r.content, format=fmt)
    assert (URIRef(a_unit), RDFS.label, None) in g
    assert (URIRef(a_unit), URIRef("https://w3id.org/khasan/ontology#directlySubordinateTo"), None) in g


def test_following_the_redirect_with_rdflib_loads_the_entity(base: str, a_unit: str) -> None:
    g = Graph().parse(base + "id/" + a_unit[len(ID):], format="turtle")
    assert (URIRef(a_unit), None, None) in g


def test_an_unknown_iri_is_a_helpful_404(client: httpx.Client, a_unit: str) -> None:
    wrong = "/id/" + a_unit[len(ID):] + "x.html"  # a typo of a real unit
    r = client.get(wrong)
    assert r.status_code == 404
    assert "Nothing is known" in r.text and a_unit[len(ID):] in r.text  # suggests the right one
    assert client.get("/id/unit/nope.ttl").status_code == 404


def test_the_id_namespace_itself_answers_like_an_unknown_iri(client: httpx.Client) -> None:
    # "/id/." reaches the server as "/id"; it was a 307 to "/id/" (Starlette's slash redirect)
    for path in ("/id", "/id/"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 404 and "Nothing is known" in r.text, path


def test_the_entity_page_shows_facts_with_their_passages_in_thai_too(client: httpx.Client, a_unit: str) -> None:
    path = "/id/" + a_unit[len(ID):] + ".html"
    page = client.get(path)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "/id/passage/" in page.text  # each fact links to the passage that states it
    thai = client.get(path, params={"lang": "th"})
    assert 'lang="th"' in thai.text and any("\u0e00" <= ch <= "\u0e7f" for ch in thai.text)


def test_ontology_terms_dereference_to_documentation_and_rdf(client: httpx.Client) -> None:
    html = client.get("/ontology", headers={"Accept": "text/html"})
    assert html.status_code == 200 and 'id="MilitaryUnit"' in html.text
    ttl = client.get("/ontology", headers={"Accept": "text/turtle"})
    g = Graph().parse(data=ttl.text, format="turtle")
    assert (URIRef("https://w3id.org/khasan/ontology#MilitaryUnit"), RDFS.label, None) in g
    assert "Accept" in ttl.headers["vary"]


# --- about the dataset ----------------------------------------------------------------------------------------------


def test_void_describes_endpoint_dumps_uri_space_and_counts(client: httpx.Client, base: str) -> None:
    r = client.get("/.well-known/void", headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    g = Graph().parse(data=r.text, format="turtle")
    void = "http://rdfs.org/ns/void#"
    ds = URIRef(ID + "dataset")
    assert (ds, URIRef(void + "sparqlEndpoint"), URIRef(base + "sparql")) in g
    assert (ds, URIRef(void + "uriSpace"), Literal(ID)) in g
    assert int(g.value(ds, URIRef(void + "triples"))) > 1000
    assert list(g.objects(ds, URIRef(void + "exampleResource")))
    dumps = list(g.objects(ds, URIRef(void + "dataDump")))
    assert any(str(d).endswith("/downloads/khasan.ttl") for d in dumps)
    checksums = list(g.objects(None, URIRef("http://spdx.org/rdf/terms#checksumValue")))
    assert checksums


def test_downloads_are_served_with_their_checksum(client: httpx.Client, dist: Path) -> None:
    import hashlib

    r = client.get("/downloads/khasan.ttl")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
    assert hashlib.sha256(r.content).hexdigest() == hashlib.sha256((dist / "khasan.ttl").read_bytes()).hexdigest()


@pytest.mark.parametrize("path", ["/static/../server.py", "/static/%2e%2e/server.py", "/static/..%2fserver.py",
                                  "/downloads/..%2fkhasan.ttl", "/downloads/%2e%2e", "/static//etc/passwd"])
def test_no_path_traversal(client: httpx.Client, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 404
    assert b"def serve" not in r.content and b"root:" not in r.content


def test_the_json_ld_context_is_served_for_any_origin(client: httpx.Client) -> None:
    r = client.get("/context.jsonld")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/ld+json")
    assert r.headers["access-control-allow-origin"] == "*"
    assert r.json()["@context"]["kh"] == "https://w3id.org/khasan/ontology#"


@pytest.mark.parametrize("path, expected", [("/timeline", "Timeline"), ("/order-of-battle", "<svg"), ("/map", "Places"),
                                            ("/query", "command-chain"), ("/", "entities")])
def test_pages_for_people(client: httpx.Client, path: str, expected: str) -> None:
    r = client.get(path)
    assert r.status_code == 200 and expected in r.text
    # everything a page loads ships with the package: no script, style or image from elsewhere
    assert not re.search(r'(src|href)="(https?:)?//', r.text.split("<main>")[0])
    assert not re.search(r'<(script|img|link)[^>]+(src|href)="(https?:)?//', r.text)

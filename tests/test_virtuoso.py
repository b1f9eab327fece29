"""Does the graph answer the same on a real triple store? A fresh Virtuoso Open Source (Debian's
virtuoso-opensource) on 127.0.0.1: push the build through the Graph Store Protocol, then ask every named query
there and embedded, and compare the answers as bags of rows.

Values are compared as what they mean, not as how each store spells them (notes/libraries.md): language tags in
lower case, numbers by value whatever their numeric type (Virtuoso answers booleans as 1/0 and COUNT as xsd:int),
plain and xsd:string literals alike, blank nodes only as "a blank node".
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal, InvalidOperation

import httpx
import pytest
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD

from khasan_kg import api, queries
from khasan_kg.remote import RemoteError, RemoteStore, push

from .test_queries import CASES
from .virtuoso_helpers import Virtuoso, require_virtuoso, start_virtuoso

NUMERIC = {XSD[t] for t in ("integer", "int", "long", "short", "byte", "decimal", "double", "float",
                            "nonNegativeInteger", "positiveInteger", "unsignedInt", "unsignedLong")}


def normalise(value: object) -> tuple[object, ...] | None:
    if value is None:
        return None
    if isinstance(value, URIRef):
        return ("iri", str(value))
    if isinstance(value, BNode):
        return ("bnode",)
    assert isinstance(value, Literal), value
    if value.language:
        return ("text", str(value), value.language.lower())
    if value.datatype == XSD.boolean:
        return ("number", Decimal(1 if str(value).strip().lower() in ("true", "1") else 0))
    if value.datatype in NUMERIC:
        try:
            return ("number", Decimal(str(value)).normalize())
        except InvalidOperation:
            return ("number", str(value))
    if value.datatype in (None, XSD.string):
        return ("text", str(value), "")
    return ("typed", str(value), str(value.datatype))


def normalise_rows(results) -> list[tuple[object, ...]]:  # type: ignore[no-untyped-def]
    return [tuple(normalise(v) for v in row) for row in results.rows]


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    require_virtuoso()
    server = start_virtuoso(tmp_path_factory.mktemp("virtuoso") / "db")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def pushed(virtuoso: Virtuoso, built) -> RemoteStore:  # type: ignore[no-untyped-def]
    push(virtuoso.graph_store, update_endpoint=virtuoso.sparql, source=built[0], quiet=True)
    remote = RemoteStore(virtuoso.sparql)
    yield remote
    remote.close()


def test_the_push_carries_every_quad_and_named_graph(pushed: RemoteStore, store) -> None:  # type: ignore[no-untyped-def]
    assert len(pushed) == len(store)
    assert api.stats(pushed) == api.stats(store)


@pytest.mark.parametrize("case,name,params", CASES, ids=[c[0] for c in CASES])
def test_named_query_answers_the_same_on_virtuoso(pushed, store, project, case, name, params) -> None:  # type: ignore[no-untyped-def]
    embedded = queries.run(store, project.queries_dir, name, params)
    remote = queries.run(pushed, project.queries_dir, name, params)
    assert remote.variables == embedded.variables
    only_embedded = Counter(normalise_rows(embedded)) - Counter(normalise_rows(remote))
    only_remote = Counter(normalise_rows(remote)) - Counter(normalise_rows(embedded))
    assert not only_embedded and not only_remote, (
        f"{case}: {sum(only_embedded.values())} rows only embedded, e.g. {list(only_embedded)[:2]}; "
        f"{sum(only_remote.values())} only on Virtuoso, e.g. {list(only_remote)[:2]}")
    assert embedded.rows, f"{case}: answered nothing, so the comparison proves nothing"


def test_describe_gives_each_fact_with_its_passage_remotely(pushed, store) -> None:  # type: ignore[no-untyped-def]
    here = api.describe("person:lyushkov", store=store)
    there = api.describe("person:lyushkov", store=pushed)
    # as sets: Oxigraph repeats a fact once per graph that holds it, Virtuoso merges the graphs as a set
    facts = lambda d: {(normalise(f.predicate), normalise(f.value), normalise(f.passage)) for f in d.outgoing}  # noqa: E731
    assert facts(there) == facts(here)
    assert any(f.passage is not None for f in there.outgoing)


def test_a_bound_value_is_data_not_query_text(pushed: RemoteStore) -> None:
    hostile = Literal('x" } } ; DROP ALL ; SELECT * { ?s ?p "')
    result = pushed.select("SELECT ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label }",
                           {"label": hostile})
    assert result.rows == []


class _FailingOn(httpx.BaseTransport):
    """The real network, except that request number ``n`` gets a 503, as from a proxy dying mid-push."""

    def __init__(self, n: int, method: str | None = None) -> None:
        self.inner, self.n, self.method, self.seen = httpx.HTTPTransport(), n, method, 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.method is None or request.method == self.method:
            self.seen += 1
            if self.seen == self.n:
                return httpx.Response(503, text="Service Unavailable (simulated)", request=request)
        return self.inner.handle_request(request)


def _staging_graphs(virtuoso: Virtuoso) -> list[str]:
    query = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } FILTER (CONTAINS(STR(?g), '/staging-')) }"
    answer = httpx.post(virtuoso.sparql, data={"query": query}, headers={"Accept": "application/sparql-results+json"})
    return [b["g"]["value"] for b in answer.json()["results"]["bindings"]]


@pytest.mark.parametrize("fail_on,method", [(300, "PUT"), (1, "POST")], ids=["mid-upload", "at-the-swap"])
def test_a_failed_push_leaves_the_remote_graph_as_it_was(virtuoso: Virtuoso, pushed: RemoteStore,  # type: ignore[no-untyped-def]
                                                          built, fail_on: int, method: str) -> None:
    probe = "SELECT (COUNT(*) AS ?n) WHERE { ?s a <https://w3id.org/khasan/ontology#Person> }"
    before, persons = len(pushed), pushed.select(probe).rows
    ds = built[0].dataset()
    ds.default_graph.remove((None, None, None))  # what would replace <G>: one triple instead of thousands
    ds.default_graph.add((URIRef("https://w3id.org/khasan/id/x"), URIRef("https://w3id.org/khasan/id/p"), Literal("y")))
    ds.graph(URIRef("https://w3id.org/khasan/id/graph/extra")).add(
        (URIRef("https://w3id.org/khasan/id/x"), URIRef("https://w3id.org/khasan/id/p"), Literal("x")))
    client = httpx.Client(transport=_FailingOn(fail_on, method), timeout=60)
    with pytest.raises(RemoteError) as caught:
        push(virtuoso.graph_store, update_endpoint=virtuoso.sparql, source=ds, quiet=True, client=client)
    assert "HTTP 503" in str(caught.value) and "127.0.0.1" in str(caught.value)
    fresh = RemoteStore(virtuoso.sparql)
    assert len(fresh) == before and fresh.select(probe).rows == persons
    assert _staging_graphs(virtuoso) == []


def test_a_wrong_endpoint_is_named_with_its_http_status(virtuoso: Virtuoso, built) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RemoteError, match=r"127\.0\.0\.1:\d+/no-such-store.* HTTP [45]\d\d"):
        push(virtuoso.base + "/no-such-store", source=built[0], quiet=True)


def test_an_unreachable_store_is_named_in_the_error() -> None:
    with pytest.raises(RemoteError, match=r"127\.0\.0\.1:9/sparql"):
        RemoteStore("http://127.0.0.1:9/sparql").select("SELECT * WHERE { ?s ?p ?o } LIMIT 1")

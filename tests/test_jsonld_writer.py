"""Does the fast JSON-LD writer say exactly what the graph says, to rdflib and to PyLD alike?"""

from __future__ import annotations

import io
import json
import random
import time
from collections.abc import Iterable

import pyoxigraph as ox
import pytest
import rdflib
from pyld import jsonld
from rdflib import Dataset, Graph

from khasan_kg.export import load_context
from khasan_kg.jsonld import write_jsonld
from khasan_kg.load import load
from khasan_kg.store import to_oxigraph

XSD = "http://www.w3.org/2001/XMLSchema#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
KH = "https://w3id.org/khasan/ontology#"
PERSON = "https://w3id.org/khasan/id/person/"
PASSAGE = "https://w3id.org/khasan/id/passage/55b75445-"
EX = "http://example.org/"

N = ox.NamedNode
TYPE, LABEL, NOTE, LINK, KNOWS = N(RDF + "type"), N(RDFS + "label"), N(KH + "note"), N(KH + "link"), N(KH + "knows")


def lit(value: str, datatype: str | None = None, lang: str | None = None) -> ox.Literal:
    if lang:
        return ox.Literal(value, language=lang)
    if datatype:
        return ox.Literal(value, datatype=N(datatype if ":" in datatype else XSD + datatype))
    return ox.Literal(value)


IVAN = N(PERSON + "ivan")
B1, B2, B3 = ox.BlankNode("chain1"), ox.BlankNode("chain2"), ox.BlankNode("chain3")
EDGE_CASES = [
    # several classes, one of them a blank node and one (oddly, but RDF allows it) a literal
    (IVAN, TYPE, N(KH + "Person")), (IVAN, TYPE, N(EX + "Human")), (IVAN, TYPE, B1), (IVAN, TYPE, lit("a literal class")),
    (IVAN, LABEL, lit("ทะเลสาบคาซาน", lang="th")), (IVAN, LABEL, lit("озеро Хасан", lang="ru")),
    (IVAN, LABEL, lit("Lake Khasan", lang="en-GB")), (IVAN, LABEL, lit("Lake Khasan", lang="en")),
    (IVAN, NOTE, lit('a "quote", a \\ backslash, a\nnewline, a\ttab, a\rreturn, \x01, \u2028 and \U0001f600')),
    (IVAN, NOTE, lit("")), (IVAN, NOTE, lit("  ")),
    # literals that look like IRIs, CURIEs, blank nodes or keywords stay strings
    (IVAN, NOTE, lit("https://example.org/not-a-link")), (IVAN, NOTE, lit("kh:Person")), (IVAN, NOTE, lit("_:b0")),
    (IVAN, NOTE, lit("@id")), (IVAN, NOTE, lit("42")), (IVAN, NOTE, lit("true")),
    (IVAN, NOTE, lit("610000.0", "decimal")), (IVAN, NOTE, lit("1938-07-29", "date")),
    (IVAN, NOTE, lit("1938-07-29T10:00:00+09:00", "dateTime")), (IVAN, NOTE, lit("1938", "gYear")),
    (IVAN, NOTE, lit("42", "integer")), (IVAN, NOTE, lit("-7", "integer")), (IVAN, NOTE, lit("0", "integer")),
    (IVAN, NOTE, lit("007", "integer")), (IVAN, NOTE, lit("+5", "integer")), (IVAN, NOTE, lit("-0", "integer")),
    (IVAN, NOTE, lit("123456789012345678901234567890", "integer")), (IVAN, NOTE, lit("42", "nonNegativeInteger")),
    (IVAN, NOTE, lit("true", "boolean")), (IVAN, NOTE, lit("false", "boolean")), (IVAN, NOTE, lit("1", "boolean")),
    (IVAN, NOTE, lit("1.5E3", "double")),  # non-canonical doubles: see test_doubles_keep_their_lexical_form
    (IVAN, NOTE, lit("x-17", EX + "code")), (IVAN, NOTE, lit("y", KH + "Code")),
    # a chain of blank nodes that loops back on itself
    (IVAN, KNOWS, B1), (B1, KNOWS, B2), (B2, KNOWS, B3), (B3, KNOWS, B1), (B2, LABEL, lit("the middle one")),
    # IRIs whose local part a CURIE cannot carry, or that no prefix fits
    (IVAN, LINK, N(PERSON + "a/b")), (IVAN, LINK, N(PERSON + "a#b")), (IVAN, LINK, N(PERSON + "a(b)")),
    (IVAN, LINK, N(KH + "//x")), (IVAN, LINK, N(PERSON)), (IVAN, LINK, N(EX + "no-prefix")),
    (IVAN, LINK, N("urn:uuid:6ba7b810-9dad-11d1-80b4-00c04fd430c8")), (IVAN, LINK, N("mailto:someone@example.org")),
    (IVAN, LINK, N(PASSAGE + "42052-42066")), (IVAN, LINK, N(PASSAGE + "42052-42066#selector")),
    (IVAN, N(EX + "pred(x)"), lit("a predicate no prefix fits")), (IVAN, N(KH + "a/b"), lit("a slashed predicate")),
    (N(PERSON + "Иван"), LABEL, lit("a Cyrillic IRI")), (N(PERSON + "a(b)"), LABEL, lit("a subject with a paren")),
    (N("urn:uuid:6ba7b810-9dad-11d1-80b4-00c04fd430c8"), LABEL, lit("a URN subject")),
    (IVAN, N(RDF + "first"), lit("a list cell, written as plain triples")), (IVAN, N(RDF + "rest"), N(RDF + "nil")),
]


def triples_of(rows: Iterable[tuple[object, object, object]]) -> list[ox.Triple]:
    return [ox.Triple(s, p, o) for s, p, o in rows]  # type: ignore[arg-type]


def canonical(quads: Iterable[ox.Triple | ox.Quad]) -> set[str]:
    """The quads with blank nodes relabelled by RDFC-1.0 (Oxigraph's, in Rust: rdflib's isomorphic() takes minutes
    on the real graph's blank nodes), as N-Quads lines: equal sets mean isomorphic graphs, literal forms exact."""
    dataset = ox.Dataset([t if isinstance(t, ox.Quad) else ox.Quad(t.subject, t.predicate, t.object) for t in quads])
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return {str(q) for q in dataset}


def no_remote_documents(url: str, options: object = None) -> object:
    raise AssertionError(f"PyLD tried to fetch {url}: the context should be embedded")


def pyld_nquads(data: bytes) -> str:
    return jsonld.to_rdf(json.loads(data), {"format": "application/n-quads", "documentLoader": no_remote_documents})


def read_back(data: bytes, reader: str) -> list[ox.Quad]:
    """What a JSON-LD processor reads from ``data``, exactly: rdflib's literals are not normalised ("007" stays
    "007"), PyLD's N-Quads are parsed by Oxigraph."""
    if reader == "pyld":
        return list(ox.parse(pyld_nquads(data), format=ox.RdfFormat.N_QUADS))
    normalize = rdflib.NORMALIZE_LITERALS
    rdflib.NORMALIZE_LITERALS = False
    try:
        ds = Dataset()
        ds.parse(data=data, format="json-ld")
    finally:
        rdflib.NORMALIZE_LITERALS = normalize
    default = ds.default_graph.identifier
    return [ox.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o),  # type: ignore[arg-type]
                    ox.DefaultGraph() if g == default else to_oxigraph(g))  # type: ignore[arg-type]
            for s, p, o, g in ds.quads()]


def assert_same_graph(got: Iterable[ox.Triple | ox.Quad], expected: Iterable[ox.Triple | ox.Quad]) -> None:
    a, b = canonical(got), canonical(expected)
    if a != b:
        lines = [f"+ {q}" for q in sorted(a - b)][:20] + [f"- {q}" for q in sorted(b - a)][:20]
        pytest.fail(f"read back {len(a)} quads, expected {len(b)}:\n" + "\n".join(lines))


@pytest.fixture(scope="module")
def context() -> dict:  # type: ignore[type-arg]
    return load_context()


@pytest.fixture(scope="module")
def real() -> tuple[Graph, list[ox.Triple]]:
    graph = load().union()
    return graph, [ox.Triple(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o)) for s, p, o in graph]  # type: ignore[arg-type]


@pytest.mark.parametrize("reader", ["rdflib", "pyld"])
def test_the_real_graph_reads_back_as_the_same_graph(real, context, reader: str) -> None:  # type: ignore[no-untyped-def]
    graph, triples = real
    started = time.perf_counter()
    data = write_jsonld(triples, context)
    ours = time.perf_counter() - started
    assert data is not None
    assert_same_graph(read_back(data, reader), triples)
    if reader == "rdflib":
        started = time.perf_counter()
        graph.serialize(format="json-ld", context=context, auto_compact=True, indent=1)
        theirs = time.perf_counter() - started
        print(f"\n{len(triples)} triples: write_jsonld {ours * 1000:.0f} ms, rdflib {theirs * 1000:.0f} ms")


@pytest.mark.parametrize("reader", ["rdflib", "pyld"])
def test_awkward_literals_iris_and_blank_nodes_read_back_unchanged(context, reader: str) -> None:  # type: ignore[no-untyped-def]
    triples = triples_of(EDGE_CASES)
    data = write_jsonld(triples, context)
    assert data is not None
    assert_same_graph(read_back(data, reader), triples)


def test_the_same_triples_in_any_order_give_the_same_bytes(real, context) -> None:  # type: ignore[no-untyped-def]
    _, triples = real
    triples = triples + triples_of(EDGE_CASES)
    first = write_jsonld(triples, context)
    shuffled = list(reversed(triples)) + triples[:500]  # other order, some triples twice
    random.Random(7).shuffle(shuffled)
    as_quads = [ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in shuffled]
    assert write_jsonld(shuffled, context) == first
    assert write_jsonld(as_quads, context) == first


@pytest.mark.parametrize("cached", [1, 100_000])
def test_statements_sorted_by_subject_written_grouped_give_the_same_bytes(real, context, cached: int,
                                                                        monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The build writes khasan.jsonld from sorted N-Triples, grouped (one node's line at a time, small caches)."""
    import khasan_kg.jsonld

    _, triples = real
    triples = triples + triples_of(EDGE_CASES) + triples[:50]  # some statements twice
    by_subject = sorted(triples, key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
    monkeypatch.setattr(khasan_kg.jsonld, "_CACHED", cached)  # 1: the caches emptied after every node
    assert write_jsonld(by_subject, context, grouped=True) == write_jsonld(triples, context)
    g1 = N(EX + "graph/one")
    quads = [ox.Quad(t.subject, t.predicate, t.object, g) for g in (ox.DefaultGraph(), g1) for t in by_subject[:300]]
    assert write_jsonld(quads, context, grouped=True) == write_jsonld(reversed(quads), context)


def test_keys_types_and_ids_are_compact_iris(real, context) -> None:  # type: ignore[no-untyped-def]
    _, triples = real
    doc = json.loads(write_jsonld(triples, context))  # type: ignore[arg-type]
    nodes = doc["@graph"]
    assert doc["@context"] == context
    keys = {key for node in nodes for key in node}
    assert "rdfs:label" in keys and RDFS + "label" not in keys
    assert not [key for key in keys if key.startswith(KH)], "our properties should be kh: CURIEs"
    types = {t for node in nodes for t in ([node["@type"]] if isinstance(node.get("@type"), str) else node.get("@type", []))}
    assert "kh:Person" in types and not [t for t in types if t.startswith(KH)]
    assert any(node["@id"].startswith("unit:") for node in nodes)
    assert [node["@id"] for node in nodes] == sorted(node["@id"] for node in nodes)


def test_numbers_and_booleans_are_native_json_only_where_they_read_back_unchanged(context) -> None:  # type: ignore[no-untyped-def]
    doc = json.loads(write_jsonld(triples_of(EDGE_CASES), context))  # type: ignore[arg-type]
    notes = next(node for node in doc["@graph"] if node["@id"] == "person:ivan")["kh:note"]
    assert 42 in notes and -7 in notes and 0 in notes and True in notes and False in notes
    assert "42" in notes and "true" in notes, "strings that look like numbers stay strings"
    for kept in ("007", "+5", "-0", "123456789012345678901234567890"):
        assert {"@type": "xsd:integer", "@value": kept} in notes
    assert {"@type": "xsd:decimal", "@value": "610000.0"} in notes
    assert {"@type": "xsd:boolean", "@value": "1"} in notes
    assert {"@type": "http://example.org/code", "@value": "x-17"} in notes


def test_doubles_keep_their_lexical_form(context) -> None:  # type: ignore[no-untyped-def]
    triples = triples_of([(IVAN, NOTE, lit("1.0", "double")), (IVAN, NOTE, lit("NaN", "double")),
                          (IVAN, NOTE, lit("610000", "double"))])
    data = write_jsonld(triples, context)
    assert data is not None
    notes = json.loads(data)["@graph"][0]["kh:note"]
    assert {"@type": "xsd:double", "@value": "1.0"} in notes, "a native 1.0 would come back as 1.0E0"
    assert_same_graph(read_back(data, "rdflib"), triples)
    # PyLD rewrites even string-valued doubles to the canonical form ("1.0E0"; "NaN" it spoils to "NAN"), which
    # JSON-LD 1.1 asks only of native numbers (toRdf, Object to RDF step 10): nothing a writer can prevent.


def test_iris_a_curie_would_garble_are_written_in_full(context) -> None:  # type: ignore[no-untyped-def]
    doc = json.loads(write_jsonld(triples_of(EDGE_CASES), context))  # type: ignore[arg-type]
    ivan = next(node for node in doc["@graph"] if node["@id"] == "person:ivan")
    links = {link["@id"] for link in ivan["kh:link"]}
    # "kh://x" would be read as an absolute IRI; "psg:" is no prefix in JSON-LD 1.1 (its IRI ends with "-")
    assert {KH + "//x", PERSON + "a(b)", PERSON + "a/b", PERSON + "a#b", PERSON, PASSAGE + "42052-42066"} <= links
    assert KH + "a/b" in ivan and EX + "pred(x)" in ivan
    assert {"@id": "_:chain1"} in ivan["rdf:type"], "a blank node class is not written as an @type"


def test_an_iri_the_context_would_read_as_a_compact_iri_is_refused(context) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="kh:Person"):
        write_jsonld([ox.Triple(IVAN, TYPE, N("kh:Person"))], context)  # an IRI with the scheme "kh"


CONTEXTS_WITH_TRAPS = {
    "terms": {  # a key written as one of these terms would have its values coerced
        "kh": KH,
        "kh:knows": {"@id": KH + "knows", "@type": "@id"},  # the string "kh:Person" would become an IRI
        "kh:note": {"@id": KH + "note", "@type": XSD + "date"},  # 42 would become "42"^^xsd:date
        "label": {"@id": RDFS + "label", "@container": "@list"},
    },
    "defaults": {"kh": KH, "@language": "en", "@vocab": EX},  # every plain string would be tagged @en
}


@pytest.mark.parametrize("reader", ["rdflib", "pyld"])
@pytest.mark.parametrize("traps", CONTEXTS_WITH_TRAPS)
def test_terms_and_defaults_in_the_context_do_not_change_what_is_read(traps: str, reader: str) -> None:
    triples = triples_of([(IVAN, KNOWS, lit("kh:Person")), (IVAN, NOTE, lit("42", "integer")),
                          (IVAN, LABEL, lit("plain")), (IVAN, LABEL, lit("second")), (IVAN, TYPE, N(KH + "Person"))])
    data = write_jsonld(triples, CONTEXTS_WITH_TRAPS[traps])
    assert data is not None
    assert_same_graph(read_back(data, reader), triples)


def test_named_graphs_become_graph_objects(context) -> None:  # type: ignore[no-untyped-def]
    g1, g2 = N(EX + "graph/one"), N("https://w3id.org/khasan/id/document/source")
    quads = [
        ox.Quad(IVAN, LABEL, lit("in the default graph"), ox.DefaultGraph()),
        ox.Quad(IVAN, LABEL, lit("in graph one", lang="en"), g1),
        ox.Quad(IVAN, NOTE, lit("610000.0", "decimal"), g1),
        ox.Quad(N(PERSON + "olga"), KNOWS, IVAN, g2),
        ox.Quad(g1, LABEL, lit("graph one, described in the default graph"), ox.DefaultGraph()),
    ]
    data = write_jsonld(reversed(quads), context)
    assert data is not None
    assert_same_graph(read_back(data, "rdflib"), quads)
    assert_same_graph(read_back(data, "pyld"), quads)
    # the default graph's nodes first, then each named graph, all sorted by @id
    assert [node["@id"] for node in json.loads(data)["@graph"]] == ["http://example.org/graph/one", "person:ivan",
                                                                    "doc:source", "http://example.org/graph/one"]


def test_each_node_is_one_line_to_grep(real, context) -> None:  # type: ignore[no-untyped-def]
    _, triples = real
    text = write_jsonld(triples, context).decode("utf-8")  # type: ignore[union-attr]
    body = text.split('"@graph": [\n', 1)[1].rsplit("\n ]", 1)[0].split("\n")
    nodes = [json.loads(line.strip().rstrip(",")) for line in body]
    assert len(nodes) == len({t.subject for t in triples})
    assert sum(len(v) if isinstance(v, list) else 1 for node in nodes for k, v in node.items() if k != "@id") == len(triples)


def test_writing_to_a_stream_gives_the_same_bytes(real, context) -> None:  # type: ignore[no-untyped-def]
    _, triples = real
    sink = io.BytesIO()
    assert write_jsonld(triples, context, sink) is None
    assert sink.getvalue() == write_jsonld(triples, context)


def test_an_empty_graph_is_an_empty_document(context) -> None:  # type: ignore[no-untyped-def]
    doc = json.loads(write_jsonld([], context))  # type: ignore[arg-type]
    assert doc == {"@context": context, "@graph": []}


def test_rdf_12_triple_terms_are_refused_not_dropped(context) -> None:  # type: ignore[no-untyped-def]
    quoted = ox.Triple(IVAN, KNOWS, N(PERSON + "olga"))
    with pytest.raises(ValueError, match="triple terms"):
        write_jsonld([ox.Triple(N(EX + "claim"), N(EX + "says"), quoted)], context)

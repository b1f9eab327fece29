"""Does the SHACL-to-SPARQL compiler (khasan_kg/shaclsparql.py) give exactly pySHACL's validation results?

pySHACL (inference "none", advanced=True) is the reference. Each comparison takes the multiset of results from
both: focus node, sh:resultPath, sh:value, message, severity, constraint component and a stable key for the
source shape (its structure, as blank-node ids differ between the shapes graph and pySHACL's report). Nested
results (sh:detail) and SPARQL-constraint results are left out: the compiler does not run sh:sparql.
"""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest
from pyshacl import validate as pyshacl_validate
from rdflib import BNode, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, RDFS, SH
from rdflib.paths import AlternativePath, InvPath, SequencePath

from khasan_kg.load import load
from khasan_kg.paths import Project
from khasan_kg.shaclsparql import ShaclResult, Unsupported, compile_shapes, path_of, validate_store

ROOT = Path(__file__).resolve().parent.parent
SHAPE_FILES = sorted((ROOT / "tests" / "shapes").glob("*/*.trig"))
KH = "https://w3id.org/khasan/ontology#"
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")  # open: pytest probing a closed namespace warns

Key = tuple[object, ...]


# ------------------------------------------------------------------------------------------------ helpers


def _stored(terms: set[Literal]) -> dict[Literal, Literal]:
    """Each literal as an Oxigraph store gives it back: canonical lexical form ("2.0"^^xsd:decimal is "2"),
    integer-derived datatypes as xsd:integer, "x"^^xsd:string as "x". pySHACL's values are compared in this form:
    the compiler can only report what the store holds."""
    store = ox.Store()
    subject, predicate = ox.NamedNode("urn:s"), ox.NamedNode("urn:p")
    order = sorted(terms, key=repr)
    for i, term in enumerate(order):
        store.add(ox.Quad(subject, predicate, _ox(term), ox.NamedNode(f"urn:g{i}")))
    back = {}
    for quad in store:
        term = order[int(quad.graph_name.value.removeprefix("urn:g"))]
        lit = quad.object
        if lit.language:
            back[term] = Literal(lit.value, lang=lit.language)
        elif lit.datatype.value == str(XSD.string):
            back[term] = Literal(lit.value)
        else:
            back[term] = Literal(lit.value, datatype=URIRef(lit.datatype.value))
    return back


def _ox(term: object) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    assert isinstance(term, Literal)
    if term.language:
        return ox.Literal(str(term), language=term.language)
    if term.datatype is not None:
        return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
    return ox.Literal(str(term))


def _store(data: Graph) -> ox.Store:
    store = ox.Store()
    store.bulk_extend(ox.Quad(_ox(s), _ox(p), _ox(o)) for s, p, o in data)  # type: ignore[arg-type]
    return store


def _shape_key(graph: Graph, node: object, depth: int = 0) -> str:
    """A shape by its content: a blank node's triples, recursively (pySHACL copies them into its report)."""
    if isinstance(node, BNode) and depth < 12:
        parts = sorted(f"{p.n3()} {_shape_key(graph, o, depth + 1)}" for p, o in graph.predicate_objects(node))
        return "[" + " ; ".join(parts) + "]"
    return node.n3()  # type: ignore[attr-defined]


def _first_message(messages: list[Literal]) -> str | None:
    """The compiler reports one message: the first English (or untagged) one in code-point order."""
    if not messages:
        return None
    return str(min(messages, key=lambda m: (m.language not in (None, "en"), str(m))))


def _normalise(keys: list[Key]) -> Counter[Key]:
    literals = {t for k in keys for t in (k[0], k[2]) if isinstance(t, Literal)}
    stored = _stored(literals)
    return Counter(tuple(stored.get(t, t) if isinstance(t, Literal) else t for t in k) for k in keys)


def pyshacl_results(data: Graph, shapes: Graph) -> Counter[Key]:
    _, report, _ = pyshacl_validate(data, shacl_graph=shapes, inference="none", advanced=True)
    assert isinstance(report, Graph)
    nested = set(report.objects(None, SH.detail))
    keys = []
    for r in report.subjects(RDF.type, SH.ValidationResult):
        component = report.value(r, SH.sourceConstraintComponent)
        if r in nested or component == SH.SPARQLConstraintComponent:
            continue
        path = report.value(r, SH.resultPath)
        keys.append((
            report.value(r, SH.focusNode),
            path_of(report, path) if path is not None else None,
            report.value(r, SH.value),
            _first_message(list(report.objects(r, SH.resultMessage))),  # type: ignore[arg-type]
            report.value(r, SH.resultSeverity),
            component,
            _shape_key(report, report.value(r, SH.sourceShape)),
        ))
    return _normalise(keys)


def compiler_results(results: list[ShaclResult], shapes: Graph) -> Counter[Key]:
    return _normalise([
        (r.focus, r.path, r.value, r.message, r.severity, r.component, _shape_key(shapes, r.source_shape))
        for r in results
    ])


def without_sparql(shapes: Graph) -> Graph:
    """The shapes without sh:sparql (pySHACL runs those per focus node: slow, and out of scope here)."""
    out = Graph()
    for prefix, namespace in shapes.namespaces():
        out.bind(prefix, namespace, override=True)
    for triple in shapes:
        if triple[1] != SH.sparql:
            out.add(triple)
    return out


def assert_same_as_pyshacl(data: Graph, shapes: Graph) -> list[ShaclResult]:
    """Validate with both; the multisets of results must be equal. Returns the compiler's results."""
    results = validate_store(_store(data), compile_shapes(shapes))
    expected, got = pyshacl_results(data, shapes), compiler_results(results, shapes)
    missing, extra = expected - got, got - expected
    assert not missing and not extra, "\n".join(
        [f"only pySHACL: {k}" for k in sorted(missing, key=repr)] + [f"only compiler: {k}" for k in sorted(extra, key=repr)]
    )
    return results


# ------------------------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def shapes() -> Graph:
    """ontology/shapes.ttl without its SPARQL constraints (the same graph object for both validators)."""
    return without_sparql(Graph().parse(ROOT / "ontology" / "shapes.ttl", format="turtle"))


@pytest.fixture(scope="module")
def loaded():  # type: ignore[no-untyped-def]
    return load(Project(ROOT))


@pytest.fixture(scope="module")
def real_data(loaded) -> Graph:  # type: ignore[no-untyped-def]
    data = loaded.union() + loaded.ontology
    for prefix, namespace in loaded.ontology.namespaces():
        data.bind(prefix, namespace, override=True)
    return data


def with_ontology(loaded, turtle: str) -> Graph:  # type: ignore[no-untyped-def]
    """A small data graph: the ontology (for the class hierarchy) and the given TriG."""
    data = Graph()
    for prefix, namespace in loaded.ontology.namespaces():
        data.bind(prefix, namespace, override=True)
    for triple in loaded.ontology:
        data.add(triple)
    dataset = Dataset()
    dataset.parse(data=PREFIXES + turtle, format="trig")
    for s, p, o, _ in dataset.quads((None, None, None, None)):
        data.add((s, p, o))
    return data


PREFIXES = """
@prefix kh: <https://w3id.org/khasan/ontology#> .
@prefix ex: <https://w3id.org/khasan/id/test/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix oa: <http://www.w3.org/ns/oa#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
"""


# ------------------------------------------------------------------------------------------------ the real graph


def test_the_real_graph_gives_pyshacls_results(real_data: Graph, shapes: Graph) -> None:
    results = assert_same_as_pyshacl(real_data, shapes)
    # without the provenance the build derives, figures have no kh:statedIn: both validators say so
    assert results and all(r.component == SH.MinCountConstraintComponent for r in results)


def test_the_real_graph_with_derived_provenance_conforms_in_both(loaded, real_data: Graph, shapes: Graph) -> None:  # type: ignore[no-untyped-def]
    """As khasan_kg/validate.py validates it: with passages whose selectors have xsd:nonNegativeInteger offsets,
    which Oxigraph stores as xsd:integer."""
    from khasan_kg.provenance import SourceIndex, derive

    data = real_data + derive(loaded.dataset, SourceIndex(loaded.union()))
    assert any(True for _ in data.subjects(RDF.type, URIRef(KH + "Passage")))
    assert assert_same_as_pyshacl(data, shapes) == []


@pytest.mark.parametrize("path", SHAPE_FILES, ids=[f"{p.parent.name}/{p.stem}" for p in SHAPE_FILES])
def test_each_shape_test_file_gives_pyshacls_results(shapes: Graph, path: Path) -> None:
    """With graph/sources.ttl and the core files, as tests/test_shapes.py checks them."""
    project = Project(ROOT)
    base = [p for p in project.graph_files() if p.name in ("sources.ttl", "core.trig")]
    loaded = load(project, base + [path])
    assert_same_as_pyshacl(loaded.union() + loaded.ontology, shapes)


def test_all_shape_test_files_with_the_whole_graph_give_pyshacls_results(shapes: Graph) -> None:
    project = Project(ROOT)
    loaded = load(project, project.graph_files() + SHAPE_FILES)
    assert_same_as_pyshacl(loaded.union() + loaded.ontology, shapes)


# ------------------------------------------------------------------------------------------------ each constraint kind

# (id, TriG, component, focus, expected message) — the result the compiler must give, besides agreeing with pySHACL
BROKEN = [
    ("wrong date datatype", 'ex:e a kh:Battle ; rdfs:label "E"@en ; kh:date "July 1938" .',
     "OrConstraintComponent", "e", "a date is an xsd:date"),
    ("ill-typed date", 'ex:e a kh:Battle ; rdfs:label "E"@en ; kh:date "1938-13-45"^^xsd:date .',
     "OrConstraintComponent", "e", "a date is an xsd:date"),
    ("ill-typed earliest", 'ex:e a kh:Battle ; rdfs:label "E"@en ; kh:earliest "abc"^^xsd:date .',
     "DatatypeConstraintComponent", "e", "kh:earliest is an xsd:date"),
    ("event without a date", 'ex:e a kh:Battle ; rdfs:label "E"@en .',
     "OrConstraintComponent", "e", "an event needs a date"),
    ("missing label", "ex:p a kh:Person .", "QualifiedMinCountConstraintComponent", "p", "needs an English label"),
    ("only a Russian label", 'ex:p a kh:Person ; rdfs:label "Пётр"@ru .',
     "QualifiedMinCountConstraintComponent", "p", "needs an English label"),
    ("two English labels", 'ex:p a kh:Person ; rdfs:label "Piotr"@en , "Peter"@en-GB , "Pete"@EN .',
     "UniqueLangConstraintComponent", "p", "has two rdfs:label values in one language"),
    ("label without language", 'ex:p a kh:Person ; rdfs:label "Peter"@en , "Peter" .',
     "DatatypeConstraintComponent", "p", "a label needs a language tag"),
    ("a place as commander", 'ex:a a kh:CommandAssignment ; kh:commander ex:hill ; kh:commandedUnit ex:u . '
     'ex:hill a kh:Hill ; rdfs:label "Hill"@en . ex:u a kh:Regiment ; rdfs:label "U"@en .',
     "ClassConstraintComponent", "a", "a command assignment needs exactly one commander"),
    ("two commanders", 'ex:a a kh:CommandAssignment ; kh:commander ex:p1 , ex:p2 ; kh:commandedUnit ex:u . '
     'ex:p1 a kh:Person ; rdfs:label "P1"@en . ex:p2 a kh:Person ; rdfs:label "P2"@en . '
     'ex:u a kh:Regiment ; rdfs:label "U"@en .',
     "MaxCountConstraintComponent", "a", "a command assignment needs exactly one commander"),
    ("holder and commander of a tenure", 'ex:t a kh:Tenure ; kh:holder ex:p1 ; kh:commander ex:p2 . '
     'ex:p1 a kh:Person ; rdfs:label "P1"@en . ex:p2 a kh:Person ; rdfs:label "P2"@en .',
     "MaxCountConstraintComponent", "t", "a tenure needs exactly one holder"),
    ("bad qualifier", 'ex:f a kh:Figure ; kh:qualifier "roughly" ; kh:killed 3 .',
     "InConstraintComponent", "f", "kh:qualifier is one of"),
    ("birth date as a month", 'ex:p a kh:Person ; rdfs:label "P"@en ; kh:birthDate "1890-05"^^xsd:gYearMonth .',
     "OrConstraintComponent", "p", "a birth date is one xsd:date or xsd:gYear"),
    ("negative count", "ex:f a kh:Figure ; kh:killed -5 .", "NodeConstraintComponent", "f",
     "kh:killed must be a non-negative integer"),
    ("decimal count", 'ex:f a kh:Figure ; kh:wounded "12.5"^^xsd:decimal .', "NodeConstraintComponent", "f",
     "kh:wounded must be a non-negative integer"),
    ("ill-typed count", 'ex:f a kh:Figure ; kh:count "many"^^xsd:nonNegativeInteger .',
     "NodeConstraintComponent", "f", "kh:count must be a non-negative integer"),
    ("negative distance", 'ex:f a kh:Figure ; kh:distance "-1.5"^^xsd:decimal .', "NodeConstraintComponent",
     "f", "kh:distance must be a non-negative number"),
    ("link to another site", 'ex:l a kh:LinkRecord ; kh:linkedEntity <http://example.org/x> .',
     "PatternConstraintComponent", "l", "a link record names exactly one entity of this graph"),
    ("link entity as text", 'ex:l a kh:LinkRecord ; kh:linkedEntity "https://w3id.org/khasan/id/x" .',
     "NodeKindConstraintComponent", "l", "a link record names exactly one entity of this graph"),
    ("bad wikidata id", 'ex:l a kh:LinkRecord ; kh:linkTarget <http://www.wikidata.org/entity/Q0> .',
     "PatternConstraintComponent", "l", "a link target is one Wikidata entity"),
    ("participation of no event", "ex:pa a kh:Participation ; kh:participant ex:u . ex:u a kh:Regiment .",
     "MinCountConstraintComponent", "pa", "a participation belongs to exactly one event"),
    ("participation of two events", 'ex:e1 a kh:Battle ; rdfs:label "E1"@en ; kh:date "1938-07-29"^^xsd:date ; '
     'kh:participation ex:pa . ex:e2 a kh:Battle ; rdfs:label "E2"@en ; kh:date "1938-07-30"^^xsd:date ; '
     "kh:participation ex:pa . ex:pa kh:participant ex:u . ex:u a kh:Regiment .",
     "MaxCountConstraintComponent", "pa", "a participation belongs to exactly one event"),
    ("selector start as text", 'ex:ps a kh:Passage ; oa:hasSelector [ oa:start "five" ; oa:end "7"^^xsd:nonNegativeInteger ] .',
     "DatatypeConstraintComponent", "ps", "a passage's selector needs one oa:start"),
    ("disputed without a reason", 'ex:x kh:disputed "yes" .', "MinCountConstraintComponent", "x",
     "is flagged disputed but gives no kh:disputeReason"),
    ("Russian editorial note", 'ex:x kh:editorialNote "заметка"@ru .', "LanguageInConstraintComponent", "x",
     "an editorial note is English text"),
]


@pytest.mark.parametrize(("turtle", "component", "focus", "message"), [case[1:] for case in BROKEN],
                         ids=[case[0] for case in BROKEN])
def test_each_kind_of_broken_data_is_reported_as_pyshacl_reports_it(  # type: ignore[no-untyped-def]
    loaded, shapes: Graph, turtle: str, component: str, focus: str, message: str
) -> None:
    results = assert_same_as_pyshacl(with_ontology(loaded, turtle), shapes)
    wanted = URIRef("https://w3id.org/khasan/id/test/" + focus)
    assert any(r.component == SH[component] and r.focus == wanted and message in (r.message or "") for r in results), \
        "\n".join(str(r) for r in results)


def test_many_ill_typed_values_are_all_reported(loaded, shapes: Graph) -> None:  # type: ignore[no-untyped-def]
    """More failing values than fit a short test in the queries (the compiler then joins a VALUES list)."""
    dates = " , ".join(f'"1938-07-{day}x"^^xsd:date' for day in range(10, 30))
    turtle = f'ex:e a kh:Battle ; rdfs:label "E"@en ; kh:date "1938-07-29"^^xsd:date ; kh:earliest {dates} .'
    results = assert_same_as_pyshacl(with_ontology(loaded, turtle), shapes)
    assert len([r for r in results if r.component == SH.DatatypeConstraintComponent]) == 20


def test_a_complex_path_is_reported_as_an_rdflib_path(loaded, shapes: Graph) -> None:  # type: ignore[no-untyped-def]
    turtle = ("ex:t a kh:Tenure ; kh:holder ex:p1 ; kh:commander ex:p2 . ex:pa a kh:Participation . "
              'ex:ps a kh:Passage ; oa:hasSelector [ oa:start "five" ; oa:end "7"^^xsd:nonNegativeInteger ] .')
    paths = {r.path for r in assert_same_as_pyshacl(with_ontology(loaded, turtle), shapes)}
    assert AlternativePath(URIRef(KH + "holder"), URIRef(KH + "commander")) in paths
    assert InvPath(URIRef(KH + "participation")) in paths
    assert SequencePath(URIRef("http://www.w3.org/ns/oa#hasSelector"), URIRef("http://www.w3.org/ns/oa#start")) in paths


def test_a_fact_stated_in_two_named_graphs_counts_once(shapes: Graph) -> None:
    """Oxigraph's union of graphs is a bag: the compiler must count distinct values."""
    trig = PREFIXES + (
        'ex:p a kh:Person ; rdfs:label "P"@en . '
        'ex:g1 { ex:p kh:birthDate "1890-01-01"^^xsd:date ; rdfs:label "P"@en . } '
        'ex:g2 { ex:p kh:birthDate "1890-01-01"^^xsd:date ; rdfs:label "P"@en . }'
    )
    store = ox.Store()
    store.load(trig.encode(), format=ox.RdfFormat.TRIG)
    store.load(path=str(ROOT / "ontology" / "khasan.ttl"), format=ox.RdfFormat.TURTLE)
    assert validate_store(store, compile_shapes(shapes)) == []


def test_default_graph_restricts_the_data_graph(shapes: Graph) -> None:
    store = ox.Store()
    store.load(PREFIXES.encode() + b'ex:good { ex:p a kh:Person ; rdfs:label "P"@en . } '
               b'ex:bad { ex:p rdfs:label "Q"@en . }', format=ox.RdfFormat.TRIG)
    store.load(path=str(ROOT / "ontology" / "khasan.ttl"), format=ox.RdfFormat.TURTLE,
               to_graph=ox.NamedNode("urn:ontology"))
    compiled = compile_shapes(shapes)
    assert [r.component for r in validate_store(store, compiled)] == [SH.UniqueLangConstraintComponent]
    only_good = [URIRef("https://w3id.org/khasan/id/test/good"), "urn:ontology"]
    assert validate_store(store, compiled, default_graph=only_good) == []


# ------------------------------------------------------------------------------------------------ SHACL beyond shapes.ttl

ZOO_SHAPES = """
@prefix ex: <http://example.org/> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:Thing a rdfs:Class , sh:NodeShape ;
    sh:property [ sh:path ex:name ; sh:minLength 2 ; sh:maxLength 5 ] ,
        [ sh:path ex:name ; sh:pattern "^[a-z]+$" ; sh:flags "i" ] ,
        [ sh:path ex:tag ; sh:languageIn ( "en" "de" ) ] ,
        [ sh:path ex:tag ; sh:uniqueLang true ] ,
        [ sh:path ex:kind ; sh:nodeKind sh:BlankNodeOrIRI ] ,
        [ sh:path ex:kind ; sh:hasValue ex:good ] ,
        [ sh:path ex:kind ; sh:in ( ex:good ex:bad "lit" ) ; sh:message "kind is good, bad or lit" ] ,
        [ sh:path ex:size ; sh:minExclusive 0 ; sh:maxInclusive 10 ] ,
        [ sh:path ex:size ; sh:maxExclusive 100.5 ; sh:minInclusive -3 ] ,
        [ sh:path ex:when ; sh:maxInclusive "2000-01-01"^^xsd:date ] ,
        [ sh:path ex:word ; sh:minInclusive "b" ] ,
        [ sh:path ex:ref ; sh:class ex:Other ] ,
        [ sh:path ex:ref ; sh:xone ( [ sh:class ex:Other ] [ sh:nodeKind sh:IRI ] ) ] ,
        [ sh:path ex:ref ; sh:not [ sh:hasValue ex:forbidden ] ] ,
        [ sh:path ex:ref ; sh:and ( [ sh:nodeKind sh:IRI ] [ sh:pattern "thing" ] ) ; sh:message "and" ] ,
        [ sh:path ex:num ; sh:datatype xsd:integer ; sh:severity sh:Warning ] ,
        [ sh:path ex:bool ; sh:datatype xsd:boolean ; sh:message "not a boolean: {$this} {?value}" ] ,
        [ sh:path ex:any ; sh:datatype rdfs:Literal ] ,
        [ sh:path ex:str ; sh:datatype xsd:string ] ,
        [ sh:path ( ex:ref ex:name ) ; sh:minCount 1 ] ,
        [ sh:path [ sh:zeroOrMorePath ex:parent ] ; sh:maxCount 2 ] ,
        [ sh:path [ sh:oneOrMorePath ex:parent ] ; sh:class ex:Thing ] ,
        [ sh:path [ sh:inversePath ex:ref ] ; sh:maxCount 1 ] ,
        [ sh:path ex:off ; sh:minCount 1 ; sh:deactivated true ] ,
        [ sh:path ex:q ; sh:qualifiedValueShape [ sh:datatype xsd:integer ] ;
          sh:qualifiedMinCount 2 ; sh:qualifiedMaxCount 3 ] ,
        [ sh:path ex:q ; sh:qualifiedValueShape [ sh:datatype xsd:decimal ] ; sh:qualifiedMinCount 1 ;
          sh:qualifiedValueShapesDisjoint true ] ,
        [ sh:path ex:q ; sh:qualifiedValueShape [ sh:minInclusive 5 ] ; sh:qualifiedMinCount 1 ;
          sh:qualifiedValueShapesDisjoint true ] ,
        [ sh:path ex:nested ; sh:property [ sh:path ex:name ; sh:minCount 1 ; sh:severity sh:Info ] ] ,
        [ sh:path ex:nested ; sh:node ex:Named ] ,
        [ sh:path ex:parent ; sh:or ( ex:Named [ sh:path ex:tag ; sh:minCount 2 ] ) ] .
ex:Named a sh:NodeShape ; sh:property [ sh:path ex:name ; sh:minCount 1 ; sh:maxCount 2 ] ;
    sh:not [ sh:class ex:Other ] .
ex:NodeLevel a sh:NodeShape ; sh:targetNode ex:a , ex:zz , "literal" ; sh:nodeKind sh:IRI ; sh:hasValue ex:a ;
    sh:in ( ex:a ) ; sh:class ex:Thing ; sh:pattern "a$" .
ex:Objects a sh:NodeShape ; sh:targetObjectsOf ex:ref ; sh:datatype xsd:date ; sh:message "object {$this}"@en , "Objekt"@de .
ex:PropertyTarget a sh:PropertyShape ; sh:targetSubjectsOf ex:size ; sh:path ex:size ; sh:maxCount 1 .
ex:Off a sh:NodeShape ; sh:targetClass ex:Thing ; sh:deactivated true ; sh:nodeKind sh:Literal .
ex:Logic a sh:NodeShape ; sh:targetClass ex:Other ; sh:xone ( [ sh:class ex:Thing ] [ sh:class ex:Other ] ) ;
    sh:and ( [ sh:nodeKind sh:IRI ] ) ; sh:or ( [ sh:datatype xsd:date ] [ sh:class ex:Other ] ) ;
    sh:message "logic" .
"""

ZOO_DATA = """
@prefix ex: <http://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:Sub rdfs:subClassOf ex:Thing .
ex:a a ex:Thing ; ex:name "a", "abcdef", "ab1" ; ex:tag "x"@en, "y"@EN, "z"@fr, "w"@de-AT, "plain" ;
   ex:kind ex:good, "lit", [ ex:p 1 ] ; ex:size 0, 5, 11, "7", 200, "abc"^^xsd:integer, 2.5, 1e1 ;
   ex:when "1999-12-31"^^xsd:date, "2001-01-01"^^xsd:date, "1999-12-31T10:00:00"^^xsd:dateTime, "no"^^xsd:date ;
   ex:word "a", "c", 5 ; ex:ref ex:thing1, ex:forbidden, "lit", [ a ex:Other ] ;
   ex:num 1, "1.5"^^xsd:integer, 2.0 ; ex:bool true, "1"^^xsd:boolean, 5 ;
   ex:any "x", <http://example.org/iri> ; ex:str "s", "t"@en ;
   ex:parent ex:b ; ex:q 1, 2, 3, 4, 5.5, 6.5, 7 ; ex:nested ex:n1, ex:n2 .
ex:b a ex:Sub ; ex:parent ex:c ; ex:name "bb" ; ex:size 3 ; ex:ref ex:thing1 .
ex:c ex:parent ex:d ; ex:name "cc", "dd", "ee" ; ex:tag "t1"@en , "t2"@de .
ex:thing1 a ex:Thing , ex:Other ; ex:name "Thing" .
ex:n1 ex:name "n" .
ex:n2 a ex:Other .
ex:o a ex:Other .
ex:e a ex:Thing ; ex:q 1, 2 .
"""


def test_shacl_features_beyond_our_shapes_give_pyshacls_results_and_messages() -> None:
    """Paths of every kind, every supported constraint, pySHACL's default messages (no sh:message) and
    sh:message with placeholders, which pySHACL leaves as written for SHACL Core constraints."""
    shapes = Graph().parse(data=ZOO_SHAPES, format="turtle")
    data = Graph().parse(data=ZOO_DATA, format="turtle")
    for prefix, namespace in shapes.namespaces():
        data.bind(prefix, namespace, override=True)  # pySHACL writes data nodes with the data graph's prefixes
    results = assert_same_as_pyshacl(data, shapes)
    messages = {r.message for r in results}
    assert "not a boolean: {$this} {?value}" in messages
    assert "Less than 1 values on ex:e->( ex:ref ex:name )" in messages
    assert "Value does not match pattern '^[a-z]+$'" in messages
    assert "object {$this}" in messages  # the English one of two messages
    assert len(results) > 60


def test_oxigraph_integer_normalisation_is_read_as_the_original_datatype(loaded, shapes: Graph) -> None:  # type: ignore[no-untyped-def]
    """Oxigraph stores "5"^^xsd:nonNegativeInteger as "5"^^xsd:integer, so a stored xsd:integer passes a
    sh:datatype of a derived integer type when rdflib would accept its value as one. The one difference from
    pySHACL that follows: an offset written as xsd:integer is accepted too."""
    compiled = compile_shapes(shapes)

    def datatype_results(start: str) -> list[ShaclResult]:
        data = with_ontology(loaded, f"ex:ps a kh:Passage ; oa:hasSelector [ oa:start {start} ; oa:end \"7\"^^xsd:nonNegativeInteger ] .")
        return [r for r in validate_store(_store(data), compiled) if r.component == SH.DatatypeConstraintComponent]

    assert datatype_results('"5"^^xsd:nonNegativeInteger') == []
    assert [r.value for r in datatype_results('"-5"^^xsd:nonNegativeInteger')] == [Literal(-5)]
    assert datatype_results("5") == []  # pySHACL: "5"^^xsd:integer is not a xsd:nonNegativeInteger


# ------------------------------------------------------------------------------------------------ random damage


def _damage(data: Graph, seed: int, count: int) -> Graph:
    """The graph with ``count`` random edits: triples removed, objects replaced by odd values (wrong types,
    ill-typed literals, other entities, blank nodes), triples and types added."""
    rng = random.Random(seed)
    triples = sorted(data, key=str)
    entities = sorted({s for s, _, _ in triples if isinstance(s, URIRef)})
    classes = sorted({o for _, p, o in triples if p == RDF.type and str(o).startswith(KH)})
    predicates = sorted({p for _, p, _ in triples if str(p).startswith(KH)} | {RDFS.label})
    odd = [Literal("abc", datatype=XSD.date), Literal("12.5", datatype=XSD.decimal), Literal(-3), Literal(4),
           Literal("x"), Literal("y", lang="de"), Literal("z", lang="en"), Literal("1938-07-29", datatype=XSD.date),
           Literal("1938", datatype=XSD.gYear), Literal("1938-07-29T10:00:00", datatype=XSD.dateTime),
           Literal("exactly"), Literal("nonsense"), Literal(True), Literal("1.5", datatype=XSD.integer),
           URIRef("http://www.wikidata.org/entity/Q0"), URIRef("http://dbpedia.org/resource/X")]
    out = Graph()
    for triple in data:
        out.add(triple)
    for _ in range(count):
        s, p, o = rng.choice(triples)
        r = rng.random()
        if r < 0.3:
            out.remove((s, p, o))
        elif r < 0.6:
            out.remove((s, p, o))
            out.add((s, p, rng.choice([*odd, rng.choice(entities), rng.choice(classes), BNode()])))
        elif r < 0.8:
            out.add((rng.choice(entities), rng.choice(predicates), rng.choice([*odd, rng.choice(entities), BNode()])))
        else:
            out.add((rng.choice(entities), RDF.type, rng.choice(classes)))
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_randomly_damaged_real_graph_gives_pyshacls_results(real_data: Graph, shapes: Graph, seed: int) -> None:
    damaged = _damage(real_data, seed, 250)
    results = assert_same_as_pyshacl(damaged, shapes)
    assert len({r.component for r in results}) >= 5  # the damage reached several kinds of constraint


# ------------------------------------------------------------------------------------------------ how it runs


class _CountingStore:
    """A store that counts the queries it answers."""

    def __init__(self, store: ox.Store) -> None:
        self.store = store
        self.queries = 0

    def query(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.queries += 1
        return self.store.query(*args, **kwargs)


def test_the_number_of_queries_does_not_grow_with_the_focus_nodes(loaded, real_data: Graph, shapes: Graph) -> None:  # type: ignore[no-untyped-def]
    compiled = compile_shapes(shapes)
    small, large = _CountingStore(_store(with_ontology(loaded, ""))), _CountingStore(_store(real_data))
    validate_store(small, compiled)  # type: ignore[arg-type]
    validate_store(large, compiled)  # type: ignore[arg-type]
    assert small.queries == large.queries < 200


def test_our_shapes_compile_completely_with_their_sparql_constraints_left_to_the_caller() -> None:
    compiled = compile_shapes(Graph().parse(ROOT / "ontology" / "shapes.ttl", format="turtle"))
    assert compiled.unsupported == []
    khsh = "https://w3id.org/khasan/shapes#"
    assert sorted({str(shape) for shape, _ in compiled.sparql_constraints}) == [
        khsh + "FigureShape", khsh + "MilitaryUnitShape", khsh + "TimeSpanShape"]
    assert len(compiled.sparql_constraints) == 5


UNSUPPORTED_SHAPES = """
@prefix ex: <http://example.org/> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
ex:Closed a sh:NodeShape ; sh:targetClass ex:C ; sh:closed true ; sh:property [ sh:path ex:p ] .
ex:Equal a sh:NodeShape ; sh:targetClass ex:C ; sh:property [ sh:path ex:p ; sh:equals ex:q ] .
ex:UsesNested a sh:NodeShape ; sh:targetClass ex:C ; sh:property [ sh:path ex:p ; sh:node ex:WithSparql ] .
ex:WithSparql a sh:NodeShape ; sh:sparql [ sh:select "SELECT $this WHERE { }" ] .
ex:Fine a sh:NodeShape ; sh:targetClass ex:C ; sh:property [ sh:path ex:p ; sh:minCount 1 ] ;
    sh:sparql [ sh:select "SELECT $this WHERE { $this ex:p ex:q }" ] .
"""


def test_unsupported_shapes_are_recorded_for_pyshacl_and_the_rest_still_run() -> None:
    shapes = Graph().parse(data=UNSUPPORTED_SHAPES, format="turtle")
    compiled = compile_shapes(shapes)
    ex = "http://example.org/"
    reasons = {str(u.shape): u.feature for u in compiled.unsupported}
    assert set(reasons) == {ex + "Closed", ex + "Equal", ex + "UsesNested"}
    assert "sh:closed" in reasons[ex + "Closed"] and "sh:equals" in reasons[ex + "Equal"]
    assert "sh:sparql" in reasons[ex + "UsesNested"]
    assert [str(s) for s, _ in compiled.sparql_constraints] == [ex + "Fine"]
    residual = compiled.residual_shapes()
    assert (URIRef(ex + "Closed"), SH.closed, Literal(True)) in residual
    assert (URIRef(ex + "WithSparql"), RDF.type, SH.NodeShape) in residual  # what a residual shape refers to
    assert not any(True for _ in residual.triples((URIRef(ex + "Fine"), None, None)))
    with pytest.raises(Unsupported, match="sh:closed"):
        compiled.require_all()
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode(ex + "x"), ox.NamedNode(str(RDF.type)), ox.NamedNode(ex + "C")))
    assert [(str(r.focus), r.component) for r in validate_store(store, compiled)] == [
        (ex + "x", SH.MinCountConstraintComponent)]


def test_shacl_rules_cannot_be_compiled() -> None:
    shapes = Graph().parse(data="""@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
        ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:rule [ a sh:TripleRule ] .""", format="turtle")
    with pytest.raises(Unsupported, match="sh:rule"):
        compile_shapes(shapes)

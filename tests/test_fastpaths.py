"""Do the fast paths give the same answers as the reference (owlrl, pySHACL with every constraint, rdflib)?

Small generated graphs (benchmarks/generate.py), so that CI stays fast.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import XSD

from benchmarks.generate import make_project
from khasan_kg import fastreason, reason
from khasan_kg.build import run
from khasan_kg.errors import NotConforming
from khasan_kg.load import load
from khasan_kg.paths import Project
from khasan_kg.provenance import SourceIndex, derive
from khasan_kg.queries import library
from khasan_kg.store import GraphStore, dataset_to_nquads
from khasan_kg.validate import _reference, validate_loaded

KH = "https://w3id.org/khasan/ontology#"
ID = "https://w3id.org/khasan/id/"


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Project:
    out = tmp_path_factory.mktemp("gen") / "project"
    make_project(out, 1500)
    return Project(out)


def _asserted(project: Project) -> tuple[Graph, Graph]:
    loaded = load(project)
    return loaded.union() + derive(loaded.dataset, SourceIndex(loaded.union())), loaded.ontology


def test_the_fast_reasoner_keeps_exactly_the_entailments_owlrl_keeps(small: Project) -> None:
    data, ontology = _asserted(small)
    fast = set(fastreason.entailments(data, ontology))
    assert fast, "the generated graph should entail something"
    assert fast == set(reason.entailments(data, ontology))


def test_the_fast_reasoner_entails_the_command_chain_and_the_property_chains(small: Project) -> None:
    data, ontology = _asserted(small)
    kept = fastreason.entailments(data, ontology)
    company = URIRef(ID + "unit/gen-1-1-1-1-1-1")
    front = URIRef(ID + "unit/gen-1-1")
    assert (company, URIRef(KH + "subordinateTo"), front) in kept
    assert (company, URIRef(KH + "armedForcesOf"), URIRef(ID + "actor/gen-north")) in kept
    assert (URIRef(ID + "person/gen-1-1"), URIRef(KH + "commands"), front) in kept


def test_types_asked_for_at_the_end_are_the_types_the_rules_would_insert(small: Project, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # rdf:type entailments come from one CONSTRUCT after the other rules when no other rule reads or writes
    # rdf:type (Rules.types_apart); inserted by the type rules in the worklist otherwise
    data, ontology = _asserted(small)
    assert fastreason.Rules.from_ontology(ontology).types_apart()
    asked = set(fastreason.entailments(data, ontology))
    monkeypatch.setattr(fastreason.Rules, "types_apart", lambda self: False)
    assert set(fastreason.entailments(data, ontology)) == asked


def test_the_build_keeps_exactly_the_entailments_owlrl_keeps(small: Project) -> None:
    # the build's reasoner saturates the data while provenance is derived, then reruns only the rules that read
    # what was derived (fastreason.closure with wait_for_derived): the same entailments as owlrl on everything
    data, ontology = _asserted(small)
    build = run(small)
    assert build.inferred is not None
    assert set(build.inferred) == set(reason.entailments(data, ontology))


_CHAIN_ONTOLOGY = """
@prefix ex: <http://example.org/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:partOf a owl:TransitiveProperty .
ex:directPartOf rdfs:subPropertyOf ex:partOf .
ex:hasPart owl:inverseOf ex:partOf .
ex:within owl:propertyChainAxiom ( ex:at ex:partOf ) .
ex:at rdfs:domain ex:Located .
"""


def _saturated(rules: fastreason.Rules, *batches: str) -> set[str]:
    import pyoxigraph as ox

    store = ox.Store()
    added: set[URIRef] | None = None
    for batch in batches:
        store.bulk_load(batch.encode(), format=ox.RdfFormat.N_TRIPLES)
        fastreason.saturate(store, rules, types=False, added=added)
        added = {URIRef(line.split()[1][1:-1]) for line in batch.splitlines()}
    return set(store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()).decode().splitlines())


def test_saturating_what_was_added_gives_what_saturating_everything_gives() -> None:
    # the statements added feed the sub-property, inverse, transitive and chain rules in turn
    rules = fastreason.Rules.from_ontology(Graph().parse(data=_CHAIN_ONTOLOGY, format="turtle"))
    first = ("<http://example.org/a> <http://example.org/directPartOf> <http://example.org/b> .\n"
             "<http://example.org/x> <http://example.org/at> <http://example.org/a> .\n")
    then = ("<http://example.org/b> <http://example.org/directPartOf> <http://example.org/c> .\n"
            "<http://example.org/y> <http://example.org/at> <http://example.org/b> .\n")
    in_two = _saturated(rules, first, then)
    assert in_two == _saturated(rules, first + then)
    assert "<http://example.org/x> <http://example.org/within> <http://example.org/c> ." in in_two
    assert "<http://example.org/y> <http://example.org/within> <http://example.org/c> ." in in_two
    assert "<http://example.org/c> <http://example.org/hasPart> <http://example.org/a> ." in in_two
    # statements only the chain rule reads (no property rule, nothing else grows): that rule must run again
    only_chain = "<http://example.org/z> <http://example.org/at> <http://example.org/a> .\n"
    in_three = _saturated(rules, first, then, only_chain)
    assert in_three == _saturated(rules, first + then + only_chain)
    assert "<http://example.org/z> <http://example.org/within> <http://example.org/c> ." in in_three


def test_each_entailment_is_written_once(small: Project) -> None:
    lines = run(small).entailment_lines()
    assert lines and len(set(lines)) == len(lines)


def test_blank_nodes_cross_into_the_reasoners_store_and_back_under_their_own_names() -> None:
    # Oxigraph's loaders rename blank nodes; the reasoner's copy writes them as IRIs and reads them back
    text = (b'_:b1 <http://x/p> _:b2 .\n<http://x/s> <http://x/p> _:b3 .\n'
            b'<http://x/s> <http://x/p> "ends like one _:b4" .\n<http://x/s> <http://x/p> "_:b5 ."@en .\n'
            b'_:b6 <http://x/p> "x" .\n')
    skolemised = fastreason._skolemised(text)
    assert b"_:" not in skolemised.replace(b'"ends like one _:b4"', b"").replace(b'"_:b5 ."', b"")
    assert fastreason._unskolemised(skolemised) == text


def test_the_fast_reasoner_refuses_an_axiom_it_has_no_rule_for(small: Project) -> None:
    _, ontology = _asserted(small)
    ontology.add((URIRef(KH + "commander"), URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                  URIRef("http://www.w3.org/2002/07/owl#FunctionalProperty")))
    with pytest.raises(fastreason.UnsupportedAxiom, match="FunctionalProperty"):
        fastreason.Rules.from_ontology(ontology)


def _defective(small: Project, tmp_path: Path) -> Project:
    """The small project with defects that only the SPARQL-based constraints catch, and one Core catches."""
    out = tmp_path / "defective"
    make_project(out, 1500)
    extra = """
@prefix kh: <https://w3id.org/khasan/ontology#> .
@prefix unit: <https://w3id.org/khasan/id/unit/> .
@prefix fig: <https://w3id.org/khasan/id/figure/> .
@prefix asg: <https://w3id.org/khasan/id/assignment/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix psg: <https://w3id.org/khasan/id/passage/55b75445-> .
GRAPH psg:100-200 {
    unit:gen-1-1 kh:directlySubordinateTo unit:gen-1-1-1 .
    fig:gen-1-1-1-1-1-1 kh:wounded 12 .
    asg:gen-1-1 kh:end "1937-01-01"^^xsd:date .
    asg:gen-1-1-1 kh:begin "1899-05-01"^^xsd:date .
    fig:gen-1-1-1-1-1-2 kh:qualifier "roughly" .
}
"""
    (out / "graph" / "defects.trig").write_text(extra, encoding="utf-8")
    return Project(out)


def _problems(project: Project, reference: bool) -> list[dict[str, str | None]]:
    token = _reference.set(reference)
    try:
        report = validate_loaded(load(project))
    finally:
        _reference.reset(token)
    return [p.as_dict() for p in report.problems]


def test_fast_and_reference_validation_agree_on_a_conforming_graph(small: Project) -> None:
    assert _problems(small, reference=False) == _problems(small, reference=True) == []


def test_fast_and_reference_validation_give_the_same_problems_and_messages(small: Project, tmp_path: Path) -> None:
    project = _defective(small, tmp_path)
    fast = _problems(project, reference=False)
    messages = " | ".join(str(p["message"]) for p in fast)
    for expected in ("subordinate to itself", "more than one number",
                     "ends (1937-01-01) before it begins", "outside 1900–1950", "kh:qualifier is one of"):
        assert expected in messages
    assert fast == _problems(project, reference=True)


def test_a_defective_build_fails_on_the_fast_path_too(small: Project, tmp_path: Path) -> None:
    with pytest.raises(NotConforming, match="subordinate to itself"):
        run(_defective(small, tmp_path), reason=False)


def _sample_params(name: str) -> dict[str, str]:
    return {
        "command-chain": {"unit": f"{ID}unit/gen-1-1-1-1-1-1-1", "date": "1938-07-20"},
        "order-of-battle": {"root": f"{ID}unit/gen-1-1-1"},
        "participants": {"event": f"{ID}event/gen-1-1-1-1-1-1"},
        "place-events": {"place": f"{ID}place/gen-1-1-1-1-1-1"},
        "statement-sources": {"subject": f"{ID}unit/gen-1-1-1"},
        "unit-events": {"unit": f"{ID}unit/gen-1-1-1"},
    }.get(name, {})


def _normalise(row: tuple[object, ...]) -> tuple[str, ...]:
    # Oxigraph lower-cases language tags and types plain strings as xsd:string: compare lexical forms
    return tuple("" if t is None else str(t) for t in row)


def test_named_queries_answer_the_same_in_rdflib_and_oxigraph(small: Project) -> None:
    from khasan_kg.queries import bind_params

    build = run(small)
    dataset = build.dataset()
    store = GraphStore.from_nquads(dataset_to_nquads(dataset))
    dataset.default_union = True  # as GraphStore.select(inferred=True): the default graph is the union
    hits = 0
    for name, query in sorted(library(small.queries_dir).items()):
        bindings = bind_params(store, query, _sample_params(name))
        ox_rows = sorted(_normalise(r) for r in store.select(query.text, bindings).rows)
        rdflib_rows = sorted(_normalise(tuple(r)) for r in dataset.query(query.text, initBindings=bindings))
        assert ox_rows == rdflib_rows, name
        hits += bool(ox_rows)
    assert hits >= 8, "the generated data should be found by most named queries"


def test_literal_helpers_are_what_the_comparisons_assume() -> None:
    assert str(Literal("1938-07-29", datatype=XSD.date)) == "1938-07-29"

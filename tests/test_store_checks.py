"""Do the checks and the derivation give the same answers on the Oxigraph store as they gave on rdflib graphs?

Validation (terms, references, passages, duplicates, overlapping commands, label languages) and the derivation of
provenance and OWL-Time moved from rdflib graphs to SPARQL on ``Loaded.store``. The rdflib versions are gone, so
what they answered is kept here:

- FROM_RDFLIB: every problem (other than SHACL's) the rdflib versions reported on each file of tests/broken/ and
  tests/shapes/, frozen when the store versions replaced them; a case not listed had none;
- STRESS: two files with many defects at once. The rdflib versions reported the same problems, but listed the
  term, reference and passage ones in rdflib's hash order, which changed from run to run; the store versions list
  each check's problems in file order, as frozen here;
- derive_with_rdflib below: the rdflib derivation itself, run beside the store's on the same files.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import RDF, RDFS

from khasan_kg.errors import InputError
from khasan_kg.load import Loaded, load
from khasan_kg.namespaces import ALL_GRAPH, DERIVED_GRAPH, ID, KH, OA, PASSAGE, SOURCE_DOC, TIME
from khasan_kg.paths import Project
from khasan_kg.provenance import (
    as_derived,
    data_graph_names,
    derive_all_into,
    derive_into,
    derived_graph,
    passage_span,
)
from khasan_kg.store import merge_into_all_graph
from khasan_kg.temporal import derive_time_into
from khasan_kg.terms import to_rdflib
from khasan_kg.validate import prepare_shapes_data, shapes_graph, validate_loaded

from .reliability_helpers import BROKEN, make_root, need, source_text_path

REPO = Path(__file__).resolve().parent.parent
SHAPE_CASES = sorted((REPO / "tests" / "shapes" / "invalid").glob("*.trig")) + sorted(
    (REPO / "tests" / "shapes" / "valid").glob("*.trig"))
BROKEN_CASES = sorted(BROKEN.glob("*.trig"))
SYNTAX_ERRORS = {"turtle-syntax-error.trig", "unknown-prefix.trig"}  # refused by the loader, before any check

Row = tuple[str, str | None, str | None, str | None, str | None, str]
# not rdflib's XSD: pytest's collection reads attributes of module globals, which that namespace warns about
XSD_DATE_TIME = URIRef("http://www.w3.org/2001/XMLSchema#dateTime")
XSD_POSITIVE = URIRef("http://www.w3.org/2001/XMLSchema#positiveInteger")
XSD_NON_NEGATIVE = URIRef("http://www.w3.org/2001/XMLSchema#nonNegativeInteger")

FROM_RDFLIB: dict[str, list[Row]] = {
    'broken/dangling-reference.trig': [
        ('reference', 'graph/zz-test/dangling-reference.trig:9', 'unit:test-dangling-regiment', None, None, 'kh:directlySubordinateTo points at an unknown entity unit:su-39th-rifle-corp (declared nowhere with a type)'),
    ],
    'broken/duplicate-entity-two-iris.trig': [
        ('duplicate', 'graph/zz-test/duplicate-entity-two-iris.trig:8', 'unit:su-39th-corps', '39th rifle corps', 'rdfs:label', 'same English label and class (kh:Corps) as unit:su-39th-rifle-corps (graph/units/core.trig:35): one entity with two IRIs? Keep one and retire the other with owl:deprecated true and dcterms:isReplacedBy, or say owl:differentFrom if they are two'),
    ],
    'broken/label-wrong-language.trig': [
        ('language', 'graph/zz-test/label-wrong-language.trig:8', 'unit:test-wrong-language-regiment', 'กรมทหารปืนใหญ่', 'rdfs:label', '"กรมทหารปืนใหญ่"@en is tagged @en but written in Thai script: give it the language it is written in'),
    ],
    'broken/misspelt-class.trig': [
        ('term', 'graph/zz-test/misspelt-class.trig:7', 'unit:test-misspelt-class', None, None, 'kh:Divison is not defined by the ontology (a misspelt class or value?)'),
    ],
    'broken/misspelt-property.trig': [
        ('term', 'graph/zz-test/misspelt-property.trig:9', 'unit:test-misspelt-property', None, None, 'kh:directlySubordinatTo is not defined by the ontology (a misspelt property?)'),
    ],
    'broken/passage-not-matching-text.trig': [
        ('passage', 'graph/zz-test/passage-not-matching-text.trig:12', 'unit:test-passage-regiment', None, 'kh:directlySubordinateTo', 'passage psg:0-104 (line 1) does not mention unit:test-passage-regiment or unit:su-39th-rifle-corps'),
    ],
    'broken/passage-outside-document.trig': [
        ('passage', None, None, None, None, 'passage psg:51700-51800: ends at 51800, outside the document (51710 characters)'),
    ],
    'broken/two-commanders-overlapping.trig': [
        ('overlap', 'graph/zz-test/two-commanders-overlapping.trig:20', 'asg:test-mekhlis-40th-rifle-division', None, 'kh:commandedUnit', 'person:mekhlis ("Lev Mekhlis") commands unit:su-40th-rifle-division ("40th Rifle Division") from 1938-08-01 to …, while person:stern ("Grigory Shtern") does (asg:test-stern-40th-rifle-division, 1938-07-01 to 1938-08-10): two commanders at once. State why with kh:editorialNote "…"@en on either assignment (or kh:disputed true with kh:disputeReason), or correct the dates'),
    ],
    'shapes/invalid/Ontology-misspelt-class.trig': [
        ('term', 'tests/shapes/invalid/Ontology-misspelt-class.trig:22', 'event:test-typo', None, None, 'kh:Batle is not defined by the ontology (a misspelt class or value?)'),
    ],
    'shapes/invalid/Ontology-misspelt-property.trig': [
        ('term', 'tests/shapes/invalid/Ontology-misspelt-property.trig:22', 'asg:test-typo', None, None, 'kh:commandr is not defined by the ontology (a misspelt property?)'),
    ],
    'shapes/invalid/Passage-outside-document.trig': [
        ('passage', None, None, None, None, 'passage psg:60000-60100: ends at 60100, outside the document (51710 characters)'),
    ],
    'shapes/invalid/Passage-text-does-not-mention.trig': [
        ('passage', 'tests/shapes/invalid/Passage-text-does-not-mention.trig:22', 'person:stern', None, 'kh:rank', 'passage psg:0-20 (line 1) does not mention person:stern or rank:komkor'),
    ],
    'shapes/invalid/Reference-dangling.trig': [
        ('reference', 'tests/shapes/invalid/Reference-dangling.trig:22', 'unit:test-regiment', None, None, 'kh:directlySubordinateTo points at an unknown entity unit:su-40-rd (declared nowhere with a type)'),
    ],
}

STRESS_MANY = """\
# several defects of every kind the store checks look for, with no span problem (so the text is checked too)
@prefix kh: <https://w3id.org/khasan/ontology#> .
@prefix unit: <https://w3id.org/khasan/id/unit/> .
@prefix person: <https://w3id.org/khasan/id/person/> .
@prefix event: <https://w3id.org/khasan/id/event/> .
@prefix fig: <https://w3id.org/khasan/id/figure/> .
@prefix actor: <https://w3id.org/khasan/id/actor/> .
@prefix asg: <https://w3id.org/khasan/id/assignment/> .
@prefix psg: <https://w3id.org/khasan/id/passage/55b75445-> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

unit:test-stress-a a kh:Regimnt ;
    rdfs:label "Stress regiment A"@en ;
    kh:directlySubordinatTo unit:su-40th-rifle-division .

unit:test-stress-b a kh:Regiment ;
    rdfs:label "Stress regiment B"@en ;
    kh:directlySubordinateTo unit:test-nowhere-one , unit:test-nowhere-two .

unit:test-stress-c a kh:Regiment ;
    rdfs:label "Stress regiment C"@en , "Тест"@ja , "Stress C"@ru ;
    skos:altLabel "Тест эф"@en , "ทดสอบ"@en-GB , "Стресс"@ru .

person:test-dup-1 a kh:Person ; rdfs:label "Pyotr  Stress"@en .
person:test-dup-2 a kh:Person ; rdfs:label "pyotr stress"@en .
person:test-dup-3 a kh:Person ; rdfs:label "PYOTR STRESS"@en ; owl:differentFrom person:test-dup-1 .
person:test-dup-4 a kh:Person ; rdfs:label "Pyotr Stress"@en ; owl:deprecated true .

asg:test-x1 a kh:CommandAssignment ;
    kh:commander person:stern ;
    kh:commandedUnit unit:su-40th-rifle-division ;
    kh:begin "1938-07-01"^^xsd:date ;
    kh:end "1938-08-10"^^xsd:date .

asg:test-x2 a kh:CommandAssignment ;
    kh:commander person:mekhlis ;
    kh:commandedUnit unit:su-40th-rifle-division ;
    kh:date "1938-08-05"^^xsd:date .

asg:test-x3 a kh:CommandAssignment ;
    kh:commander person:blyukher ;
    kh:commandedUnit unit:su-40th-rifle-division ;
    kh:earliest "1938-07-20"^^xsd:date ;
    kh:latest "1938-07-25"^^xsd:date .

asg:test-x4 a kh:CommandAssignment ;
    kh:commander person:stern ;
    kh:commandedUnit unit:su-40th-rifle-division ;
    kh:begin "1938-07-15T10:00:00"^^xsd:dateTime .

asg:test-x5 a kh:CommandAssignment ;
    kh:commander person:blyukher ;
    kh:commandedUnit unit:su-40th-rifle-division ;
    kh:begin "1938-07-02"^^xsd:date ;
    kh:disputed true ;
    kh:disputeReason "Test: the source is unsure."@en .

asg:test-x6 a kh:CommandAssignment ;
    kh:commander person:mekhlis ;
    kh:commandedUnit unit:su-40th-rifle-division .

GRAPH psg:0-104 {
    unit:test-stress-b kh:directlySubordinateTo unit:su-40th-rifle-division .
    unit:test-stress-c kh:directlySubordinateTo unit:su-40th-rifle-division .
    event:battle-of-lake-khasan kh:participation [ kh:participant unit:test-stress-b ; kh:side actor:ussr ] .
}

GRAPH psg:46202-46243 {
    fig:test-stress-strength a kh:Figure ;
        kh:about unit:su-40th-rifle-division ;
        kh:side actor:ussr ;
        kh:strength 24500 .
    asg:test-x2 kh:date "1938-08-05"^^xsd:date .
}
"""

STRESS_SPANS = """\
# every kind of bad passage name at once
@prefix kh: <https://w3id.org/khasan/ontology#> .
@prefix unit: <https://w3id.org/khasan/id/unit/> .
@prefix psg: <https://w3id.org/khasan/id/passage/55b75445-> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .

unit:test-spans a kh:Regiment ; rdfs:label "Span test regiment"@en .

GRAPH <https://example.org/not-a-passage> { unit:test-spans kh:directlySubordinateTo unit:su-40th-rifle-division . }
GRAPH psg:300-200 { unit:test-spans kh:directlySubordinateTo unit:su-40th-rifle-division . }
GRAPH psg:51700-51800 { unit:test-spans kh:directlySubordinateTo unit:su-40th-rifle-division . }
GRAPH psg:15808-15809 { unit:test-spans kh:directlySubordinateTo unit:su-40th-rifle-division . }
GRAPH psg:105-106 { unit:test-spans kh:directlySubordinateTo unit:su-40th-rifle-division . }
"""

STRESS: dict[str, list[Row]] = {
    'stress-many.trig': [
        ('term', 'graph/zz-test/stress-many.trig:15', 'unit:test-stress-a', None, None, 'kh:Regimnt is not defined by the ontology (a misspelt class or value?)'),
        ('term', 'graph/zz-test/stress-many.trig:17', 'unit:test-stress-a', None, None, 'kh:directlySubordinatTo is not defined by the ontology (a misspelt property?)'),
        ('reference', 'graph/zz-test/stress-many.trig:21', 'unit:test-stress-b', None, None, 'kh:directlySubordinateTo points at an unknown entity unit:test-nowhere-one (declared nowhere with a type)'),
        ('reference', 'graph/zz-test/stress-many.trig:21', 'unit:test-stress-b', None, None, 'kh:directlySubordinateTo points at an unknown entity unit:test-nowhere-two (declared nowhere with a type)'),
        ('passage', 'graph/zz-test/stress-many.trig:21', 'unit:test-stress-b', None, 'kh:directlySubordinateTo', 'passage psg:0-104 (line 1) does not mention unit:test-stress-b or unit:su-40th-rifle-division'),
        ('passage', 'graph/zz-test/stress-many.trig:67', 'unit:test-stress-c', None, 'kh:directlySubordinateTo', 'passage psg:0-104 (line 1) does not mention unit:test-stress-c or unit:su-40th-rifle-division'),
        ('passage', 'graph/zz-test/stress-many.trig:68', 'event:battle-of-lake-khasan', None, 'kh:participation', 'passage psg:0-104 (line 1) does not mention event:battle-of-lake-khasan or [Soviet Union, Stress regiment B, USSR]'),
        ('passage', None, None, None, 'kh:participant', 'passage psg:0-104 (line 1) does not mention [Soviet Union, Stress regiment B, USSR] or unit:test-stress-b'),
        ('passage', 'graph/zz-test/stress-many.trig:41', 'asg:test-x2', None, 'kh:date', 'passage psg:46202-46243 (line 312) does not mention asg:test-x2 or "1938-08-05"'),
        ('passage', 'graph/zz-test/stress-many.trig:73', 'fig:test-stress-strength', None, 'kh:about', 'passage psg:46202-46243 (line 312) does not mention fig:test-stress-strength or unit:su-40th-rifle-division'),
        ('passage', 'graph/zz-test/stress-many.trig:75', 'fig:test-stress-strength', None, 'kh:strength', 'passage psg:46202-46243 (line 312) does not mention fig:test-stress-strength or "24500"'),
        ('duplicate', 'graph/zz-test/stress-many.trig:28', 'person:test-dup-2', 'pyotr stress', 'rdfs:label', 'same English label and class (kh:Person) as person:test-dup-1 (graph/zz-test/stress-many.trig:27): one entity with two IRIs? Keep one and retire the other with owl:deprecated true and dcterms:isReplacedBy, or say owl:differentFrom if they are two'),
        ('duplicate', 'graph/zz-test/stress-many.trig:29', 'person:test-dup-3', 'PYOTR STRESS', 'rdfs:label', 'same English label and class (kh:Person) as person:test-dup-2 (graph/zz-test/stress-many.trig:28): one entity with two IRIs? Keep one and retire the other with owl:deprecated true and dcterms:isReplacedBy, or say owl:differentFrom if they are two'),
        ('overlap', 'graph/zz-test/stress-many.trig:45', 'asg:test-x3', None, 'kh:commandedUnit', 'person:blyukher ("Vasily Blyukher") commands unit:su-40th-rifle-division ("40th Rifle Division") from 1938-07-20 to 1938-07-25, while person:stern ("Grigory Shtern") does (asg:test-x1, 1938-07-01 to 1938-08-10): two commanders at once. State why with kh:editorialNote "…"@en on either assignment (or kh:disputed true with kh:disputeReason), or correct the dates'),
        ('overlap', 'graph/zz-test/stress-many.trig:40', 'asg:test-x2', None, 'kh:commandedUnit', 'person:mekhlis ("Lev Mekhlis") commands unit:su-40th-rifle-division ("40th Rifle Division") from 1938-08-05 to 1938-08-05, while person:stern ("Grigory Shtern") does (asg:test-x1, 1938-07-01 to 1938-08-10): two commanders at once. State why with kh:editorialNote "…"@en on either assignment (or kh:disputed true with kh:disputeReason), or correct the dates'),
        ('overlap', 'graph/zz-test/stress-many.trig:45', 'asg:test-x3', None, 'kh:commandedUnit', 'person:blyukher ("Vasily Blyukher") commands unit:su-40th-rifle-division ("40th Rifle Division") from 1938-07-20 to 1938-07-25, while person:stern ("Grigory Shtern") does (asg:test-x4, 1938-07-15 to …): two commanders at once. State why with kh:editorialNote "…"@en on either assignment (or kh:disputed true with kh:disputeReason), or correct the dates'),
        ('overlap', 'graph/zz-test/stress-many.trig:40', 'asg:test-x2', None, 'kh:commandedUnit', 'person:mekhlis ("Lev Mekhlis") commands unit:su-40th-rifle-division ("40th Rifle Division") from 1938-08-05 to 1938-08-05, while person:stern ("Grigory Shtern") does (asg:test-x4, 1938-07-15 to …): two commanders at once. State why with kh:editorialNote "…"@en on either assignment (or kh:disputed true with kh:disputeReason), or correct the dates'),
        ('language', 'graph/zz-test/stress-many.trig:24', 'unit:test-stress-c', 'Stress regiment C', 'rdfs:label', '"Stress C"@ru is tagged @ru but has no Cyrillic letter: give it the language it is written in'),
        ('language', 'graph/zz-test/stress-many.trig:24', 'unit:test-stress-c', 'Stress regiment C', 'rdfs:label', '"Тест"@ja is tagged @ja but has no kana or kanji letter: give it the language it is written in'),
        ('language', 'graph/zz-test/stress-many.trig:25', 'unit:test-stress-c', 'Stress regiment C', 'skos:altLabel', '"Тест эф"@en is tagged @en but written in Cyrillic script: give it the language it is written in'),
        ('language', 'graph/zz-test/stress-many.trig:25', 'unit:test-stress-c', 'Stress regiment C', 'skos:altLabel', '"ทดสอบ"@en-gb is tagged @en but written in Thai script: give it the language it is written in'),
    ],
    'stress-spans.trig': [
        ('passage', None, None, None, None, 'graph <https://example.org/not-a-passage>: a named graph must be a passage psg:START-END'),
        ('passage', None, None, None, None, 'passage psg:105-106: covers only white space'),
        ('passage', None, None, None, None, 'passage psg:15808-15809: falls in no part of the source (site navigation?)'),
        ('passage', None, None, None, None, 'passage psg:300-200: its start is not before its end'),
        ('passage', None, None, None, None, 'passage psg:51700-51800: ends at 51800, outside the document (51710 characters)'),
    ],
}


@pytest.fixture(scope="module")
def source_text() -> str:
    path = source_text_path()
    need(path is not None, "the source document is not at ../shared/sources/ nor at $KHASAN_SOURCE")
    assert path is not None
    return path.read_text(encoding="utf-8")


def non_shape_problems(loaded: Loaded, text: str) -> list[Row]:
    report = validate_loaded(loaded, source_text=text, shapes=False)
    return [(p.check, p.where, p.focus, p.label, p.path, p.message) for p in report.problems]


def load_broken_case(case: Path, tmp_path: Path) -> Loaded:
    """A broken file added to the frozen good base, as tests/test_broken_inputs.py loads it."""
    return load(Project(make_root(tmp_path / "project", [case])))


def load_shape_case(case: Path) -> Loaded:
    """A shape case beside graph/sources.ttl and the core files, as tests/test_shapes.py loads it."""
    project = Project(REPO)
    base = [p for p in project.graph_files() if p.name in ("sources.ttl", "core.trig")]
    return load(project, base + [case])


# ---------------------------------------------------------------- the checks


def test_does_the_real_graph_pass_every_check_without_making_an_rdflib_graph(
        source_text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object) -> None:
        raise AssertionError("the checks built an rdflib view of the store")

    loaded = load(Project(REPO))
    monkeypatch.setattr(Loaded, "union", refuse)
    monkeypatch.setattr(Loaded, "dataset", property(refuse))
    monkeypatch.setattr(Loaded, "ontology", property(refuse))
    assert non_shape_problems(loaded, source_text) == []


@pytest.mark.parametrize("case", BROKEN_CASES, ids=[c.stem for c in BROKEN_CASES])
def test_is_each_broken_file_refused_with_the_problems_rdflib_found(
        case: Path, tmp_path: Path, source_text: str) -> None:
    if case.name in SYNTAX_ERRORS:
        with pytest.raises(InputError, match="Turtle syntax error"):
            load_broken_case(case, tmp_path)
        return
    expected = FROM_RDFLIB.get(f"broken/{case.name}", [])
    assert non_shape_problems(load_broken_case(case, tmp_path), source_text) == expected


@pytest.mark.parametrize("case", SHAPE_CASES, ids=[c.stem for c in SHAPE_CASES])
def test_is_each_shape_case_given_the_problems_rdflib_found(case: Path, source_text: str) -> None:
    expected = FROM_RDFLIB.get(f"shapes/{case.parent.name}/{case.name}", [])
    assert non_shape_problems(load_shape_case(case), source_text) == expected


@pytest.mark.parametrize("name, content", [("stress-many.trig", STRESS_MANY), ("stress-spans.trig", STRESS_SPANS)])
def test_are_many_defects_in_one_file_all_reported_in_file_order(
        name: str, content: str, tmp_path: Path, source_text: str) -> None:
    (tmp_path / name).write_text(content, encoding="utf-8")
    loaded = load_broken_case(tmp_path / name, tmp_path)
    assert non_shape_problems(loaded, source_text) == STRESS[name]


def test_does_a_second_validation_find_the_same_after_the_build_has_derived_and_merged(
        tmp_path: Path, source_text: str) -> None:
    """The build derives into DERIVED_GRAPH and fills ALL_GRAPH before it validates: those graphs (types of
    passages, time intervals) must not change what the checks see."""
    (tmp_path / "stress-many.trig").write_text(STRESS_MANY, encoding="utf-8")
    loaded = load_broken_case(tmp_path / "stress-many.trig", tmp_path)
    before = non_shape_problems(loaded, source_text)
    shapes_graph(loaded)  # derives and merges, as the build does
    assert non_shape_problems(loaded, source_text) == before == STRESS["stress-many.trig"]


# ---------------------------------------------------------------- the derivation


def derive_with_rdflib(dataset: Dataset, union: Graph) -> Graph:
    """provenance.derive + temporal.derive_time as they were on rdflib graphs, before the store: the reference."""
    starts = [int(x) for x in str(union.value(SOURCE_DOC, KH.lineStarts)).split()]
    parts = sorted((int(union.value(p, KH.startOffset)), int(union.value(p, KH.endOffset)), p)
                   for p in union.subjects(RDF.type, KH.SourcePart))
    out = Graph()
    claims = {s for s, _, o, _ in dataset.quads((None, RDF.type, None, None)) if o in (KH.Claim, KH.Figure)}
    names = {c.identifier for c in dataset.graphs() if c.identifier != DATASET_DEFAULT_GRAPH_ID}
    for name in sorted((n for n in names if len(dataset.graph(n)) > 0), key=str):
        match = re.match(re.escape(str(PASSAGE)) + r"(\d+)-(\d+)$", str(name))
        if not match:
            continue
        start, end = int(match.group(1)), int(match.group(2))
        part = next((iri for s, e, iri in parts if s <= start < e), None)
        line = bisect_right(starts, start)
        selector = URIRef(f"{name}#selector")
        out.add((name, RDF.type, KH.Passage))
        out.add((name, RDF.type, OA.SpecificResource))
        out.add((name, RDFS.label, Literal(f"source passage {start}-{end} (line {line})", lang="en")))
        out.add((name, OA.hasSource, SOURCE_DOC))
        out.add((name, OA.hasSelector, selector))
        out.add((name, KH.line, Literal(line, datatype=XSD_POSITIVE)))
        out.add((selector, RDF.type, OA.TextPositionSelector))
        out.add((selector, OA.start, Literal(start, datatype=XSD_NON_NEGATIVE)))
        out.add((selector, OA.end, Literal(end, datatype=XSD_NON_NEGATIVE)))
        if part is not None:
            out.add((name, KH.inPart, part))
        for s, _, o in dataset.graph(name):
            for term in (s, o):
                if isinstance(term, URIRef) and str(term).startswith(ID) and not str(term).startswith(str(PASSAGE)):
                    out.add((term, KH.mentionedIn, name))
            if s in claims:
                out.add((s, KH.statedIn, name))
                if part is not None:
                    out.add((s, KH.accordingTo, part))
    begins: dict[URIRef, set[Literal]] = {}
    ends: dict[URIRef, set[Literal]] = {}
    for prop, targets in ((KH.begin, (begins,)), (KH.end, (ends,)), (KH.date, (begins, ends))):
        for s, value in union.subject_objects(prop):
            if isinstance(s, URIRef) and str(s).startswith(ID) and isinstance(value, Literal):
                for target in targets:
                    target.setdefault(s, set()).add(value)
    for subject in set(begins) | set(ends):
        interval = URIRef(f"{subject}#time")
        out.add((subject, TIME.hasTime, interval))
        out.add((interval, RDF.type, TIME.ProperInterval))
        for found, link, suffix in ((begins, TIME.hasBeginning, "begin"), (ends, TIME.hasEnd, "end")):
            if subject not in found:
                continue
            instant = URIRef(f"{subject}#{suffix}")
            out.add((interval, link, instant))
            out.add((instant, RDF.type, TIME.Instant))
            for value in found[subject]:
                out.add((instant, TIME.inXSDDateTime if value.datatype == XSD_DATE_TIME else TIME.inXSDDate, value))
    return out


def assert_same_derivation(loaded: Loaded) -> None:
    expected = set(derive_with_rdflib(loaded.dataset, loaded.union()))
    added = derive_all_into(loaded)
    derived = set(derived_graph(loaded.store))
    assert sorted(expected - derived) == [], "the store did not derive these"
    assert sorted(derived - expected) == [], "the store derived these, rdflib did not"
    assert added == len(expected)


def test_does_the_store_derive_exactly_what_rdflib_derived_from_the_real_graph() -> None:
    assert_same_derivation(load(Project(REPO)))


def test_does_the_store_derive_exactly_what_rdflib_derived_from_odd_passages(tmp_path: Path) -> None:
    """Blank nodes, a figure (a claim), dates and date-times, passages outside the document and in no part, a
    passage that points at another (a passage is not an entity it mentions)."""
    pointing = ("@prefix psg: <https://w3id.org/khasan/id/passage/55b75445-> .\n"
                "@prefix event: <https://w3id.org/khasan/id/event/> .\n"
                "GRAPH psg:0-104 { event:battle-of-lake-khasan <http://www.w3.org/2000/01/rdf-schema#seeAlso> "
                "psg:46202-46243 . }\n")
    files = []
    for name, content in (("stress-many.trig", STRESS_MANY), ("stress-spans.trig", STRESS_SPANS),
                          ("pointing.trig", pointing)):
        (tmp_path / name).write_text(content, encoding="utf-8")
        files.append(tmp_path / name)
    root = make_root(tmp_path / "project", files)
    assert_same_derivation(load(Project(root)))


def test_does_deriving_twice_add_nothing() -> None:
    loaded = load(Project(REPO))
    assert derive_into(loaded) > 0 and derive_time_into(loaded) > 0
    assert derive_into(loaded) == 0 and derive_time_into(loaded) == 0


def test_do_passage_numbers_read_back_with_the_ontology_datatypes() -> None:
    """Oxigraph keeps every xsd:integer subtype as xsd:integer; what SHACL and rdflib readers get is typed as the
    ontology's ranges say (kh:line a positive integer, oa:start / oa:end non-negative ones)."""
    loaded = load(Project(REPO))
    data = shapes_graph(loaded)
    passages = data_graph_names(loaded.store)
    assert passages
    for name in passages:
        span = passage_span(name)
        passage, selector = URIRef(name.value), URIRef(f"{name.value}#selector")
        assert data.value(passage, KH.line).datatype == XSD_POSITIVE, passage
        assert data.value(selector, OA.start) == Literal(span.start, datatype=XSD_NON_NEGATIVE), passage
        assert data.value(selector, OA.end) == Literal(span.end, datatype=XSD_NON_NEGATIVE), passage


def test_does_validation_with_shapes_derive_and_merge_once(tmp_path: Path, source_text: str) -> None:
    loaded = load(Project(make_root(tmp_path / "project")))
    derived, merged = ox.NamedNode(str(DERIVED_GRAPH)), ox.NamedNode(str(ALL_GRAPH))
    report = validate_loaded(loaded, source_text=source_text)
    assert report.conforms, report.text()
    size = len(loaded.store)
    # the derivation is kept as text and stored once, inside ALL_GRAPH, not in a graph of its own as well
    assert loaded.derived and loaded.merged
    assert not any(True for _ in loaded.store.quads_for_pattern(None, None, None, derived))
    in_all = set(ox.parse(loaded.derived, format=ox.RdfFormat.N_TRIPLES))
    assert in_all and all(ox.Quad(t.subject, t.predicate, t.object, merged) in loaded.store for t in in_all)
    assert validate_loaded(loaded, source_text=source_text).conforms
    assert len(loaded.store) == size, "the second validation derived or merged again"


@pytest.mark.parametrize("merged_first", [False, True], ids=["as-the-build-does", "merged-before-deriving"])
def test_does_the_build_keep_exactly_the_derivation_once_it_is_inside_all_graph(merged_first: bool) -> None:
    """The build derives straight into ALL_GRAPH and keeps the derivation as text (Loaded.derived) for the
    reasoner and the exports: that text is what rdflib derives, and ALL_GRAPH holds it. A caller that merged
    ALL_GRAPH before deriving gets the same, and no DERIVED_GRAPH is left behind."""
    loaded = load(Project(REPO))
    if merged_first:
        merge_into_all_graph(loaded.store)
    prepare_shapes_data(loaded)
    kept = {(t.subject, t.predicate, t.object) for t in ox.parse(loaded.derived, format=ox.RdfFormat.N_TRIPLES)}
    as_rdflib = {(to_rdflib(s), to_rdflib(p), to_rdflib(as_derived(p, o))) for s, p, o in kept}
    assert as_rdflib == set(derive_with_rdflib(loaded.dataset, loaded.union()))
    merged = ox.NamedNode(str(ALL_GRAPH))
    assert all(ox.Quad(s, p, o, merged) in loaded.store for s, p, o in kept)
    assert not any(True for _ in loaded.store.quads_for_pattern(None, None, None, ox.NamedNode(str(DERIVED_GRAPH))))
    assert loaded.merged

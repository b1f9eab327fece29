"""Is the ontology published like a real vocabulary, and does reasoning give what users query for?"""

from __future__ import annotations

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS, VANN

from khasan_kg import reason
from khasan_kg.namespaces import KH, ONTOLOGY_IRI

ONTOLOGY = URIRef(ONTOLOGY_IRI)


@pytest.fixture(scope="module")
def ontology(project) -> Graph:  # type: ignore[no-untyped-def]
    return Graph().parse(project.ontology)


def test_the_ontology_carries_the_metadata_lov_and_foops_look_for(ontology: Graph) -> None:
    for p in (OWL.versionIRI, OWL.versionInfo, DCTERMS.title, DCTERMS.description, DCTERMS.creator,
              DCTERMS.created, DCTERMS.modified, DCTERMS.license, VANN.preferredNamespacePrefix,
              VANN.preferredNamespaceUri):
        assert ontology.value(ONTOLOGY, p) is not None, f"the ontology lacks {p}"
    assert str(ontology.value(ONTOLOGY, DCTERMS.license)).startswith("https://creativecommons.org/")
    assert str(ontology.value(ONTOLOGY, VANN.preferredNamespaceUri)) == str(KH)


def _terms(ontology: Graph) -> list[URIRef]:
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
    return sorted({s for k in kinds for s in ontology.subjects(RDF.type, k) if str(s).startswith(str(KH))})


def test_every_term_has_english_and_thai_labels_a_definition_and_is_defined_by(ontology: Graph) -> None:
    terms = _terms(ontology)
    assert len(terms) > 150
    for term in terms:
        langs = {label.language for label in ontology.objects(term, RDFS.label) if isinstance(label, Literal)}
        assert {"en", "th"} <= langs, f"{term} lacks an English or Thai label"
        assert ontology.value(term, SKOS.definition) or ontology.value(term, RDFS.comment), f"{term} has no definition"
        assert ontology.value(term, RDFS.isDefinedBy) == ONTOLOGY, f"{term} has no rdfs:isDefinedBy"


def test_the_classes_the_design_requires_exist(ontology: Graph) -> None:
    required = """Person State GovernmentBody SecurityService PoliticalParty GeneralStaff MilitaryUnit Front Army Corps
    Division Brigade Regiment Battalion Company Platoon BorderDetachment BorderOutpost TankUnit ArtilleryUnit
    AviationUnit NavalFormation Event Battle Attack CounterAttack AirStrike ArtilleryPreparation BorderIncident
    DiplomaticNote Ultimatum Protest Defection Order Truce BodyExchange AwardEvent Trial Treaty StateFounding
    Occupation Place Height Lake River Settlement Region Country EquipmentType TankModel AircraftModel GunModel
    VesselModel Rank Office Document SourcePart Passage CommandAssignment Participation Claim Figure""".split()
    for name in required:
        assert (KH[name], RDF.type, OWL.Class) in ontology, f"kh:{name} is missing"


def test_subordinate_to_is_transitive_with_an_inverse_and_casualties_are_not_functional(ontology: Graph) -> None:
    assert (KH.subordinateTo, RDF.type, OWL.TransitiveProperty) in ontology
    assert (KH.subordinateTo, OWL.inverseOf, KH.hasSubordinate) in ontology
    for p in (KH.killed, KH.wounded, KH.missing, KH.sick, KH.strength):
        assert (p, RDF.type, OWL.FunctionalProperty) not in ontology


def test_after_reasoning_subordination_is_transitive_and_the_chain_gives_commands(built) -> None:  # type: ignore[no-untyped-def]
    result, _ = built
    g = result.with_inferred
    chains = [(a, c) for a, b in g.subject_objects(KH.directlySubordinateTo) for c in g.objects(b, KH.directlySubordinateTo)]
    assert chains, "the graph has no two-level hierarchy to test"
    for a, c in chains:
        assert (a, KH.subordinateTo, c) in g
        assert (c, KH.hasSubordinate, a) in g
    for assignment in g.subjects(RDF.type, KH.CommandAssignment):
        for person in g.objects(assignment, KH.commander):
            for unit in g.objects(assignment, KH.commandedUnit):
                assert (person, KH.commands, unit) in g and (unit, KH.commandedBy, person) in g


@pytest.mark.parametrize(
    "query",
    [
        "PREFIX sem: <http://semanticweb.cs.vu.nl/2009/11/sem/> SELECT ?e ?a WHERE { ?e a sem:Event ; sem:hasActor ?a }",
        "PREFIX schema: <https://schema.org/> SELECT ?e ?d WHERE { ?e a schema:Event ; schema:startDate ?d }",
        "PREFIX prov: <http://www.w3.org/ns/prov#> SELECT ?e ?a WHERE { ?e a prov:Activity ; prov:wasAssociatedWith ?a }",
        "PREFIX time: <http://www.w3.org/2006/time#> SELECT ?e ?d WHERE { ?e time:hasTime/time:hasBeginning/time:inXSDDate ?d }",
    ],
    ids=["sem", "schema", "prov", "owl-time"],
)
def test_a_query_in_a_standard_vocabulary_finds_our_events(store, query: str) -> None:  # type: ignore[no-untyped-def]
    assert len(store.select(query)) > 0


def test_kept_entailments_drop_the_axiomatic_noise(built) -> None:  # type: ignore[no-untyped-def]
    inferred = built[0].inferred
    assert inferred is not None and len(inferred) > 0
    for s, p, o in inferred:
        assert not (p == OWL.sameAs and s == o)
        assert not (p == RDF.type and o in (RDFS.Resource, OWL.Thing))
        assert str(s).startswith("https://w3id.org/khasan/id/") or not isinstance(s, URIRef)


def test_reasoning_keeps_only_instance_level_statements(project) -> None:  # type: ignore[no-untyped-def]
    onto = Graph().parse(project.ontology)
    data = Graph()
    a, b, c = (URIRef(f"https://w3id.org/khasan/id/unit/test-{x}") for x in "abc")
    data.add((a, KH.directlySubordinateTo, b))
    data.add((b, KH.directlySubordinateTo, c))
    for u in (a, b, c):
        data.add((u, RDF.type, KH.Division))
    kept = reason.entailments(data, onto)
    assert (a, KH.subordinateTo, c) in kept
    assert all(isinstance(s, URIRef) and str(s).startswith("https://w3id.org/khasan/id/") for s in kept.subjects())

"""Validation: does the asserted graph hold together? Terms, references, passages, and the SHACL shapes.

Validation runs on the asserted data (plus the provenance the build derives from passage names) with pySHACL's
inference off: entailments would hide errors (a place used as a commander would become a person).

The checks other than SHACL run on the build's Oxigraph store (``Loaded.store``), set-at-a-time: a SPARQL query
finds what is wrong (an undefined kh: term, an untyped entity pointed at), and only those few terms are then
looked up statement by statement, turned into CURIEs and located in the files. Valid data never costs more than
the queries; rdflib graphs are made only for the shapes (``shapes=True``).

Within a check, problems come in file order (file, then line); the rdflib versions listed some of them in
rdflib's hash order, which changed from run to run.
"""

from __future__ import annotations

import contextvars
import json
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from .errors import InputError
from .load import Loaded, _display
from .namespaces import ALL_GRAPH, DERIVED_GRAPH, ID, KH, ONTOLOGY_GRAPH, SH, bind_prefixes, curie
from .provenance import (
    DERIVED_DATATYPES,
    SourceIndex,
    SurfaceFacts,
    as_derived,
    asserted,
    asserted_objects,
    data_graph_names,
    derive_all_into,
    is_build_graph,
    passage_span,
    scan_scope,
    span_problems,
    statement_anchors,
    surface_forms,
)
from .terms import to_rdflib

_KH = str(KH)
_ONTOLOGY = ox.NamedNode(str(ONTOLOGY_GRAPH))
_DERIVED = ox.NamedNode(str(DERIVED_GRAPH))
_ALL = ox.NamedNode(str(ALL_GRAPH))
_RDF_TYPE = ox.NamedNode(str(RDF.type))
_RDFS_LABEL = ox.NamedNode(str(RDFS.label))


@dataclass
class Problem:
    """One thing wrong, said for a person: where, about what, and what is wrong."""

    message: str
    where: str | None = None  # file:line
    focus: str | None = None  # CURIE of the focus node
    label: str | None = None  # its English label
    path: str | None = None  # the property at fault
    check: str = "shape"  # shape | term | reference | passage

    def text(self) -> str:
        head = f"{self.where}: " if self.where else ""
        about = ""
        if self.focus:
            about = f"{self.focus}"
            if self.label:
                about += f' ("{self.label}")'
            if self.path:
                about += f" {self.path}"
            about += ": "
        return f"{head}{about}{self.message}"

    def as_dict(self) -> dict[str, str | None]:
        return {
            "check": self.check,
            "where": self.where,
            "focus": self.focus,
            "label": self.label,
            "path": self.path,
            "message": self.message,
        }


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)
    shacl_report: Graph | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def conforms(self) -> bool:
        return not self.problems

    def text(self) -> str:
        if self.conforms:
            return "Conforms: no problems found." + "".join(f"\nnote: {n}" for n in self.notes)
        lines = [p.text() for p in self.problems]
        lines.append(f"{len(self.problems)} problem(s): the graph does not conform.")
        return "\n".join(lines + [f"note: {n}" for n in self.notes])

    def json(self) -> str:
        return json.dumps(
            {"conforms": self.conforms, "problems": [p.as_dict() for p in self.problems], "notes": self.notes},
            ensure_ascii=False,
            indent=2,
        )

    def turtle(self) -> str:
        if self.shacl_report is not None and not any(p.check != "shape" for p in self.problems):
            return self.shacl_report.serialize(format="turtle")
        g = Graph()
        g.bind("sh", SH)
        report = BNode()
        g.add((report, RDF.type, SH.ValidationReport))
        g.add((report, SH.conforms, Literal(self.conforms)))
        if self.shacl_report is not None:
            for r in self.shacl_report.subjects(RDF.type, SH.ValidationResult):
                g.add((report, SH.result, r))
                for t in self.shacl_report.triples((r, None, None)):
                    g.add(t)
        for p in self.problems:
            if p.check == "shape":
                continue
            r = BNode()
            g.add((report, SH.result, r))
            g.add((r, RDF.type, SH.ValidationResult))
            g.add((r, SH.resultSeverity, SH.Violation))
            g.add((r, SH.resultMessage, Literal(p.text())))
        return g.serialize(format="turtle")


def _label(graph: Graph, node: object) -> str | None:
    """A node's English label in an rdflib graph; of several, the first in text order (as english_label)."""
    labels = [str(label) for label in graph.objects(node, RDFS.label)  # type: ignore[arg-type]
              if isinstance(label, Literal) and label.language == "en"]
    return min(labels) if labels else None


# ---------------------------------------------------------------- reading the store


def select(store: ox.Store, query: str) -> list[tuple[Any, ...]]:
    """The rows of a SELECT query on the store, as tuples in the order of its variables (unpacking a row is
    several times cheaper than reading it by name)."""
    return [tuple(row) for row in store.query(query)]  # type: ignore[union-attr]


def english_label(store: ox.Store, node: object) -> str | None:
    """A node's English rdfs:label in the asserted data; if it has several (the shapes report that), the first
    in text order, so that the message is the same from run to run."""
    labels = [o.value for o in asserted_objects(store, node, _RDFS_LABEL)  # type: ignore[arg-type]
              if isinstance(o, ox.Literal) and o.language == "en"]
    return min(labels) if labels else None


def focus_of(term: object) -> str | None:
    """The CURIE of an IRI (a problem's focus); None for a blank node."""
    return curie(term.value) if isinstance(term, ox.NamedNode) else None


def locate(loaded: Loaded, subject: object, predicate: object = None, obj: object = None) -> str | None:
    """``file:line`` where a statement (Oxigraph terms) is written: TripleLocator reads rdflib terms."""
    return loaded.locator.locate(*(to_rdflib(t) for t in (subject, predicate, obj)))


def in_file_order(loaded: Loaded, problems: Iterable[Problem]) -> list[Problem]:
    """The problems by where they are written (file order of the load, then line); unlocated ones last."""
    problems = list(problems)
    if len(problems) < 2:
        return problems
    order = {_display(loaded.project, f): i for i, f in enumerate(loaded.files)}

    def key(p: Problem) -> tuple[int, int, str, str]:
        path, _, line = (p.where or "").rpartition(":")
        if not path or not line.isdigit():
            return (len(order) + 1, 0, p.focus or "", p.message)
        return (order.get(path, len(order)), int(line), p.focus or "", p.message)

    return sorted(problems, key=key)


def _sort_text(term: object) -> str:
    return term.value if isinstance(term, ox.NamedNode | ox.BlankNode | ox.Literal) else str(term)


def asserted_quads(store: ox.Store, subject: object = None, predicate: object = None,
                   obj: object = None) -> list[ox.Quad]:
    """The quads of a pattern in the asserted data (an index lookup; the build's graphs left out)."""
    return [q for q in store.quads_for_pattern(subject, predicate, obj, None)  # type: ignore[arg-type]
            if not is_build_graph(q.graph_name)]


# ---------------------------------------------------------------- terms, references, passages


def defined_terms(loaded: Loaded) -> set[str]:
    """The kh: IRIs the ontology says something about."""
    return {q.subject.value for q in loaded.store.quads_for_pattern(None, None, None, _ONTOLOGY)
            if isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith(_KH)}


@dataclass
class TermUsage:
    """The IRIs the asserted data uses as properties, and as objects (with whether any statement but an
    rdf:type one points at it): what check_terms and check_references test, from two scans of the data."""

    properties: set[ox.NamedNode]
    objects: dict[ox.NamedNode, bool]  # True: pointed at by a property other than rdf:type

    @classmethod
    def scan(cls, loaded: Loaded, names: list[ox.NamedNode] | None = None) -> TermUsage:
        store = loaded.store
        scope = scan_scope(store, data_graph_names(store) if names is None else names)
        properties = {p for (p,) in select(store, f"SELECT DISTINCT ?p WHERE {asserted('?s ?p ?o', scope=scope)}")}
        objects: dict[ox.NamedNode, bool] = {}
        for o, typed in select(store, f"""SELECT DISTINCT ?o ?typed WHERE {{
                {asserted("?s ?p ?o", scope=scope)} FILTER (isIRI(?o)) BIND (?p = <{RDF.type}> AS ?typed) }}"""):
            objects[o] = objects.get(o, False) or typed.value == "false"
        return cls(properties, objects)


def check_terms(loaded: Loaded, usage: TermUsage | None = None) -> list[Problem]:
    """Every kh: term the data uses must be defined by the ontology (catches misspellings). One problem per
    undefined term, at the statement whose subject comes first by IRI."""
    store = loaded.store
    usage = usage or TermUsage.scan(loaded)
    defined = defined_terms(loaded)
    undefined = {t for t in (*usage.properties, *usage.objects) if t.value.startswith(_KH) and t.value not in defined}
    problems = []
    for term in undefined:
        uses = [(q, "property") for q in asserted_quads(store, predicate=term)]
        uses += [(q, "class or value") for q in asserted_quads(store, obj=term)]
        q, role = min(uses, key=lambda u: (_sort_text(u[0].subject), u[1] != "property", _sort_text(u[0].predicate),
                                           _sort_text(u[0].object)))
        problems.append(Problem(
            f"{curie(term.value)} is not defined by the ontology (a misspelt {role}?)",
            where=locate(loaded, q.subject, term),
            focus=focus_of(q.subject),
            check="term",
        ))
    return in_file_order(loaded, problems)


def _typed(store: ox.Store, node: ox.NamedNode) -> bool:
    """Whether the asserted data gives the node a type (an index lookup: no scan)."""
    return any(not is_build_graph(q.graph_name) for q in store.quads_for_pattern(node, _RDF_TYPE, None, None))


def check_references(loaded: Loaded, usage: TermUsage | None = None) -> list[Problem]:
    """Every instance IRI the data points at must be declared somewhere with a type. One problem per unknown
    IRI, at the statement whose subject comes first by IRI."""
    store = loaded.store
    usage = usage or TermUsage.scan(loaded)
    problems = []
    for target, pointed_at in usage.objects.items():
        if not pointed_at or not target.value.startswith(ID) or _typed(store, target):
            continue
        if passage_span(target) is not None:
            continue  # a passage is described by the build, not declared in the data
        uses = [q for q in asserted_quads(store, obj=target) if q.predicate != _RDF_TYPE]
        q = min(uses, key=lambda u: (_sort_text(u.subject), _sort_text(u.predicate)))
        problems.append(Problem(
            f"{curie(q.predicate.value)} points at an unknown entity {curie(target.value)} (declared nowhere with "
            f"a type)",
            where=locate(loaded, q.subject, q.predicate, target),
            focus=focus_of(q.subject),
            check="reference",
        ))
    return in_file_order(loaded, problems)


def value_properties(loaded: Loaded) -> set[str]:
    """The IRIs of the ontology's direct sub-properties of kh:value (numbers that must be printed)."""
    return {q.subject.value for q in loaded.store.quads_for_pattern(
        None, ox.NamedNode(str(RDFS.subPropertyOf)), ox.NamedNode(str(KH.value)), _ONTOLOGY)
        if isinstance(q.subject, ox.NamedNode)}


def check_passages(loaded: Loaded, index: SourceIndex, text: str | None,
                   names: list[ox.NamedNode] | None = None) -> list[Problem]:
    """Passage names must be spans inside the document; with the text at hand, each statement's passage must
    contain a surface form of what the statement is about (a name, the number, the date).

    The text test is Python work per statement; what it needs of the graph (labels, printed forms, links) is
    fetched once, in bulk (SurfaceFacts). Passages come in order of their names; a passage's problems in file
    order.
    """
    store = loaded.store
    names = data_graph_names(store) if names is None else names
    problems = [Problem(msg, check="passage") for msg in span_problems(loaded, index, text, names)]
    if text is None or problems:
        return problems
    facts = SurfaceFacts(store, names)
    values = value_properties(loaded)
    for name in names:
        span = passage_span(name)
        assert span is not None  # span_problems found no graph that is not a passage
        passage = text[span.start : span.end].casefold()
        found = []
        for q in store.quads_for_pattern(None, None, None, name):
            s, p, o = q.subject, q.predicate, q.object
            anchors = statement_anchors(facts, s, p, o, values)
            if not anchors or any(a.casefold() in passage for a in anchors):
                continue
            found.append(Problem(
                f"passage {curie(name.value)} (line {index.line_of(span.start)}) does not mention "
                f"{_describe_term(facts, s)} or {_describe_term(facts, o)}",
                where=locate(loaded, s, p, o),
                focus=focus_of(s),
                path=curie(p.value),
                check="passage",
            ))
        problems += in_file_order(loaded, found)
    return problems


def _describe_term(graph: Graph | SurfaceFacts, term: object) -> str:
    """How a message names a term: a literal quoted, an IRI as a CURIE, a blank node by the names it links.
    ``graph`` is an rdflib graph (rdflib terms) or the store's SurfaceFacts (Oxigraph terms)."""
    if isinstance(term, Literal):
        return f'"{term}"'
    if isinstance(term, ox.Literal):
        return f'"{term.value}"'
    if isinstance(term, URIRef):
        return curie(str(term))
    if isinstance(term, ox.NamedNode):
        return curie(term.value)
    forms = sorted(surface_forms(graph, term))
    return "[" + ", ".join(forms[:3]) + "]"


def check_shapes(loaded: Loaded, data: Graph, shapes_path: Path) -> tuple[list[Problem], Graph | None]:
    """SHACL validation with pySHACL, inference off, every constraint: the reference path (KHASAN_KG_REFERENCE=1,
    or build.run(reference=True)). The fast path is shapecheck.shape_problems."""
    from pyshacl import validate as shacl_validate

    if not shapes_path.is_file():
        return [], None
    shapes = Graph()
    try:
        shapes.parse(shapes_path, format="turtle")
    except Exception as exc:
        raise InputError(f"{shapes_path}: cannot parse the shapes: {exc}") from exc
    # The whole ontology goes into the data graph (not pySHACL's ont_graph, which mixes in only its RDFS/OWL
    # axioms): the echelon check needs kh:echelonRank, sh:class the class hierarchy. Nothing is inferred.
    data = data + loaded.ontology
    conforms, report, _ = shacl_validate(
        data,
        shacl_graph=shapes,
        inference="none",
        advanced=True,
        allow_warnings=True,
    )
    if not isinstance(report, Graph):  # pySHACL returns a ValidationFailure when the shapes themselves are broken
        raise InputError(f"{shapes_path}: the shapes cannot be used: {report}")
    problems = []
    if not conforms:
        nested = set(report.objects(None, SH.detail))  # details of a result, not results of their own
        for result in report.subjects(RDF.type, SH.ValidationResult):
            if result in nested:
                continue
            severity = report.value(result, SH.resultSeverity)
            if severity != SH.Violation:
                continue
            focus = report.value(result, SH.focusNode)
            path = report.value(result, SH.resultPath)
            value = report.value(result, SH.value)
            message = report.value(result, SH.resultMessage) or "violates a shape"
            where = _locate(loaded, data, focus, path, value)
            problems.append(
                Problem(
                    str(message),
                    where=where,
                    focus=curie(str(focus)) if isinstance(focus, URIRef) else _describe_term(data, focus),
                    label=_label(data, focus),
                    path=curie(str(path)) if isinstance(path, URIRef) else None,
                    check="shape",
                )
            )
    problems.sort(key=lambda p: (p.where or "~", p.focus or "", p.message))
    return problems, report


def _locate(loaded: Loaded, data: Graph, focus: object, path: object, value: object) -> str | None:
    """file:line of a problem; a blank node is found through the statement that points at it."""
    if isinstance(focus, BNode):
        for parent, via in data.subject_predicates(focus):  # type: ignore[arg-type]
            where = loaded.locator.locate(parent, via)
            if where:
                return where
        return None
    return loaded.locator.locate(focus, path, value if isinstance(value, Literal | URIRef) else None)


def prepare_shapes_data(loaded: Loaded, index: SourceIndex | None = None,
                        on_derived: Callable[[], None] | None = None) -> None:
    """Make ALL_GRAPH what SHACL validates, once: derive into it first (provenance and OWL-Time; kept as text in
    ``loaded.derived``, and ``on_derived`` is called once it is there), then merge the asserted data and the
    ontology into it, as a set.

    The derivation goes straight into ALL_GRAPH, while that is still empty, and is read back from it as text:
    the store never holds it twice. If ALL_GRAPH was merged before (a caller's own merge_into_all_graph), it is
    derived into DERIVED_GRAPH, added to ALL_GRAPH and that graph dropped, to the same end."""
    from .store import add_to_all_graph

    store = loaded.store
    if not loaded.merged:
        if loaded.derived is None:
            merged_before = next(iter(store.quads_for_pattern(None, None, None, _ALL)), None) is not None
            target = _DERIVED if merged_before else _ALL
            derive_all_into(store, index, target)
            loaded.derived = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=target) or b""
            if merged_before:
                store.update(f"ADD <{DERIVED_GRAPH}> TO <{ALL_GRAPH}> ; DROP SILENT GRAPH <{DERIVED_GRAPH}>")
        if on_derived is not None:
            on_derived()
        add_to_all_graph(store)
        loaded.merged = True
    elif on_derived is not None:
        on_derived()


def shapes_graph(loaded: Loaded, index: SourceIndex | None = None) -> Graph:
    """What SHACL validates, as an rdflib graph: ALL_GRAPH (asserted, derived and ontology, merged as a set).

    Derives and merges first if the build has not (``prepare_shapes_data``). The numbers of the derived
    predicates (kh:line, oa:start, oa:end) get back the datatypes Oxigraph does not keep
    (provenance.DERIVED_DATATYPES), as the published files write them.
    """
    prepare_shapes_data(loaded, index)
    store = loaded.store
    data = Graph()
    bind_prefixes(data)
    retyped = {ox.NamedNode(p) for p in DERIVED_DATATYPES}
    for q in store.quads_for_pattern(None, None, None, _ALL):
        s, p, o = q.subject, q.predicate, q.object
        if p in retyped:
            o = as_derived(p, o)
        data.add((to_rdflib(s), to_rdflib(p), to_rdflib(o)))  # type: ignore[arg-type]
    return data


def validate_loaded(loaded: Loaded, *, source_text: str | None = None, shapes: bool = True,
                    on_derived: Callable[[], None] | None = None) -> Report:
    """Run every check on loaded data; the report lists the problems check by check, each check's in file
    order (the shapes' sorted by file and line).

    The checks other than SHACL read the store and make no rdflib graph; with ``shapes``, DERIVED_GRAPH is
    derived (if the build has not) and ALL_GRAPH merged, and SHACL reads ALL_GRAPH (pySHACL, on the reference
    path, as an rdflib copy). On the fast path the derivation and the merge come first, and ``on_derived`` is
    called between them: the build's reasoner, at work since the load, then has all it reads.
    """
    index = SourceIndex(loaded.store)
    report = Report()
    if shapes and not use_reference():
        prepare_shapes_data(loaded, index, on_derived)
    if source_text is None:
        path = loaded.project.source_document()
        if path is not None:
            source_text = path.read_text(encoding="utf-8")
        else:
            report.notes.append("source document not found: passage texts were not checked")
    names = data_graph_names(loaded.store)
    usage = TermUsage.scan(loaded, names)
    report.problems += check_terms(loaded, usage)
    report.problems += check_references(loaded, usage)
    report.problems += check_passages(loaded, index, source_text, names)
    from .checks import run_all  # imported here: checks.py builds on this module's Problem

    report.problems += run_all(loaded)
    if shapes:
        if use_reference():  # pySHACL with every constraint, on an rdflib copy of ALL_GRAPH
            data = shapes_graph(loaded, index)
            shape_problems, shacl_report = check_shapes(loaded, data, loaded.project.shapes)
        else:  # SHACL Core as set-at-a-time SPARQL in the store (shapecheck, shaclsparql)
            from .shapecheck import shape_problems as store_shape_problems

            shape_problems, shacl_report = store_shape_problems(loaded, loaded.project.shapes)
        report.problems += shape_problems
        report.shacl_report = shacl_report
    return report


# rdflib namespaces used only in annotations above, kept for readers' grep
_ = OWL


# ---------------------------------------------------------------- the fast path of check_shapes
# SPARQL-based constraints of node shapes, run once over the whole graph in Oxigraph. pySHACL runs each one per
# focus node through rdflib's SPARQL parser (about 4 ms a parse): three quarters of its time on our shapes.

_REFERENCE_ENV = "KHASAN_KG_REFERENCE"
_reference: contextvars.ContextVar[bool | None] = contextvars.ContextVar("khasan_kg_reference", default=None)


def use_reference() -> bool:
    """Whether to run the reference (plain pySHACL) path: set by build.run(reference=…), else by the
    environment variable KHASAN_KG_REFERENCE=1."""
    chosen = _reference.get()
    if chosen is not None:
        return chosen
    return os.environ.get(_REFERENCE_ENV, "").strip().lower() in ("1", "true", "yes")


@dataclass
class _SparqlConstraint:
    shape: URIRef | BNode
    node: URIRef | BNode
    query: str  # the sh:select text with prefixes applied and $this as ?this
    messages: list[Literal]
    severity: URIRef
    targets: str  # a SPARQL group binding ?this to the shape's focus nodes


def _split_sparql_constraints(shapes: Graph) -> tuple[Graph, list[_SparqlConstraint]]:
    """The shapes without the SPARQL constraints of node shapes, and those constraints. Constraints this path
    cannot run the same way (on property shapes, with $PATH, $shapesGraph or $currentShape, deactivated, or on a
    shape with no target) stay with pySHACL."""
    kept = Graph()
    for t in shapes:
        kept.add(t)
    for prefix, ns in shapes.namespaces():
        kept.bind(prefix, ns, override=True)
    constraints = []
    for shape, node in list(shapes.subject_objects(SH.sparql)):
        select = shapes.value(node, SH.select)
        targets = _target_pattern(shapes, shape)
        if (
            select is None
            or targets is None
            or shapes.value(shape, SH.path) is not None
            or any(v in str(select) for v in ("$PATH", "$shapesGraph", "$currentShape", "?PATH"))
            or (shapes.value(node, SH.deactivated) or Literal(False)).toPython() is True
            or (shapes.value(shape, SH.deactivated) or Literal(False)).toPython() is True
        ):
            continue
        prefixes = []
        for declarer in shapes.objects(node, SH.prefixes):
            for declaration in shapes.objects(declarer, SH.declare):
                prefix, namespace = shapes.value(declaration, SH.prefix), shapes.value(declaration, SH.namespace)
                prefixes.append(f"PREFIX {prefix}: <{namespace}>")
        body = re.sub(r"\$this\b", "?this", str(select))
        query = "\n".join(prefixes) + f"\nSELECT * WHERE {{ {{ {targets} }} {{ {body} }} }}"
        messages = [m for m in shapes.objects(node, SH.message) if isinstance(m, Literal)]
        severity = shapes.value(shape, SH.severity) or SH.Violation
        constraints.append(_SparqlConstraint(shape, node, query, messages, severity, targets))  # type: ignore[arg-type]
        kept.remove((shape, SH.sparql, node))
    return kept, constraints


def _target_pattern(shapes: Graph, shape: object) -> str | None:
    """A SPARQL pattern binding ?this to the focus nodes of the shape's targets (SHACL instance semantics)."""
    parts = []
    for cls in shapes.objects(shape, SH.targetClass):  # type: ignore[arg-type]
        parts.append(f"{{ ?this a/<{RDFS.subClassOf}>* <{cls}> }}")
    if (shape, RDF.type, RDFS.Class) in shapes:
        parts.append(f"{{ ?this a/<{RDFS.subClassOf}>* <{shape}> }}")
    for prop in shapes.objects(shape, SH.targetSubjectsOf):  # type: ignore[arg-type]
        parts.append(f"{{ SELECT DISTINCT ?this WHERE {{ ?this <{prop}> [] }} }}")
    for prop in shapes.objects(shape, SH.targetObjectsOf):  # type: ignore[arg-type]
        parts.append(f"{{ SELECT DISTINCT ?this WHERE {{ [] <{prop}> ?this }} }}")
    for node in shapes.objects(shape, SH.targetNode):  # type: ignore[arg-type]
        if not isinstance(node, URIRef):
            return None
        parts.append(f"{{ VALUES ?this {{ <{node}> }} }}")
    if any(True for _ in shapes.objects(shape, SH.target)):  # type: ignore[arg-type]
        return None
    if not parts:
        return None
    return "SELECT DISTINCT ?this WHERE { " + " UNION ".join(parts) + " }"



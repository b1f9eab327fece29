"""Validation: does the asserted graph hold together? Terms, references, passages, and the SHACL shapes.

Validation runs on the asserted data (plus the provenance the build derives from passage names) with pySHACL's
inference off: entailments would hide errors (a place used as a commander would become a person).
"""

from __future__ import annotations

import contextvars
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from .errors import InputError
from .load import Loaded
from .namespaces import ID, KH, SH, curie
from .provenance import (
    SourceIndex,
    derive,
    named_graphs,
    passage_span,
    span_problems,
    statement_anchors,
    surface_forms,
)

_KH = str(KH)


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
    for label in graph.objects(node, RDFS.label):  # type: ignore[arg-type]
        if isinstance(label, Literal) and label.language == "en":
            return str(label)
    return None


def _defined_terms(ontology: Graph) -> set[URIRef]:
    return {s for s in ontology.subjects() if isinstance(s, URIRef) and str(s).startswith(_KH)}


def check_terms(loaded: Loaded, union: Graph) -> list[Problem]:
    """Every kh: term the data uses must be defined by the ontology (catches misspellings)."""
    defined = _defined_terms(loaded.ontology)
    problems, seen = [], set()
    for s, p, o in union:
        for term, role in ((p, "property"), (o, "class or value")):
            if isinstance(term, URIRef) and str(term).startswith(_KH) and term not in defined:
                if term in seen:
                    continue
                seen.add(term)
                where = loaded.locator.locate(s, term)
                problems.append(
                    Problem(
                        f"{curie(str(term))} is not defined by the ontology (a misspelt {role}?)",
                        where=where,
                        focus=curie(str(s)) if isinstance(s, URIRef) else None,
                        check="term",
                    )
                )
    return problems


def check_references(loaded: Loaded, union: Graph) -> list[Problem]:
    """Every instance IRI the data points at must be declared somewhere with a type."""
    typed = set(union.subjects(RDF.type, None))
    problems, seen = [], set()
    for s, p, o in union:
        if p == RDF.type or not isinstance(o, URIRef) or not str(o).startswith(ID):
            continue
        if passage_span(o) is not None or o in typed or o in seen:
            continue
        seen.add(o)
        problems.append(
            Problem(
                f"{curie(str(p))} points at an unknown entity {curie(str(o))} (declared nowhere with a type)",
                where=loaded.locator.locate(s, p, o),
                focus=curie(str(s)) if isinstance(s, URIRef) else None,
                check="reference",
            )
        )
    return problems


def check_passages(loaded: Loaded, index: SourceIndex, text: str | None, union: Graph) -> list[Problem]:
    """Passage names must be spans inside the document; with the text at hand, each statement's passage must
    contain a surface form of what the statement is about (a name, the number, the date)."""
    problems = [Problem(msg, check="passage") for msg in span_problems(loaded.dataset, index, text)]
    if text is None or problems:
        return problems
    value_properties = set(loaded.ontology.subjects(RDFS.subPropertyOf, KH.value))
    for name in named_graphs(loaded.dataset):
        span = passage_span(name)
        assert span is not None
        passage = text[span.start : span.end].casefold()
        for s, p, o in loaded.dataset.graph(name):
            anchors = statement_anchors(union, s, p, o, value_properties)
            if not anchors or any(a.casefold() in passage for a in anchors):
                continue
            problems.append(
                Problem(
                    f"passage {curie(str(name))} (line {index.line_of(span.start)}) does not mention "
                    f"{_describe_term(union, s)} or {_describe_term(union, o)}",
                    where=loaded.locator.locate(s, p, o),
                    focus=curie(str(s)) if isinstance(s, URIRef) else None,
                    path=curie(str(p)),
                    check="passage",
                )
            )
    return problems


def _describe_term(graph: Graph, term: object) -> str:
    if isinstance(term, Literal):
        return f'"{term}"'
    if isinstance(term, URIRef):
        return curie(str(term))
    forms = sorted(surface_forms(graph, term))
    return "[" + ", ".join(forms[:3]) + "]"


def check_shapes(loaded: Loaded, data: Graph, shapes_path: Path) -> tuple[list[Problem], Graph | None]:
    """SHACL validation with pySHACL, inference off, the ontology given for class hierarchy only.

    The fast path (the default) gives pySHACL the shapes without their SPARQL-based constraints, which it would
    parse and run once per focus node, and runs each of those constraints once over the whole graph in Oxigraph
    instead (_whole_graph_sparql below), reporting the same focus nodes, values and messages. The reference path
    (KHASAN_KG_REFERENCE=1, or build.run(reference=True)) gives pySHACL everything.
    """
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
    sparql_results: list[tuple[object, ...]] = []
    if not use_reference():
        shapes, constraints = _split_sparql_constraints(shapes)
        sparql_results = _whole_graph_sparql(data, Graph(), constraints)
    conforms, report, _ = shacl_validate(
        data,
        shacl_graph=shapes,
        inference="none",
        advanced=True,
        allow_warnings=True,
    )
    if not isinstance(report, Graph):  # pySHACL returns a ValidationFailure when the shapes themselves are broken
        raise InputError(f"{shapes_path}: the shapes cannot be used: {report}")
    if sparql_results:
        conforms = False
        _add_results(report, sparql_results)
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


def validate_loaded(loaded: Loaded, *, source_text: str | None = None, shapes: bool = True) -> Report:
    """Run every check on loaded data; the report lists all problems, in file order."""
    union = loaded.union()
    index = SourceIndex(union)
    report = Report()
    if source_text is None:
        path = loaded.project.source_document()
        if path is not None:
            source_text = path.read_text(encoding="utf-8")
        else:
            report.notes.append("source document not found: passage texts were not checked")
    report.problems += check_terms(loaded, union)
    report.problems += check_references(loaded, union)
    report.problems += check_passages(loaded, index, source_text, union)
    from .checks import run_all  # imported here: checks.py builds on this module's Problem

    report.problems += run_all(loaded, union)
    if shapes:
        data = union + derive(loaded.dataset, index)
        shape_problems, shacl_report = check_shapes(loaded, data, loaded.project.shapes)
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


def _whole_graph_sparql(data: Graph, ontology: Graph, constraints: list[_SparqlConstraint]
                        ) -> list[tuple[object, ...]]:
    """(constraint, focus, value, message, path) for every violation, as pySHACL would report it: the value is ?value
    (or the focus node when the query has none), the first sh:message of the constraint with {?var} filled in."""
    if not constraints:
        return []
    import pyoxigraph as ox

    from .store import to_oxigraph, to_rdflib

    # the caller has already put the ontology into the data graph; anything given here is mixed in as well
    mixed_in = ontology
    store = ox.Store()
    store.bulk_extend(
        ox.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o), ox.DefaultGraph())  # type: ignore[arg-type]
        for g in (data, mixed_in) for s, p, o in g if not isinstance(s, Literal)
    )
    out = []
    for c in constraints:
        solutions = store.query(c.query)
        names = [v.value for v in solutions.variables]  # type: ignore[union-attr]
        seen = set()
        for row in solutions:  # type: ignore[union-attr]
            bound = {n: to_rdflib(row[n]) for n in names if row[n] is not None}
            this, value, path = bound.get("this"), bound.get("value"), bound.get("path")
            key = tuple(sorted((k, v) for k, v in bound.items()))
            if key in seen:
                continue
            seen.add(key)
            message = str(c.messages[0]) if c.messages else "violates a SPARQL constraint"
            for var, val in bound.items():
                message = re.sub(f"{{[?$]{var}}}", str(val), message)
            out.append((c, this, value if value is not None else this, message, path))  # type: ignore[arg-type]
    return out  # type: ignore[return-value]


def _add_results(report: Graph, results: list) -> None:  # type: ignore[type-arg]
    """Add the whole-graph SPARQL violations to pySHACL's report graph, in its vocabulary."""
    root = report.value(None, RDF.type, SH.ValidationReport, any=True)
    if root is not None:
        report.set((root, SH.conforms, Literal(False)))
    for c, focus, value, message, path in results:
        r = BNode()
        if root is not None:
            report.add((root, SH.result, r))
        report.add((r, RDF.type, SH.ValidationResult))
        report.add((r, SH.resultSeverity, c.severity))
        report.add((r, SH.sourceShape, c.shape))
        report.add((r, SH.sourceConstraint, c.node))
        report.add((r, SH.sourceConstraintComponent, SH.SPARQLConstraintComponent))
        report.add((r, SH.focusNode, focus))
        report.add((r, SH.value, value))
        if path is not None:
            report.add((r, SH.resultPath, path))
        report.add((r, SH.resultMessage, Literal(message)))

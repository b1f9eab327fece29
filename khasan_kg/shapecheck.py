"""SHACL on the build store: the fast path of validation.

SHACL Core runs as set-at-a-time SPARQL (shaclsparql); the shapes' SPARQL-based constraints run once each over the
whole graph; shapes the compiler cannot handle, if any, go to pySHACL. All of it reads ALL_GRAPH, the set union
of asserted data, derived provenance and ontology, which is exactly the data graph pySHACL gets on the reference
path (validate.check_shapes with KHASAN_KG_REFERENCE=1). tests/test_fastpaths.py shows the two give the same
problems and messages.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS

from .errors import InputError
from .load import Loaded
from .namespaces import ALL_GRAPH, SH, curie
from .shaclsparql import CompiledShapes, ShaclResult, compile_shapes, validate_store
from .store import merge_into_all_graph
from .terms import to_oxigraph, to_rdflib

_ALL = ox.NamedNode(str(ALL_GRAPH))


@lru_cache(maxsize=4)
def _compiled(path: Path, mtime_ns: int) -> tuple[CompiledShapes, Graph]:
    shapes = Graph()
    try:
        shapes.parse(path, format="turtle")
    except Exception as exc:  # rdflib raises several unrelated types for bad syntax
        raise InputError(f"{path}: cannot parse the shapes: {exc}") from exc
    return compile_shapes(shapes), shapes


def shape_results(loaded: Loaded, shapes_path: Path) -> list[ShaclResult]:
    """Every SHACL result for the store's ALL_GRAPH (merged first if need be)."""
    from .validate import _split_sparql_constraints

    compiled, shapes = _compiled(shapes_path, shapes_path.stat().st_mtime_ns)
    store = merge_into_all_graph(loaded.store)
    results = validate_store(store, compiled, default_graph=_ALL)
    _, constraints = _split_sparql_constraints(shapes)
    results += _sparql_results(store, constraints)
    if compiled.unsupported:  # shapes the compiler cannot run: pySHACL, on an rdflib copy of the data
        results += _residual(loaded, compiled)
    return results


def _sparql_results(store: ox.Store, constraints: list) -> list[ShaclResult]:  # type: ignore[type-arg]
    """The SPARQL-based constraints of node shapes, each run once over the whole graph, reported as pySHACL
    would: the value is ?value (or the focus node), the first sh:message with {?var} filled in."""
    out = []
    for c in constraints:
        solutions = store.query(c.query, default_graph=_ALL)
        names = [v.value for v in solutions.variables]  # type: ignore[union-attr]
        seen = set()
        for row in solutions:  # type: ignore[union-attr]
            bound = {n: to_rdflib(row[n]) for n in names if row[n] is not None}
            key = tuple(sorted(bound.items()))
            if key in seen:
                continue
            seen.add(key)
            message = str(c.messages[0]) if c.messages else "violates a SPARQL constraint"
            for var, val in bound.items():
                message = re.sub(f"{{[?$]{var}}}", str(val), message)
            this = bound.get("this")
            out.append(ShaclResult(this, bound.get("path"), bound.get("value", this), message,  # type: ignore[arg-type]
                                   c.severity, c.shape, SH.SPARQLConstraintComponent))
    return out


def _residual(loaded: Loaded, compiled: CompiledShapes) -> list[ShaclResult]:
    from pyshacl import validate as shacl_validate

    data = Graph()
    for q in loaded.store.quads_for_pattern(None, None, None, _ALL):
        data.add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))  # type: ignore[arg-type]
    _, report, _ = shacl_validate(data, shacl_graph=compiled.residual_shapes(), inference="none", advanced=True,
                                  allow_warnings=True)
    out = []
    for r in report.subjects(RDF.type, SH.ValidationResult):
        if (None, SH.detail, r) in report:
            continue
        out.append(ShaclResult(report.value(r, SH.focusNode), report.value(r, SH.resultPath),  # type: ignore[arg-type]
                               report.value(r, SH.value), str(report.value(r, SH.resultMessage) or ""),
                               report.value(r, SH.resultSeverity), report.value(r, SH.sourceShape),  # type: ignore[arg-type]
                               report.value(r, SH.sourceConstraintComponent)))  # type: ignore[arg-type]
    return out


def report_graph(results: list[ShaclResult]) -> Graph:
    """The results as a SHACL validation report (sh:ValidationReport), as pySHACL writes one."""
    g = Graph()
    g.bind("sh", SH)
    root = BNode()
    g.add((root, RDF.type, SH.ValidationReport))
    g.add((root, SH.conforms, Literal(not any(r.severity == SH.Violation for r in results))))
    for res in results:
        node = BNode()
        g.add((root, SH.result, node))
        g.add((node, RDF.type, SH.ValidationResult))
        g.add((node, SH.resultSeverity, res.severity))
        g.add((node, SH.focusNode, res.focus))
        g.add((node, SH.sourceConstraintComponent, res.component))
        if isinstance(res.source_shape, URIRef | BNode):
            g.add((node, SH.sourceShape, res.source_shape))
        if isinstance(res.path, URIRef):
            g.add((node, SH.resultPath, res.path))
        if res.value is not None:
            g.add((node, SH.value, res.value))
        if res.message:
            g.add((node, SH.resultMessage, Literal(res.message)))
    return g


def english_label(store: ox.Store, node: object) -> str | None:
    if not isinstance(node, URIRef):
        return None
    rows = store.query(f"SELECT ?l WHERE {{ <{node}> <http://www.w3.org/2000/01/rdf-schema#label> ?l "
                       "FILTER (langMatches(lang(?l), 'en')) } ORDER BY ?l LIMIT 1", default_graph=_ALL)
    for row in rows:  # type: ignore[union-attr]
        return str(row[0].value)
    return None


def parents(store: ox.Store, node: object) -> list[tuple[object, object]]:
    """(subject, predicate) of the statements pointing at ``node``: where a blank node is written."""
    return [(to_rdflib(q.subject), to_rdflib(q.predicate))
            for q in store.quads_for_pattern(None, None, to_oxigraph(node), _ALL)]  # type: ignore[arg-type]


def describe(store: ox.Store, term: object) -> str:
    """A term as a person reads it in a message: a CURIE, a quoted literal, or a blank node's labels."""
    if isinstance(term, Literal):
        return f'"{term}"'
    if isinstance(term, URIRef):
        return curie(str(term))
    labels = sorted(str(q.object.value) for q in store.quads_for_pattern(  # type: ignore[union-attr]
        to_oxigraph(term), ox.NamedNode(str(RDFS.label)), None, _ALL))  # type: ignore[arg-type]
    return "[" + ", ".join(labels[:3]) + "]"


def shape_problems(loaded: Loaded, shapes_path: Path) -> tuple[list, Graph]:  # type: ignore[type-arg]
    """The SHACL problems (violations) as validate.Problem, said as the reference path says them, and the report.

    ALL_GRAPH must be merged (validate.prepare_shapes_data does it). An rdflib copy of the data is made only to
    name a blank-node focus the way the reference path names it, which happens only when there are problems.
    """
    from .validate import Problem, _describe_term

    if not shapes_path.is_file():
        return [], report_graph([])
    results = shape_results(loaded, shapes_path)
    store = loaded.store
    rdflib_copy: Graph | None = None
    problems = []
    for r in results:
        if r.severity != SH.Violation:
            continue
        if isinstance(r.focus, URIRef):
            focus = curie(str(r.focus))
            where = loaded.locator.locate(r.focus, r.path, r.value if isinstance(r.value, Literal | URIRef) else None)
        else:
            if rdflib_copy is None:
                rdflib_copy = Graph()
                for q in store.quads_for_pattern(None, None, None, _ALL):
                    rdflib_copy.add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))  # type: ignore[arg-type]
            focus = _describe_term(rdflib_copy, r.focus)
            where = next((w for parent, via in parents(store, r.focus)
                          if (w := loaded.locator.locate(parent, via))), None)
        problems.append(Problem(r.message or "violates a shape", where=where, focus=focus,
                                label=english_label(store, r.focus),
                                path=curie(str(r.path)) if isinstance(r.path, URIRef) else None, check="shape"))
    problems.sort(key=lambda p: (p.where or "~", p.focus or "", p.message))
    return problems, report_graph(results)

"""SHACL Core compiled to SPARQL and run set-at-a-time in Oxigraph, with pySHACL's results.

Why: pySHACL checks one focus node at a time in Python (about 1.5 s on the real graph without its SPARQL
constraints, minutes at 200k triples). Here every constraint of a top-level shape becomes one SPARQL query over
all of its focus nodes at once, so the cost grows with the data, not with the number of focus nodes times the
number of constraints. pySHACL (inference "none", advanced=True) stays the reference semantics:
tests/test_shacl_sparql.py compares the two, result for result.

How
  * ``compile_shapes`` parses the shapes graph once into a tree of shapes and constraints.
  * ``validate_store`` runs, for each top-level shape (one with a target), one query per constraint:
    ``SELECT ?this ?value`` for the value nodes that fail a value-type constraint, ``SELECT ?this`` for
    focus nodes whose value count is wrong (min/max count, qualified counts) and so on.
  * Nested shapes (``sh:node``, members of ``sh:or``/``sh:and``/``sh:xone``, ``sh:not``, ``sh:qualifiedValueShape``,
    ``sh:property`` of a nested shape) compile to one SPARQL boolean expression, "?x conforms to S", built from
    FILTER tests and (NOT) EXISTS patterns, so a whole shape tree is still one query.
  * Where SPARQL cannot say exactly what pySHACL does, because pySHACL relies on rdflib, the values are
    judged in Python: whether a literal is ill-typed (``sh:datatype``), rdflib's literal ordering (``sh:minInclusive``
    and the other range constraints) and Python's ``re`` (``sh:pattern``). One query per test fetches the distinct
    candidate values (the values of the paths where the test applies). Python judges each of them as pySHACL
    would, and the few that fail are written into the queries as constants. Nothing is queried per focus node.
  * One query reads the subclasses of every class the shapes name, so that "?x is a SHACL instance of C" is a
    lookup of ?x's types in a list (the path rdf:type/rdfs:subClassOf* per value is twenty times slower).

The data graph is the union of all graphs in the store (``use_default_graph_as_union``), or the graphs given as
``default_graph``. It must contain the class hierarchy: ``sh:class`` and ``sh:targetClass`` follow
``rdf:type/rdfs:subClassOf*``, as pySHACL does with inference off.

Supported
  Targets: sh:targetClass (with subclasses), implicit class targets (a shape typed rdfs:Class, or a class the
  shapes graph declares a subclass of rdfs:Class, as pySHACL reads it), sh:targetNode (IRIs and literals),
  sh:targetSubjectsOf, sh:targetObjectsOf. Paths: predicate, sequence, sh:alternativePath, sh:inversePath,
  sh:zeroOrMorePath, sh:oneOrMorePath, sh:zeroOrOnePath. Constraints: sh:minCount, sh:maxCount, sh:class,
  sh:datatype, sh:nodeKind, sh:minInclusive, sh:minExclusive, sh:maxInclusive, sh:maxExclusive, sh:minLength,
  sh:maxLength, sh:pattern (+ sh:flags), sh:languageIn, sh:uniqueLang, sh:in, sh:hasValue, sh:node, sh:property,
  sh:and, sh:or, sh:xone, sh:not, sh:qualifiedValueShape with sh:qualifiedMinCount / sh:qualifiedMaxCount /
  sh:qualifiedValueShapesDisjoint. Also sh:message, sh:severity and sh:deactivated.

Unsupported, and how you find out
  ``compile_shapes`` does not fail on a shape it cannot compile. It records an ``Unsupported`` (naming the
  shape and the feature) in ``CompiledShapes.unsupported`` and leaves that top-level shape out.
  ``CompiledShapes.residual_shapes()`` gives a shapes graph with just those shapes (and what they refer to) for
  pySHACL, and ``CompiledShapes.require_all()`` raises the first ``Unsupported`` for callers that want all or
  nothing. Not compiled: sh:closed, sh:equals, sh:disjoint, sh:lessThan, sh:lessThanOrEquals, SHACL-AF
  (sh:target, sh:expression, sh:rule: rules change the data, so ``compile_shapes`` raises for them), JavaScript,
  custom constraint components, recursive shapes, blank-node targets or sh:in/sh:hasValue members, and counts
  above 4 inside nested shapes.

  SPARQL-based constraints (sh:sparql) are out of scope. Those on a supported top-level node shape are skipped
  and listed in ``CompiledShapes.sparql_constraints``: khasan_kg/shapecheck.py runs them once over the whole
  graph. sh:sparql anywhere else (on a property shape,
  in a nested shape) makes the top-level shape unsupported, because its SPARQL results would decide the
  conformance of the nested shapes.

Results (``ShaclResult``), as pySHACL reports them
  One result per (focus, value) for value-type constraints; one per focus for counts, sh:hasValue on a path and
  qualified counts (no sh:value); one per duplicated language for sh:uniqueLang (no sh:value); for a constraint on
  a node shape the value is the focus node itself. With several values of one parameter (two sh:class, two
  sh:or lists), each value is checked separately, like pySHACL. Nested results (pySHACL's sh:detail) are not
  reported. ``path`` is the URIRef of a predicate path; a complex path is an rdflib.paths object (InvPath,
  AlternativePath, SequencePath, MulPath), which compares by structure. ``path_of`` turns any SHACL path node
  (e.g. the sh:resultPath of a pySHACL report) into the same form. ``message`` is the shape's sh:message
  (pySHACL does not substitute {$this} or {?value} in SHACL Core messages, so neither does this module; with
  several messages the first English or untagged one, in code-point order). Without an sh:message it is
  pySHACL's default text. Values are the terms the store holds: Oxigraph keeps literals in a canonical form
  ("2.0"^^xsd:decimal reads back as "2"^^xsd:decimal, "5"^^xsd:nonNegativeInteger as "5"^^xsd:integer), where
  rdflib may keep the lexical form as written.

Known differences from pySHACL
  * Oxigraph stores a value of an integer-derived type that fits 64 bits (xsd:nonNegativeInteger, xsd:int ...)
    as xsd:integer, and xsd:dateTimeStamp as xsd:dateTime (oxigraph issue #526), so the original datatype is
    gone. sh:datatype of such a type accepts a stored xsd:integer whose value rdflib would accept for it
    ("-5"^^xsd:nonNegativeInteger still fails); sh:datatype xsd:integer accepts what was written as a derived
    type. pySHACL rejects both. In ontology/shapes.ttl this concerns the passage offsets (the build writes
    them as xsd:nonNegativeInteger, which therefore pass) and khsh:Count, which accepts both types anyway.
  * rdflib rewrites an ill-typed boolean ("yes"^^xsd:boolean) to "false" and flags it ill-typed, so pySHACL
    reports "false" where this module reports the stored "yes" (or nothing, if the store was filled from the
    rewritten rdflib graph).
  * Oxigraph does not distinguish ``"x"`` from ``"x"^^xsd:string``; rdflib does (for sh:in, sh:hasValue).
  * Nested conformance follows pySHACL with allow_warnings=False: a nested shape with a Warning/Info result
    does not conform (with allow_warnings=True pySHACL lets sh:or and sh:qualifiedValueShape count it as
    conforming).
  * Implicit class targets are read as pySHACL reads them: a shape typed rdfs:Class, or typed with a class
    the shapes graph declares a subclass of rdfs:Class (owl:Class counts only if the shapes graph says so).
  * Default messages render data nodes with the shapes graph's prefixes (pySHACL uses the data graph's), and
    a data blank node as "[ ]" (pySHACL describes its triples). Where pySHACL's own order is a set's order
    (the members of sh:in in its default message), the text may list them in another order.

Measured (2 cores shared with other jobs; ``_measure`` in this module; store loaded and shapes compiled before)
  compile_shapes(ontology/shapes.ttl): 13 ms.
  Real graph (loaded.union() + ontology, 8.3k triples): validate_store 0.04-0.1 s; pySHACL without its SPARQL
  constraints takes 1.5-2.5 s on the same graph and gives the same results.
  benchmarks.generate(100000) + ontology (106k triples): 0.5 s.
  benchmarks.generate(1000000) + ontology (1.04M triples): 8.6 s wall, 6 s CPU (bulk_load took 4.4 s).
  About 140 queries whatever the size of the data; each top-level constraint is one query.
"""

from __future__ import annotations

import re
import time as _time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from functools import lru_cache
from itertools import combinations, count
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib import term as rdflib_term
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, XSD, Namespace
from rdflib.paths import AlternativePath, InvPath, MulPath, Path, SequencePath

from .terms import solution_rows

Term = URIRef | BNode | Literal
ReportPath = URIRef | Path
SH = Namespace("http://www.w3.org/ns/shacl#")  # open: SHACL-AF and SHACL-JS terms too

__all__ = ["CompiledShapes", "ShaclResult", "Unsupported", "compile_shapes", "path_of", "validate_store"]


@dataclass(frozen=True)
class ShaclResult:
    """One validation result, with the fields of pySHACL's sh:ValidationResult."""

    focus: Term
    path: ReportPath | None  # URIRef, or an rdflib.paths object for a complex path
    value: Term | None
    message: str | None
    severity: URIRef
    source_shape: Term
    component: URIRef


class Unsupported(Exception):
    """A shape uses a SHACL feature this compiler does not implement."""

    def __init__(self, shape: object, feature: str) -> None:
        super().__init__(f"{shape}: {feature} is not supported by the SHACL-to-SPARQL compiler")
        self.shape = shape
        self.feature = feature


# ---------------------------------------------------------------------------------------------------- paths

_SEQUENCE_PATH_MODS = {SH.zeroOrMorePath: "*", SH.oneOrMorePath: "+", SH.zeroOrOnePath: "?"}


@dataclass(frozen=True)
class _Path:
    """A SHACL path: its SPARQL property path, how results report it, and whether it can have length zero
    (then a query must start from the focus nodes: the path alone would bind every node of the graph)."""

    sparql: str
    report: ReportPath
    node: Term
    zero_length: bool
    steps: tuple[str, ...] = ()  # a sequence of plain predicates, step by step

    def pattern(self, subject: str, obj: str) -> str:
        """``subject PATH obj`` as a SPARQL pattern. A sequence of plain predicates is written as triple patterns
        joined by fresh variables: Oxigraph evaluates ``?this (a / b) ?v`` inside (NOT) EXISTS by walking the whole
        path relation for each focus node, a hundred times slower at 100k triples."""
        if len(self.steps) < 2:
            return f"{subject} {self.sparql} {obj}"
        hops = [subject] + [_var("step") for _ in self.steps[1:]] + [obj]
        return " . ".join(f"{hops[i]} {step} {hops[i + 1]}" for i, step in enumerate(self.steps))


def _parse_path(g: Graph, node: Term, shape: object) -> _Path:
    if isinstance(node, URIRef):
        return _Path(f"<{node}>", node, node, False)
    if not isinstance(node, BNode):
        raise Unsupported(shape, f"the path {node!r}")
    if g.value(node, RDF.first) is not None:
        parts = [_parse_path(g, p, shape) for p in Collection(g, node)]
        sparql = "(" + " / ".join(p.sparql for p in parts) + ")"
        steps = tuple(p.sparql for p in parts) if all(isinstance(p.node, URIRef) for p in parts) else ()
        return _Path(sparql, SequencePath(*(p.report for p in parts)), node, all(p.zero_length for p in parts),
                     steps)
    alternatives = g.value(node, SH.alternativePath)
    if alternatives is not None:
        parts = [_parse_path(g, p, shape) for p in Collection(g, alternatives)]
        if not parts:
            raise Unsupported(shape, "an empty sh:alternativePath")
        sparql = "(" + " | ".join(p.sparql for p in parts) + ")"
        return _Path(sparql, AlternativePath(*(p.report for p in parts)), node, any(p.zero_length for p in parts))
    inverse = g.value(node, SH.inversePath)
    if inverse is not None:
        inner = _parse_path(g, inverse, shape)
        return _Path(f"^({inner.sparql})", InvPath(inner.report), node, inner.zero_length)
    for predicate, mod in _SEQUENCE_PATH_MODS.items():
        target = g.value(node, predicate)
        if target is not None:
            inner = _parse_path(g, target, shape)
            zero = mod != "+" or inner.zero_length
            return _Path(f"({inner.sparql}){mod}", MulPath(inner.report, mod), node, zero)
    raise Unsupported(shape, "a path that is not a SHACL path")


def path_of(graph: Graph, node: Term) -> ReportPath:
    """The form ShaclResult.path takes for the SHACL path ``node`` of ``graph``: a URIRef, or an rdflib.paths
    object for a complex path (use it on the sh:resultPath of a pySHACL report to compare)."""
    return _parse_path(graph, node, node).report


# ---------------------------------------------------------------------------------------------------- shapes


@dataclass(eq=False)
class _Constraint:
    """One check, as pySHACL runs it: one value of a parameter (one sh:class, one sh:or list ...).

    ``rule`` is what the check evaluates (a term, an int, a parsed shape, a tuple of shapes), ``rules`` every
    value of the parameter (pySHACL's default messages name them all), ``extra`` what else the kind needs."""

    component: URIRef
    kind: str
    rule: Any
    rules: tuple[Any, ...] = ()
    extra: Any = None


@dataclass(eq=False)
class _Shape:
    node: Term
    path: _Path | None
    severity: URIRef
    messages: tuple[Literal, ...]
    deactivated: bool
    constraints: list[_Constraint] = field(default_factory=list)
    properties: list[_Shape] = field(default_factory=list)
    sparql: list[Term] = field(default_factory=list)
    targets: list[tuple[str, Term]] = field(default_factory=list)


_VALUE_KINDS = {"class", "datatype", "nodeKind", "range", "minLength", "maxLength", "pattern", "languageIn", "in",
                "node", "not", "and", "or", "xone"}
_NODE_KINDS = {SH.IRI, SH.BlankNode, SH.Literal, SH.BlankNodeOrIRI, SH.BlankNodeOrLiteral, SH.IRIOrLiteral}
_RANGES = {
    SH.minInclusive: SH.MinInclusiveConstraintComponent,
    SH.minExclusive: SH.MinExclusiveConstraintComponent,
    SH.maxInclusive: SH.MaxInclusiveConstraintComponent,
    SH.maxExclusive: SH.MaxExclusiveConstraintComponent,
}
_UNSUPPORTED_PARAMETERS = {SH.closed, SH.ignoredProperties, SH.equals, SH.disjoint, SH.lessThan,
                           SH.lessThanOrEquals, SH.expression, SH.js, SH.target}
_LOGICAL = {SH["and"]: ("and", SH.AndConstraintComponent), SH["or"]: ("or", SH.OrConstraintComponent),
            SH.xone: ("xone", SH.XoneConstraintComponent)}
_QUALIFIED = {SH.qualifiedValueShape, SH.qualifiedMinCount, SH.qualifiedMaxCount, SH.qualifiedValueShapesDisjoint}
_TARGETS = {SH.targetClass: "class", SH.targetNode: "node", SH.targetSubjectsOf: "subjectsOf",
            SH.targetObjectsOf: "objectsOf"}
_NESTED_COUNT_LIMIT = 4  # nested counts are written as n distinct values in an EXISTS pattern


def _int_literal(value: object, shape: object, what: str) -> int:
    if not (isinstance(value, Literal) and isinstance(value.value, int) and not isinstance(value.value, bool)):
        raise Unsupported(shape, f"{what} {value!r} (not an integer)")
    return int(value.value)


class _Parser:
    """Shapes graph → _Shape trees, each shape parsed once (khsh:Count is shared by 17 property shapes)."""

    def __init__(self, g: Graph) -> None:
        self.g = g
        self.cache: dict[Term, _Shape] = {}
        self.active: set[Term] = set()
        self.custom_parameters = {
            p for c in g.subjects(RDF.type, SH.ConstraintComponent) for param in g.objects(c, SH.parameter)
            for p in g.objects(param, SH.path)
        }
        self.handlers = self._handlers()

    def shape(self, node: Term) -> _Shape:
        if node in self.cache:
            return self.cache[node]
        if node in self.active:
            raise Unsupported(node, "a recursive shape")
        self.active.add(node)
        try:
            shape = self._build(node)
        finally:
            self.active.discard(node)
        self.cache[node] = shape
        return shape

    def _one(self, node: Term, predicate: URIRef) -> Term:
        values = list(self.g.objects(node, predicate))
        if len(values) != 1:
            raise Unsupported(node, f"{len(values)} values of {predicate}")
        return values[0]

    def _build(self, node: Term) -> _Shape:
        g = self.g
        paths = list(g.objects(node, SH.path))
        if len(paths) > 1:
            raise Unsupported(node, "several sh:path values")
        if paths and (node, RDF.type, SH.NodeShape) in g:
            raise Unsupported(node, "a sh:NodeShape with a sh:path")
        path = _parse_path(g, paths[0], node) if paths else None
        deactivated = [d for d in g.objects(node, SH.deactivated)]
        if len(deactivated) > 1 or (deactivated and not isinstance(deactivated[0], Literal)):
            raise Unsupported(node, "sh:deactivated that is not one literal")
        severities = sorted(g.objects(node, SH.severity))
        shape = _Shape(
            node=node,
            path=path,
            severity=severities[0] if severities else SH.Violation,  # type: ignore[arg-type]
            messages=tuple(m for m in g.objects(node, SH.message) if isinstance(m, Literal)),
            deactivated=bool(deactivated and deactivated[0].value),  # type: ignore[union-attr]
        )
        shape.targets = self._targets(node)
        predicates = set(g.predicates(node))
        for predicate in sorted(predicates):
            self._parameter(shape, predicate)
        if predicates & _QUALIFIED and path is not None:
            self._qualified(shape)
        return shape

    def _targets(self, node: Term) -> list[tuple[str, Term]]:
        g = self.g
        targets = []
        for predicate, kind in _TARGETS.items():
            for value in g.objects(node, predicate):
                if isinstance(value, BNode) or (kind != "node" and not isinstance(value, URIRef)):
                    raise Unsupported(node, f"the target {value!r}")
                targets.append((kind, value))
        class_types = {RDFS.Class, *g.subjects(RDFS.subClassOf, RDFS.Class)}
        if any(t in class_types for t in g.objects(node, RDF.type)):
            if not isinstance(node, URIRef):
                raise Unsupported(node, "an implicit class target on a blank node")
            targets.append(("class", node))
        return targets

    def _parameter(self, shape: _Shape, predicate: URIRef) -> None:
        node, g = shape.node, self.g
        if predicate in _UNSUPPORTED_PARAMETERS:
            if predicate == SH.closed and not any(bool(getattr(v, "value", v)) for v in g.objects(node, predicate)):
                return
            raise Unsupported(node, f"sh:{predicate.removeprefix(str(SH))}")
        if predicate in self.custom_parameters:
            raise Unsupported(node, f"the custom constraint component parameter {predicate}")
        handler = self.handlers.get(predicate)
        if handler is not None:
            handler(shape)
        elif predicate in _RANGES:
            self._range(shape, predicate)
        elif predicate in _LOGICAL:
            self._logical(shape, predicate)

    def _handlers(self) -> dict[URIRef, Callable[[_Shape], None]]:
        return {
            SH.minCount: lambda s: self._count(s, SH.minCount, "minCount", SH.MinCountConstraintComponent),
            SH.maxCount: lambda s: self._count(s, SH.maxCount, "maxCount", SH.MaxCountConstraintComponent),
            SH["class"]: self._class,
            SH.datatype: self._datatype,
            SH.nodeKind: self._node_kind,
            SH.minLength: lambda s: self._length(s, SH.minLength, "minLength", SH.MinLengthConstraintComponent),
            SH.maxLength: lambda s: self._length(s, SH.maxLength, "maxLength", SH.MaxLengthConstraintComponent),
            SH.pattern: self._pattern,
            SH.languageIn: self._language_in,
            SH.uniqueLang: self._unique_lang,
            SH["in"]: self._in,
            SH.hasValue: self._has_value,
            SH.node: self._node,
            SH["not"]: self._not,
            SH.property: self._property,
            SH.sparql: lambda s: s.sparql.extend(c for c in self.g.objects(s.node, SH.sparql)
                                                 if not _deactivated(self.g, c)),
            SH.rule: lambda s: _raise(Unsupported(s.node, "sh:rule (SHACL rules change the data graph)")),
        }

    def _count(self, shape: _Shape, predicate: URIRef, kind: str, component: URIRef) -> None:
        if shape.path is None:
            raise Unsupported(shape.node, f"{kind} on a node shape")
        value = self._one(shape.node, predicate)
        if not (isinstance(value, Literal) and value.datatype == XSD.integer):
            raise Unsupported(shape.node, f"sh:{kind} {value!r}")
        shape.constraints.append(_Constraint(component, kind, _int_literal(value, shape.node, kind)))

    def _class(self, shape: _Shape) -> None:
        rules = tuple(self.g.objects(shape.node, SH["class"]))
        for rule in rules:
            if not isinstance(rule, URIRef):
                raise Unsupported(shape.node, f"sh:class {rule!r}")
            shape.constraints.append(_Constraint(SH.ClassConstraintComponent, "class", rule, rules))

    def _datatype(self, shape: _Shape) -> None:
        rule = self._one(shape.node, SH.datatype)
        if not isinstance(rule, URIRef):
            raise Unsupported(shape.node, f"sh:datatype {rule!r}")
        shape.constraints.append(_Constraint(SH.DatatypeConstraintComponent, "datatype", rule))

    def _node_kind(self, shape: _Shape) -> None:
        rule = self._one(shape.node, SH.nodeKind)
        if rule not in _NODE_KINDS:
            raise Unsupported(shape.node, f"sh:nodeKind {rule!r}")
        shape.constraints.append(_Constraint(SH.NodeKindConstraintComponent, "nodeKind", rule))

    def _range(self, shape: _Shape, predicate: URIRef) -> None:
        rules = tuple(self.g.objects(shape.node, predicate))
        for rule in rules:
            if not isinstance(rule, Literal):
                raise Unsupported(shape.node, f"{predicate} {rule!r}")
            shape.constraints.append(_Constraint(_RANGES[predicate], "range", rule, rules))

    def _length(self, shape: _Shape, predicate: URIRef, kind: str, component: URIRef) -> None:
        rule = self._one(shape.node, predicate)
        length = _int_literal(rule, shape.node, kind)
        if length < 0:
            raise Unsupported(shape.node, f"a negative {kind}")
        shape.constraints.append(_Constraint(component, kind, length, (rule,)))

    def _pattern(self, shape: _Shape) -> None:
        rules = tuple(self.g.objects(shape.node, SH.pattern))
        flags = sorted(self.g.objects(shape.node, SH.flags))
        flag_text = str(getattr(flags[0], "value", flags[0])).lower() if flags else ""
        for rule in rules:
            if not isinstance(rule, Literal):
                raise Unsupported(shape.node, f"sh:pattern {rule!r}")
            shape.constraints.append(_Constraint(SH.PatternConstraintComponent, "pattern", rule, rules, flag_text))

    def _language_in(self, shape: _Shape) -> None:
        node = self._one(shape.node, SH.languageIn)
        languages = []
        for item in Collection(self.g, node):
            if not (isinstance(item, Literal) and isinstance(item.value, str)):
                raise Unsupported(shape.node, f"sh:languageIn member {item!r}")
            languages.append(str(item.value).lower())
        shape.constraints.append(
            _Constraint(SH.LanguageInConstraintComponent, "languageIn", tuple(languages), (node,)))

    def _unique_lang(self, shape: _Shape) -> None:
        if shape.path is None:
            raise Unsupported(shape.node, "sh:uniqueLang on a node shape")
        value = self._one(shape.node, SH.uniqueLang)
        if not (isinstance(value, Literal) and isinstance(value.value, bool)):
            raise Unsupported(shape.node, f"sh:uniqueLang {value!r}")
        shape.constraints.append(_Constraint(SH.UniqueLangConstraintComponent, "uniqueLang", value.value))

    def _in(self, shape: _Shape) -> None:
        node = self._one(shape.node, SH["in"])
        members = tuple(Collection(self.g, node))
        if any(isinstance(m, BNode) for m in members):
            raise Unsupported(shape.node, "a blank node in sh:in")
        shape.constraints.append(_Constraint(SH.InConstraintComponent, "in", members, members))

    def _has_value(self, shape: _Shape) -> None:
        rules = tuple(self.g.objects(shape.node, SH.hasValue))
        for rule in rules:
            if isinstance(rule, BNode):
                raise Unsupported(shape.node, "a blank node as sh:hasValue")
            shape.constraints.append(_Constraint(SH.HasValueConstraintComponent, "hasValue", rule, rules))

    def _node(self, shape: _Shape) -> None:
        rules = tuple(self.g.objects(shape.node, SH.node))
        for rule in rules:
            nested = self.shape(rule)
            if nested.path is not None:
                raise Unsupported(shape.node, "sh:node pointing at a property shape")
            shape.constraints.append(_Constraint(SH.NodeConstraintComponent, "node", nested, rules))

    def _not(self, shape: _Shape) -> None:
        rules = tuple(self.g.objects(shape.node, SH["not"]))
        for rule in rules:
            shape.constraints.append(_Constraint(SH.NotConstraintComponent, "not", self.shape(rule), rules))

    def _logical(self, shape: _Shape, predicate: URIRef) -> None:
        kind, component = _LOGICAL[predicate]
        lists = tuple(self.g.objects(shape.node, predicate))
        for node in lists:
            members = tuple(self.shape(m) for m in Collection(self.g, node))
            if not members:
                raise Unsupported(shape.node, f"an empty sh:{kind} list")
            shape.constraints.append(_Constraint(component, kind, members, lists, node))

    def _property(self, shape: _Shape) -> None:
        for node in self.g.objects(shape.node, SH.property):
            child = self.shape(node)
            if child.path is None:
                raise Unsupported(shape.node, f"sh:property {node!r} without sh:path")
            shape.properties.append(child)

    def _qualified(self, shape: _Shape) -> None:
        """sh:qualifiedValueShape with its counts: one constraint per value shape and count (pySHACL ignores
        the parameters on node shapes, and so does this)."""
        g, node = self.g, shape.node
        value_shapes = tuple(g.objects(node, SH.qualifiedValueShape))
        if not value_shapes:
            raise Unsupported(node, "qualified counts without sh:qualifiedValueShape")
        bounds = {}
        for predicate in (SH.qualifiedMinCount, SH.qualifiedMaxCount):
            values = list(g.objects(node, predicate))
            if len(values) > 1:
                raise Unsupported(node, f"several {predicate}")
            bounds[predicate] = _int_literal(values[0], node, str(predicate)) if values else None
        if bounds[SH.qualifiedMinCount] is None and bounds[SH.qualifiedMaxCount] is None:
            raise Unsupported(node, "sh:qualifiedValueShape without a qualified count")
        disjoint = any(isinstance(d, Literal) and d.value is True
                       for d in g.objects(node, SH.qualifiedValueShapesDisjoint))
        for value_shape in value_shapes:
            siblings: tuple[_Shape, ...] = ()
            if disjoint:
                siblings = tuple(self.shape(s) for s in self._siblings(node, value_shape))
            parsed = self.shape(value_shape)
            extra = (bounds[SH.qualifiedMinCount], bounds[SH.qualifiedMaxCount], siblings)
            shape.constraints.append(_Constraint(SH.QualifiedMinCountConstraintComponent, "qualified", parsed,
                                                 value_shapes, extra))

    def _siblings(self, node: Term, value_shape: Term) -> list[Term]:
        g = self.g
        found = {q for parent in g.subjects(SH.property, node) for ps in g.objects(parent, SH.property)
                 for q in g.objects(ps, SH.qualifiedValueShape) if q != value_shape}
        return sorted(found)


def _raise(exc: Exception) -> None:
    raise exc


def _shape_nodes(g: Graph) -> set[Term]:
    """Every node pySHACL treats as a shape (its _build_node_shape_cache)."""
    nodes = set(g.subjects(RDF.type, SH.NodeShape)) | set(g.subjects(RDF.type, SH.PropertyShape))
    for predicate in (*_TARGETS, SH.property, SH.node):
        nodes |= set(g.subjects(predicate, None))
    for predicate in (SH.property, SH.node, SH["not"], SH.qualifiedValueShape):
        nodes |= set(g.objects(None, predicate))
    for predicate in _LOGICAL:
        for lst in g.objects(None, predicate):
            nodes |= set(Collection(g, lst))
    return nodes


def _nested_shapes(c: _Constraint) -> list[_Shape]:
    if c.kind in ("node", "not"):
        return [c.rule]
    if c.kind in ("and", "or", "xone"):
        return list(c.rule)
    if c.kind == "qualified":
        return [c.rule, *c.extra[2]]
    return []


def _check_nested(shape: _Shape, top: bool = True) -> None:
    """Refuse what only the top level can do: SPARQL constraints (except on a top-level node shape, whose
    SPARQL constraints the caller runs) and large counts inside nested shapes (top-level counts are queries
    with GROUP BY, nested ones EXISTS patterns with one variable per value)."""
    if shape.sparql and not (top and shape.path is None):
        raise Unsupported(shape.node, "sh:sparql on a property shape or in a nested shape")
    for c in shape.constraints:
        if not top and _values_needed(c) > _NESTED_COUNT_LIMIT:
            raise Unsupported(shape.node, f"a count above {_NESTED_COUNT_LIMIT} in a nested shape")
        for nested in _nested_shapes(c):
            _check_nested(nested, top=False)
    for child in shape.properties:
        _check_nested(child, top=top)


def _values_needed(c: _Constraint) -> int:
    """How many distinct values an EXISTS pattern must name to test this count inside an expression."""
    if c.kind == "minCount":
        return int(c.rule)
    if c.kind == "maxCount":
        return int(c.rule) + 1
    if c.kind == "qualified":
        low, high, _ = c.extra
        return max(low or 0, (high + 1) if high is not None else 0)
    return 0


def _deactivated(g: Graph, node: Term) -> bool:
    return any(bool(getattr(d, "value", False)) for d in g.objects(node, SH.deactivated))


# ---------------------------------------------------------------------------------------------------- compiled


@dataclass
class CompiledShapes:
    """The shapes, parsed once for any number of validate_store calls.

    ``unsupported``: top-level shapes left out, each an Unsupported naming the shape and feature (see
    residual_shapes). ``sparql_constraints``: (shape, constraint) pairs of sh:sparql on supported top-level
    node shapes, not run here (the caller runs them, as khasan_kg/validate.py does)."""

    shapes: Graph
    top: list[_Shape]
    unsupported: list[Unsupported]
    sparql_constraints: list[tuple[Term, Term]]
    oracles: dict[tuple[Any, ...], tuple[str, ...]] = field(default_factory=dict)
    classes: tuple[URIRef, ...] = ()  # every class in sh:class or a class target

    def require_all(self) -> None:
        """Raise the first Unsupported, for callers that cannot hand shapes to pySHACL."""
        if self.unsupported:
            raise self.unsupported[0]

    def residual_shapes(self) -> Graph:
        """A shapes graph for pySHACL with just the unsupported top-level shapes and what they refer to
        (nested shapes keep their triples but lose their targets, so pySHACL does not validate them twice)."""
        out = Graph()
        for prefix, namespace in self.shapes.namespaces():
            out.bind(prefix, namespace, override=True)
        roots = {u.shape for u in self.unsupported}
        follow = {SH.node, SH.property, SH.qualifiedValueShape, SH["not"], RDF.first, SH.prefixes}
        seen: set[Term] = set()
        todo = list(roots)
        while todo:
            node = todo.pop()
            if node in seen:
                continue
            seen.add(node)
            for p, o in self.shapes.predicate_objects(node):
                if node not in roots and p in _TARGETS:
                    continue
                out.add((node, p, o))
                if isinstance(o, BNode) or (p in follow and isinstance(o, URIRef)):
                    todo.append(o)
        return out


def compile_shapes(shapes: Graph) -> CompiledShapes:
    """Parse the shapes graph. Shapes this module cannot run are recorded in ``unsupported`` (see the module
    docstring); only SHACL rules, which would change the data graph for every shape, raise Unsupported."""
    for node in shapes.subjects(SH.rule, None):
        raise Unsupported(node, "sh:rule (SHACL rules change the data graph)")
    parser = _Parser(shapes)
    top, unsupported, sparql = [], [], []
    candidates = [n for n in _shape_nodes(shapes) if _has_targets(shapes, n)]
    for node in sorted(candidates, key=lambda n: (isinstance(n, BNode), str(n))):
        try:
            shape = parser.shape(node)
            _check_nested(shape)
        except Unsupported as exc:
            unsupported.append(exc if exc.shape == node else Unsupported(node, f"{exc.feature} (in {exc.shape})"))
            continue
        top.append(shape)
        if not shape.deactivated:
            sparql += [(node, c) for c in shape.sparql]
    compiled = CompiledShapes(shapes, top, unsupported, sparql)
    compiled.oracles = _collect_oracles(top)
    compiled.classes = _collect_classes(top)
    return compiled


def _collect_classes(top: list[_Shape]) -> tuple[URIRef, ...]:
    found: set[URIRef] = set()

    def walk(shape: _Shape) -> None:
        found.update(t for kind, t in shape.targets if kind == "class")  # type: ignore[misc]
        for c in shape.constraints:
            if c.kind == "class":
                found.add(c.rule)
            for nested in _nested_shapes(c):
                walk(nested)
        for child in shape.properties:
            walk(child)

    for shape in top:
        walk(shape)
    return tuple(sorted(found))


def _has_targets(g: Graph, node: Term) -> bool:
    if any(True for p in (*_TARGETS, SH.target) for _ in g.objects(node, p)):
        return True
    class_types = {RDFS.Class, *g.subjects(RDFS.subClassOf, RDFS.Class)}
    return any(t in class_types for t in g.objects(node, RDF.type))


# ---------------------------------------------------------------------------------------------------- SPARQL text

_fresh = count()
_TYPE_PATH = f"<{RDF.type}>/<{RDFS.subClassOf}>*"
_XSD_STRING = f"<{XSD.string}>"


def _var(stem: str = "v") -> str:
    """A variable name no other part of a query uses (nested patterns are built independently)."""
    return f"?{stem}{next(_fresh)}"


def _sparql_term(term: Term) -> str:
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, Literal):
        return str(_to_oxigraph(term))
    raise TypeError(f"cannot write {term!r} into a query")


def _to_oxigraph(term: Literal) -> ox.Literal:
    if term.language:
        return ox.Literal(str(term), language=term.language)
    if term.datatype is not None:
        return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
    return ox.Literal(str(term))


def _and(parts: Iterable[str]) -> str:
    parts = [p for p in parts if p != "true"]
    if "false" in parts:
        return "false"
    return "(" + " && ".join(parts) + ")" if parts else "true"


def _or(parts: Iterable[str]) -> str:
    parts = [p for p in parts if p != "false"]
    if "true" in parts:
        return "true"
    return "(" + " || ".join(parts) + ")" if parts else "false"


def _not(expr: str) -> str:
    return {"true": "false", "false": "true"}.get(expr, f"!{expr}" if expr.startswith("(") else f"!({expr})")


# ---------------------------------------------------------------------------------------------------- domains


class _Classes:
    """SHACL instances of a class, as SPARQL. Without the class's subclasses, the path rdf:type/rdfs:subClassOf*;
    with them (``known``, read from the data once per validation), a lookup of the node's types in that list,
    twenty times faster in Oxigraph than the path evaluated for every value."""

    def __init__(self, known: dict[Term, list[str]] | None = None) -> None:
        self.known = known or {}

    def instance(self, var: str, cls: Term, bound: bool) -> str:
        """A group pattern: var is an instance of cls (bound: var is bound already, as in FILTER EXISTS)."""
        members = self.known.get(cls)
        if members is None:
            return f"{var} {_TYPE_PATH} {_sparql_term(cls)}"
        t = _var("t")
        if bound:
            return f"{var} <{RDF.type}> {t} FILTER({t} IN ({', '.join(members)}))"
        return f"VALUES {t} {{ {' '.join(members)} }} {var} <{RDF.type}> {t}"


class _Domain:
    """A set of focus nodes as SPARQL: ``bind(var)`` is a group pattern binding var to each (maybe more than
    once), ``enum`` the distinct nodes, ``check`` a test of a bound var."""

    def bind(self, var: str, bound: bool = False) -> str:
        raise NotImplementedError

    def enum(self, var: str) -> str:
        return f"{{ SELECT DISTINCT {var} WHERE {{ {self.bind(var)} }} }}"

    def check(self, var: str) -> str:
        return f"EXISTS {{ {self.bind(var, bound=True)} }}"


class _TargetDomain(_Domain):
    """The focus nodes of a top-level shape's targets (SHACL instances for class targets)."""

    def __init__(self, targets: list[tuple[str, Term]], classes: _Classes | None = None) -> None:
        self.targets = targets
        self.classes = classes or _Classes()

    def bind(self, var: str, bound: bool = False) -> str:
        parts = []
        for kind, term in self.targets:
            if kind == "class":
                parts.append(self.classes.instance(var, term, bound))
            elif kind == "node":
                parts.append(f"VALUES {var} {{ {_sparql_term(term)} }}")
            elif kind == "subjectsOf":
                parts.append(f"{var} {_sparql_term(term)} {_var('o')}")
            else:
                parts.append(f"{_var('s')} {_sparql_term(term)} {var}")
        if len(parts) == 1:
            return parts[0]
        return " UNION ".join(f"{{ {p} }}" for p in parts)


class _ValuesDomain(_Domain):
    """The value nodes of a path from the nodes of another domain (focus nodes of a nested sh:property)."""

    def __init__(self, outer: _Domain, path: _Path) -> None:
        self.outer = outer
        self.path = path

    def bind(self, var: str, bound: bool = False) -> str:
        focus = _var("f")
        return f"{{ {self.outer.bind(focus)} }} {self.path.pattern(focus, var)}"


# ---------------------------------------------------------------------------------------------------- Python tests
# The checks pySHACL makes with rdflib that SPARQL cannot repeat exactly; each judges one candidate value.


def _needs_datatype_oracle(datatype: URIRef) -> bool:
    """Whether rdflib can find a literal of this datatype ill-typed (else pySHACL accepts any lexical form)."""
    mapping = getattr(rdflib_term, "_toPythonMapping", None)
    checkers = getattr(rdflib_term, "_check_well_formed_types", {})
    if mapping is None:
        return True
    return datatype in mapping and (mapping[datatype] is not None or datatype in checkers)


# Oxigraph normalises literals on load (oxigraph issue #526): a value of an integer-derived type that fits 64 bits
# is stored as xsd:integer ("5"^^xsd:nonNegativeInteger reads back as "5"^^xsd:integer), xsd:dateTimeStamp as
# xsd:dateTime. A stored xsd:integer may have been any of them, so sh:datatype xsd:nonNegativeInteger accepts an
# xsd:integer whose value rdflib would accept as a xsd:nonNegativeInteger (the Python test judges it so).
_INTEGER_TYPES = ("nonNegativeInteger", "positiveInteger", "nonPositiveInteger", "negativeInteger", "long", "int",
                  "short", "byte", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte")
_STORED_AS: dict[URIRef, URIRef] = {XSD[t]: XSD.integer for t in _INTEGER_TYPES} | {XSD.dateTimeStamp: XSD.dateTime}


def _datatype_test(datatype: URIRef, var: str) -> str:
    """DATATYPE(var) is the rule's, or the type Oxigraph stores it as."""
    stored = _STORED_AS.get(datatype)
    test = f"DATATYPE({var}) = {_sparql_term(datatype)}"
    return test if stored is None else f"({test} || DATATYPE({var}) = {_sparql_term(stored)})"


_ACTUAL_TYPES: dict[URIRef, type | tuple[type, ...]] = {
    XSD.string: (str, bytes), RDF.langString: (str, bytes), XSD.integer: int, XSD.float: float,
    XSD.decimal: Decimal, XSD.boolean: bool, XSD.date: date, XSD.time: time, XSD.dateTime: datetime,
}


def _datatype_ok(value: Term, datatype: URIRef) -> bool:
    """pySHACL's DatatypeConstraintComponent for a literal whose datatype is the rule's (or is stored as it)."""
    if isinstance(value, Literal) and value.datatype != datatype and not value.language:
        value = Literal(str(value), datatype=datatype)  # as written before Oxigraph normalised it
    if not isinstance(value, Literal) or value.ill_typed is True:
        return False
    expected = _ACTUAL_TYPES.get(datatype)
    return expected is None or isinstance(value.value, expected)


def _compare_literal(a: Literal, b: Literal) -> int:
    """pyshacl.rdfutil.compare.compare_literal."""
    if a.eq(b):
        return 0
    if a.value.__class__ in (datetime, time):
        if a.value == b.value:
            return 0
        if a.value > b.value:
            return 1
    elif a > b:
        return 1
    return -1


_RANGE_TESTS: dict[URIRef, Callable[[int], bool]] = {
    SH.MinInclusiveConstraintComponent: lambda c: c >= 0,
    SH.MinExclusiveConstraintComponent: lambda c: c > 0,
    SH.MaxInclusiveConstraintComponent: lambda c: c <= 0,
    SH.MaxExclusiveConstraintComponent: lambda c: c < 0,
}


def _range_ok(value: Term, component: URIRef, bound: Literal) -> bool:
    """pySHACL's value range components: rdflib's ordering, strings only against strings."""
    if not isinstance(value, Literal):
        return False
    if isinstance(bound.value, str) != isinstance(value.value, str):
        return False
    try:
        return _RANGE_TESTS[component](_compare_literal(value, bound))
    except (TypeError, NotImplementedError):
        return False


@lru_cache(maxsize=256)
def _regex(pattern: Literal, flags: str) -> re.Pattern[str]:
    text = str(pattern.value) if pattern.value is not None and len(pattern.value) > 1 else str(pattern)
    return re.compile(text, (re.I if "i" in flags else 0) | (re.M if "m" in flags else 0))


def _pattern_ok(value: Term, pattern: Literal, flags: str) -> bool:
    """pySHACL's PatternConstraintComponent: re.search on the string form, never a blank node."""
    if isinstance(value, BNode):
        return False
    text = str(value)
    if isinstance(value, Literal) and value.value is not None and value.datatype in (None, RDF.langString,
                                                                                     XSD.string):
        text = str(value.value)
    return _regex(pattern, flags).search(text) is not None


def _oracle_of(c: _Constraint) -> tuple[Any, ...] | None:
    if c.kind == "datatype" and c.rule not in (RDF.langString, RDFS.Literal, RDFS.Datatype, XSD.string) \
            and _needs_datatype_oracle(c.rule):
        return ("datatype", c.rule)
    if c.kind == "range":
        return ("range", c.component, c.rule)
    if c.kind == "pattern":
        return ("pattern", c.rule, c.extra)
    return None


def _oracle_guard(oracle: tuple[Any, ...], var: str) -> str:
    """The candidates worth judging: what SPARQL has not already decided."""
    if oracle[0] == "datatype":
        return f"isLiteral({var}) && {_datatype_test(oracle[1], var)}"
    if oracle[0] == "range":
        return f"isLiteral({var})"
    return f"!isBlank({var})"


def _judge(oracle: tuple[Any, ...], value: Term) -> bool:
    if oracle[0] == "datatype":
        return _datatype_ok(value, oracle[1])
    if oracle[0] == "range":
        return _range_ok(value, oracle[1], oracle[2])
    return _pattern_ok(value, oracle[1], oracle[2])


def _collect_oracles(top: list[_Shape]) -> dict[tuple[Any, ...], tuple[str, ...]]:
    """For each Python test, patterns binding ?x to every value it may be asked about: the values of the
    nearest enclosing path (from any subject: a superset is harmless), else the top-level focus nodes."""
    found: dict[tuple[Any, ...], set[str]] = {}

    def walk(shape: _Shape, focus: str) -> None:
        if shape.deactivated:
            return
        if shape.path is None:
            values = focus
        elif shape.path.zero_length:  # the focus node itself is a value, even one not in the data
            values = f"{{ {focus} }} UNION {{ {shape.path.pattern('?s', '?x')} }}"
        else:
            values = shape.path.pattern("?s", "?x")
        for c in shape.constraints:
            oracle = _oracle_of(c)
            if oracle is not None:
                found.setdefault(oracle, set()).add(values)
            for nested in _nested_shapes(c):
                walk(nested, values)
        for child in shape.properties:
            walk(child, values)

    for shape in top:
        walk(shape, _TargetDomain(shape.targets).bind("?x"))
    return {k: tuple(sorted(v)) for k, v in found.items()}


# ---------------------------------------------------------------------------------------------------- validation


def validate_store(store: ox.Store, compiled: CompiledShapes, *, default_graph: Any = None) -> list[ShaclResult]:
    """Validate the data in ``store`` against the compiled shapes, as pySHACL would (without the shapes in
    ``compiled.unsupported`` and the SPARQL constraints in ``compiled.sparql_constraints``).

    The data graph is the union of every graph in the store, or ``default_graph``: a graph name (URIRef, str or
    Oxigraph term) or a list of them, e.g. a merged copy so that inferred graphs stay out."""
    run = _Run(store, compiled, default_graph)
    run.read_classes()
    run.judge_candidates()
    for shape in compiled.top:
        run.report_shape(shape, _TargetDomain(shape.targets, run.classes))
    return run.results


def _dataset_options(default_graph: Any) -> dict[str, Any]:
    if default_graph is None:
        return {"use_default_graph_as_union": True}
    graphs = default_graph if isinstance(default_graph, list | tuple) else [default_graph]
    named = [ox.NamedNode(str(g)) if isinstance(g, str) else g for g in graphs]  # URIRef is a str
    return {"default_graph": named}


class _Run:
    """One validation: the Python judgements of this data, the queries, the results."""

    def __init__(self, store: ox.Store, compiled: CompiledShapes, default_graph: Any) -> None:
        self.store = store
        self.compiled = compiled
        self.options = _dataset_options(default_graph)
        self.bad: dict[tuple[Any, ...], list[str]] = {}
        self.classes = _Classes()
        self.results: list[ShaclResult] = []

    def select(self, query: str) -> list[list[Term | None]]:
        return solution_rows(self.store.query(query, **self.options))  # type: ignore[arg-type,return-value]

    def read_classes(self) -> None:
        """Each class the shapes name, with its subclasses in the data graph (itself included), in one query.
        A class with a blank-node subclass keeps the path form (a blank node cannot be written in a query)."""
        if not self.compiled.classes:
            return
        values = " ".join(_sparql_term(c) for c in self.compiled.classes)
        query = f"SELECT DISTINCT ?class ?sub WHERE {{ VALUES ?class {{ {values} }} ?sub <{RDFS.subClassOf}>* ?class }}"
        found: dict[Term, list[Term]] = {}
        for cls, sub in self.select(query):
            found.setdefault(cls, []).append(sub)  # type: ignore[arg-type]
        self.classes = _Classes({
            cls: sorted(_sparql_term(s) for s in subs) for cls, subs in found.items()
            if not any(isinstance(s, BNode) for s in subs)
        })

    def judge_candidates(self) -> None:
        """One query per Python test for its distinct candidates; keep the ones that fail, as SPARQL terms."""
        for oracle, domains in self.compiled.oracles.items():
            union = " UNION ".join(f"{{ {d} }}" for d in domains)
            query = f"SELECT DISTINCT ?x WHERE {{ {union} FILTER({_oracle_guard(oracle, '?x')}) }}"
            bad = []
            for (value,) in self.select(query):
                if not _judge(oracle, value):  # type: ignore[arg-type]
                    bad.append(_sparql_term(value))  # type: ignore[arg-type]
            self.bad[oracle] = bad

    # ------------------------------------------------------------------ expressions: "?x conforms"

    def not_bad(self, oracle: tuple[Any, ...] | None, var: str) -> str:
        bad = self.bad.get(oracle, []) if oracle is not None else []
        if not bad:
            return "true"
        if len(bad) <= 8:
            return _not(_or(f"sameTerm({var}, {t})" for t in bad))
        return f"NOT EXISTS {{ VALUES {var} {{ {' '.join(bad)} }} }}"

    def conforms(self, shape: _Shape, x: str) -> str:
        """SPARQL expression: the node in x conforms to shape (pySHACL: validating it gives no result)."""
        if shape.deactivated:
            return "true"
        if shape.path is None:
            parts = [self.node_ok(c, x) for c in shape.constraints]
            parts += [self.conforms(p, x) for p in shape.properties]
            return _and(parts)
        return _and(self.focus_ok(shape, x))

    def node_ok(self, c: _Constraint, x: str) -> str:
        if c.kind == "hasValue":
            return f"sameTerm({x}, {_sparql_term(c.rule)})"
        return self.value_ok(c, x)

    def focus_ok(self, shape: _Shape, x: str) -> list[str]:
        """The tests of a property shape on the focus node in x."""
        assert shape.path is not None
        path = shape.path.sparql
        parts, value_checks = [], []
        for c in shape.constraints:
            if c.kind == "minCount":
                parts.append(self.at_least(x, path, c.rule, None))
            elif c.kind == "maxCount":
                parts.append(_not(self.at_least(x, path, c.rule + 1, None)))
            elif c.kind == "uniqueLang":
                parts.append(self.unique_lang(x, path) if c.rule else "false")  # pySHACL: false never conforms
            elif c.kind == "hasValue":
                v = _var()
                parts.append(f"EXISTS {{ {x} {path} {v} FILTER(sameTerm({v}, {_sparql_term(c.rule)})) }}")
            elif c.kind == "qualified":
                low, high, _ = c.extra
                cond = self.qualified_condition(c)
                if low is not None:
                    parts.append(self.at_least(x, path, low, cond))
                if high is not None:
                    parts.append(_not(self.at_least(x, path, high + 1, cond)))
            else:
                value_checks.append(c)
        if value_checks or shape.properties:
            v = _var()
            ok = _and([self.value_ok(c, v) for c in value_checks] + [self.conforms(p, v) for p in shape.properties])
            if ok != "true":
                parts.append(f"NOT EXISTS {{ {x} {path} {v} FILTER({_not(ok)}) }}")
        return parts

    def at_least(self, x: str, path: str, n: int, cond: Callable[[str], str] | None) -> str:
        """EXISTS n distinct values (meeting cond): counts inside expressions, so n stays small."""
        if n <= 0:
            return "true"
        vs = [_var() for _ in range(n)]
        tests = [cond(v) for v in vs] if cond else []
        tests += [f"!sameTerm({a}, {b})" for a, b in combinations(vs, 2)]
        triples = " . ".join(f"{x} {path} {v}" for v in vs)
        condition = _and(tests)
        if condition == "false":
            return "false"
        return f"EXISTS {{ {triples}{'' if condition == 'true' else f' FILTER({condition})'} }}"

    def unique_lang(self, x: str, path: str) -> str:
        a, b = _var(), _var()
        return f"NOT EXISTS {{ {x} {path} {a} . {x} {path} {b} FILTER({_same_language(a, b)}) }}"

    def qualified_condition(self, c: _Constraint) -> Callable[[str], str]:
        def condition(v: str) -> str:
            siblings = [_not(self.conforms(s, v)) for s in c.extra[2]]
            return _and([self.conforms(c.rule, v), *siblings])
        return condition

    def value_ok(self, c: _Constraint, v: str) -> str:
        """SPARQL expression: the value node in v passes the value-type constraint c."""
        kind = c.kind
        if kind == "class":
            return f"(!isLiteral({v}) && EXISTS {{ {self.classes.instance(v, c.rule, True)} }})"
        if kind == "datatype":
            return self.datatype_ok(c.rule, v, _oracle_of(c))
        if kind == "nodeKind":
            return _node_kind_ok(c.rule, v)
        if kind in ("range", "pattern"):
            guard = f"isLiteral({v})" if kind == "range" else f"!isBlank({v})"
            return _and([guard, self.not_bad(_oracle_of(c), v)])
        if kind in ("minLength", "maxLength"):
            if kind == "minLength" and c.rule == 0:
                return "true"
            op = ">=" if kind == "minLength" else "<="
            return f"(!isBlank({v}) && STRLEN(STR({v})) {op} {c.rule})"
        if kind == "languageIn":
            return _language_in_ok(c.rule, v)
        if kind == "in":
            return _or(f"sameTerm({v}, {_sparql_term(t)})" for t in c.rule)
        return self.shape_ok(c, v)

    def shape_ok(self, c: _Constraint, v: str) -> str:
        if c.kind == "node":
            return self.conforms(c.rule, v)
        if c.kind == "not":
            return _not(self.conforms(c.rule, v))
        members = [self.conforms(s, v) for s in c.rule]
        if c.kind == "and":
            return _and(members)
        if c.kind == "or":
            return _or(members)
        if c.kind == "xone":
            return "((" + " + ".join(f"IF({m}, 1, 0)" for m in members) + ") = 1)"
        raise AssertionError(c.kind)

    def datatype_ok(self, datatype: URIRef, v: str, oracle: tuple[Any, ...] | None) -> str:
        if datatype == RDF.langString:
            return f"(isLiteral({v}) && LANG({v}) != \"\")"
        if datatype == RDFS.Literal:
            return f"isLiteral({v})"
        if datatype == RDFS.Datatype:  # rdflib: every literal with a datatype, i.e. not plain, not tagged
            return f"(isLiteral({v}) && LANG({v}) = \"\" && DATATYPE({v}) != {_XSD_STRING})"
        return _and([f"isLiteral({v})", _datatype_test(datatype, v), self.not_bad(oracle, v)])

    # ------------------------------------------------------------------ reports: the queries

    def report_shape(self, shape: _Shape, domain: _Domain) -> None:
        if shape.deactivated:
            return
        if shape.path is not None:
            self.report_property(shape, domain)
            return
        for c in shape.constraints:
            ok = self.node_ok(c, "?this")
            if ok == "true":
                continue
            query = f"SELECT DISTINCT ?this WHERE {{ {domain.enum('?this')} FILTER({_not(ok)}) }}"
            for (focus,) in self.select(query):
                self.add(shape, c, focus, None if c.kind == "hasValue" else focus)  # type: ignore[arg-type]
        for child in shape.properties:
            self.report_property(child, domain)

    def report_property(self, shape: _Shape, domain: _Domain) -> None:
        if shape.deactivated:
            return
        assert shape.path is not None
        for c in shape.constraints:
            self.report_constraint(shape, c, domain)
        for child in shape.properties:
            self.report_property(child, _ValuesDomain(domain, shape.path))

    def report_constraint(self, shape: _Shape, c: _Constraint, domain: _Domain) -> None:
        assert shape.path is not None
        path = shape.path
        if c.kind == "minCount":
            self.add_focus(shape, c, self.too_few(domain, path, c.rule, None))
        elif c.kind == "maxCount":
            self.add_focus(shape, c, self.too_many(domain, path, c.rule, None))
        elif c.kind == "uniqueLang":
            if c.rule:
                self.add_focus(shape, c, self.duplicated_languages(domain, path))
        elif c.kind == "hasValue":
            v = _var()
            test = (f"FILTER NOT EXISTS {{ {path.pattern('?this', v)} "
                    f"FILTER(sameTerm({v}, {_sparql_term(c.rule)})) }}")
            self.add_focus(shape, c, f"SELECT ?this WHERE {{ {domain.enum('?this')} {test} }}")
        elif c.kind == "qualified":
            low, high, _ = c.extra
            cond = self.qualified_condition(c)
            if high is not None:
                query = self.too_many(domain, path, high, cond)
                self.add_focus(shape, c, query, SH.QualifiedMaxCountConstraintComponent)
            if low is not None:
                query = self.too_few(domain, path, low, cond)
                self.add_focus(shape, c, query, SH.QualifiedMinCountConstraintComponent)
        else:
            self.report_values(shape, c, domain)

    def report_values(self, shape: _Shape, c: _Constraint, domain: _Domain) -> None:
        """One query for the (focus, value) pairs failing a value-type constraint. From the path when it
        cannot bind the focus itself: failures are few, so the target test runs on few rows. The failures are
        found in a subquery, which Oxigraph does not push the target test into: it otherwise ran that test on
        every value first (the rdfs:label datatype test at 1M: 6 s, not 0.4 s)."""
        assert shape.path is not None
        ok = self.value_ok(c, "?value")
        if ok == "true":
            return
        triple = shape.path.pattern("?this", "?value")
        if shape.path.zero_length:
            where = f"{domain.enum('?this')} {triple} FILTER({_not(ok)})"
        else:
            where = (f"{{ SELECT ?this ?value WHERE {{ {triple} FILTER({_not(ok)}) }} }} "
                     f"FILTER({domain.check('?this')})")
        for focus, value in self.select(f"SELECT DISTINCT ?this ?value WHERE {{ {where} }}"):
            self.add(shape, c, focus, value)  # type: ignore[arg-type]

    def too_few(self, domain: _Domain, path: _Path, n: int, cond: Callable[[str], str] | None) -> str:
        if n <= 0:
            return ""
        v = _var()
        test = f" FILTER({cond(v)})" if cond else ""
        if n == 1:
            if len(path.steps) > 1:  # Oxigraph runs this NOT EXISTS quadratically (44 s at 100k); MINUS is the
                # same here (the group binds ?this itself and shares nothing else) and runs as one anti-join
                missing = f"MINUS {{ {path.pattern('?this', v)}{test} }}"
            else:
                missing = f"FILTER NOT EXISTS {{ {path.pattern('?this', v)}{test} }}"
            return f"SELECT ?this WHERE {{ {domain.enum('?this')} {missing} }}"
        return (f"SELECT ?this WHERE {{ {domain.enum('?this')} OPTIONAL {{ {path.pattern('?this', v)}{test} }} }} "
                f"GROUP BY ?this HAVING (COUNT(DISTINCT {v}) < {n})")

    def too_many(self, domain: _Domain, path: _Path, m: int, cond: Callable[[str], str] | None) -> str:
        v = _var()
        test = f" FILTER({cond(v)})" if cond else ""
        having = f"GROUP BY ?this HAVING (COUNT(DISTINCT {v}) > {m})"
        if path.zero_length:
            return f"SELECT ?this WHERE {{ {domain.enum('?this')} {path.pattern('?this', v)}{test} }} {having}"
        inner = f"SELECT ?this WHERE {{ {path.pattern('?this', v)}{test} }} {having}"
        return f"SELECT ?this WHERE {{ {{ {inner} }} FILTER({domain.check('?this')}) }}"

    def duplicated_languages(self, domain: _Domain, path: _Path) -> str:
        """One row per focus node and language used twice (pySHACL: a result per duplicated language).
        Grouped, not a self-join: a self-join of rdfs:label on itself costs pairs, not values."""
        v = _var()
        tagged = (f"{path.pattern('?this', v)} FILTER(isLiteral({v}) && LANG({v}) != \"\") "
                  f"BIND(LCASE(LANG({v})) AS ?language)")
        having = f"GROUP BY ?this ?language HAVING (COUNT(DISTINCT {v}) > 1)"
        if path.zero_length:
            return f"SELECT ?this ?language WHERE {{ {domain.enum('?this')} {tagged} }} {having}"
        inner = f"SELECT ?this ?language WHERE {{ {tagged} }} {having}"
        return f"SELECT ?this ?language WHERE {{ {{ {inner} }} FILTER({domain.check('?this')}) }}"

    # ------------------------------------------------------------------ results

    def add_focus(self, shape: _Shape, c: _Constraint, query: str, component: URIRef | None = None) -> None:
        if not query:
            return
        for row in self.select(query):
            self.add(shape, c, row[0], None, component)  # type: ignore[arg-type]

    def add(self, shape: _Shape, c: _Constraint, focus: Term, value: Term | None,
            component: URIRef | None = None) -> None:
        component = component or c.component
        self.results.append(ShaclResult(
            focus=focus,
            path=shape.path.report if shape.path is not None else None,
            value=value,
            message=_message(self.compiled.shapes, shape, c, component, focus, value),
            severity=shape.severity,
            source_shape=shape.node,
            component=component,
        ))


def _same_language(a: str, b: str) -> str:
    return (f"(isLiteral({a}) && LANG({a}) != \"\" && !sameTerm({a}, {b}) && isLiteral({b}) "
            f"&& LCASE(LANG({a})) = LCASE(LANG({b})))")


def _node_kind_ok(kind: URIRef, v: str) -> str:
    tests = {SH.IRI: [f"isIRI({v})"], SH.BlankNode: [f"isBlank({v})"], SH.Literal: [f"isLiteral({v})"],
             SH.BlankNodeOrIRI: [f"isBlank({v})", f"isIRI({v})"],
             SH.BlankNodeOrLiteral: [f"isBlank({v})", f"isLiteral({v})"],
             SH.IRIOrLiteral: [f"isIRI({v})", f"isLiteral({v})"]}
    return _or(tests[kind])


def _language_in_ok(languages: tuple[str, ...], v: str) -> str:
    """pySHACL: the tag, or its part before the first '-', lower-cased, is in the list ("*": any tag)."""
    tagged = f"isLiteral({v}) && LANG({v}) != \"\""
    if "*" in languages:
        return f"({tagged})"
    if not languages:
        return "false"
    listed = ", ".join(_sparql_term(Literal(lang)) for lang in languages)
    first = f"LCASE(IF(CONTAINS(LANG({v}), \"-\"), STRBEFORE(LANG({v}), \"-\"), LANG({v})))"
    return f"({tagged} && (LCASE(LANG({v})) IN ({listed}) || {first} IN ({listed})))"


# ---------------------------------------------------------------------------------------------------- messages


def _pick_message(messages: tuple[Literal, ...]) -> str:
    """pySHACL gives every sh:message; a result here carries one: the first English (or untagged) one."""
    return str(min(messages, key=lambda m: (m.language not in (None, "en"), str(m))))


def _message(shapes: Graph, shape: _Shape, c: _Constraint, component: URIRef, focus: Term,
             value: Term | None) -> str:
    if shape.messages:
        return _pick_message(shape.messages)
    return _default_message(shapes, shape, c, component, focus, value)


def _default_message(g: Graph, shape: _Shape, c: _Constraint, component: URIRef, focus: Term,
                     value: Term | None) -> str:
    """pySHACL's make_generic_messages, term for term (pySHACL is imported only when a shape has no message)."""
    from pyshacl.rdfutil.stringify import stringify_node

    def s(term: Any) -> str:
        return stringify_node(g, term)

    kind = c.kind
    path = s(shape.path.node) if shape.path is not None else None
    if kind in ("minCount", "maxCount"):
        word = "Less" if kind == "minCount" else "More"
        return f"{word} than {c.rule} values on {s(focus)}->{path}"
    if kind == "class":
        if len(c.rules) < 2:
            return f"Value does not have class {s(c.rule)}"
        return "Value class is not in classes ({})".format(", ".join(s(r) for r in c.rules))
    if kind == "datatype":
        return f"Value is not Literal with datatype {s(c.rule)}"
    if kind == "nodeKind":
        return f"Value is not of Node Kind {s(c.rule)}"
    if kind == "range":
        op = {SH.MinInclusiveConstraintComponent: ">=", SH.MinExclusiveConstraintComponent: ">",
              SH.MaxInclusiveConstraintComponent: "<=", SH.MaxExclusiveConstraintComponent: "<"}[component]
        if len(c.rules) < 2:
            return f"Value is not {op} {s(c.rule)}"
        return f"Value is not {op} in ({', '.join(s(r) for r in c.rules)})"
    if kind in ("minLength", "maxLength"):
        return f"String length not {'>=' if kind == 'minLength' else '<='} {s(c.rules[0])}"
    if kind == "pattern":
        if len(c.rules) < 2:
            return f"Value does not match pattern '{c.rule.value}'"
        return "Value does not match every pattern in ('{}')".format("', '".join(str(r.value) for r in c.rules))
    if kind == "languageIn":
        return f"String language is not in {s(c.rules[0])}"
    if kind == "uniqueLang":
        return "More than one String shares the same Language"
    if kind == "in":
        return f"Value {s(value)} not in list {[s(t) for t in c.rules]}"
    if kind == "hasValue":
        values = [s(t) for t in c.rules]
        if path is not None:
            return f"Node {s(focus)}->{path} does not contain a value in the set: {values}"
        return f"Node {s(focus)} value is not a in the set of values: {values}"
    return _default_shape_message(g, s, c, value)


def _default_shape_message(g: Graph, s: Callable[[Any], str], c: _Constraint, value: Term | None) -> str:
    kind = c.kind
    if kind == "node":
        if len(c.rules) < 2:
            return f"Value does not conform to Shape {s(c.rules[0])}. See details for more information."
        joined = "', '".join(s(r) for r in c.rules)
        return f"Value must conform to every Shape in ('{joined}'). See details for more information."
    if kind == "not":
        if len(c.rules) == 1:
            return f"Node {s(value)} must not conform to shape {s(c.rules[0])}"
        return f"Node {s(value)} must not conform to any shapes in {' , '.join(s(r) for r in c.rules)}"
    if kind == "qualified":
        low, high, _ = c.extra
        counts = (f" MinCount {low}" if low is not None else "") + (f" MaxCount {high}" if high is not None else "")
        shapes = ",".join(s(q) for q in c.rules)
        if len(c.rules) > 1:
            return f"Focus node does not conform to shapes{counts}: ({shapes})"
        return f"Focus node does not conform to shape{counts}: {shapes}"
    lists = [" , ".join(s(m) for m in Collection(g, lst)) for lst in c.rules]
    joined = lists[0] if len(lists) < 2 else " and ".join(f"({x})" for x in lists)
    verb = {"and": "all shapes in", "or": "one or more shapes in", "xone": "exactly one shape in"}[kind]
    return f"Node {s(value)} must conform to {verb} {joined}"


# ---------------------------------------------------------------------------------------------------- measuring


def _measure(triples: int = 100_000) -> dict[str, float]:  # pragma: no cover - run by hand
    """Seconds for validate_store on the real graph and on benchmarks.generate(triples) (+ the ontology):
    ``python -c "from khasan_kg.shaclsparql import _measure; print(_measure())"``."""
    from benchmarks.generate import generate

    from .load import load
    from .paths import Project

    project = Project.locate()
    compiled = compile_shapes(Graph().parse(project.shapes, format="turtle"))
    loaded = load(project)
    real = ox.Store()
    real.bulk_extend(ox.Quad(_to_ox_term(s), _to_ox_term(p), _to_ox_term(o))
                     for s, p, o in loaded.union() + loaded.ontology)
    out = {"real_triples": float(len(real))}
    start = _time.perf_counter()
    validate_store(real, compiled)
    out["real_seconds"] = _time.perf_counter() - start
    big = ox.Store()
    big.bulk_load(generate(triples).text.encode(), format=ox.RdfFormat.TRIG)
    big.bulk_load(path=str(project.ontology), format=ox.RdfFormat.TURTLE)
    out["synthetic_triples"] = float(len(big))
    start = _time.perf_counter()
    validate_store(big, compiled)
    out["synthetic_seconds"] = _time.perf_counter() - start
    return out


def _to_ox_term(term: Term) -> Any:
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    return _to_oxigraph(term)

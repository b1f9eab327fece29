"""The named-query library: one .rq file per competency question under queries/.

Each file starts with a header that the CLI's --list, the server's query page and the README all read:

    # title: Command chain
    # question: From a unit up through every superior unit, who commanded each?
    # param: unit (iri, required): the unit to start from
    # param: date (date, optional): only commanders in post on that day
    # columns: depth, unit, unitLabel, commander, commanderLabel, begin, end

Parameters are bound as values (SPARQL substitutions), never pasted into the query text.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pyoxigraph as ox
from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from .errors import UsageError
from .namespaces import curie, expand
from .store import GraphStore, Results

_PARAM_RE = re.compile(r"^(\w+)\s*\((\w+),\s*(required|optional)\)\s*:\s*(.*)$")
PARAM_KINDS = ("iri", "date", "string", "integer")


@dataclass(frozen=True)
class Param:
    name: str
    kind: str
    required: bool
    description: str


@dataclass
class NamedQuery:
    name: str
    path: Path
    text: str
    title: str = ""
    question: str = ""
    params: list[Param] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, path: Path) -> NamedQuery:
        text = path.read_text(encoding="utf-8")
        q = cls(path.stem, path, text)
        for line in text.splitlines():
            if not line.startswith("#"):
                if line.strip():
                    break
                continue
            body = line.lstrip("#").strip()
            key, _, value = body.partition(":")
            key, value = key.strip().lower(), value.strip()
            if key == "title":
                q.title = value
            elif key == "question":
                q.question = value
            elif key == "columns":
                q.columns = [c.strip() for c in value.split(",") if c.strip()]
            elif key == "param":
                m = _PARAM_RE.match(value)
                if not m or m.group(2) not in PARAM_KINDS:
                    raise UsageError(
                        f"{path}: bad param header {value!r} "
                        "(want: NAME (iri|date|string|integer, required|optional): text)"
                    )
                q.params.append(Param(m.group(1), m.group(2), m.group(3) == "required", m.group(4)))
            elif key == "note":
                q.notes.append(value)
        if not q.question:
            raise UsageError(f"{path}: the header needs a '# question:' line")
        return q


def library(queries_dir: Path) -> dict[str, NamedQuery]:
    """Every named query, by name (the file stem)."""
    return {p.stem: NamedQuery.read(p) for p in sorted(queries_dir.glob("*.rq"))}


def get(queries_dir: Path, name: str) -> NamedQuery:
    lib = library(queries_dir)
    if name not in lib:
        close = difflib.get_close_matches(name, list(lib), n=3)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise UsageError(f"unknown query {name!r}.{hint} (khasan-kg query --list shows them all)")
    return lib[name]


_LABEL_QUERY = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT DISTINCT ?s ?label WHERE {
  { ?s rdfs:label ?label } UNION { ?s skos:altLabel ?label }
  FILTER (isIRI(?s))
}
"""


def resolve_term(store: GraphStore, value: str, *, what: str = "term") -> URIRef:
    """An IRI, a CURIE (kh:…, unit:…) or a label (English first, any language after) → one IRI."""
    iri = expand(value)
    if iri is not None:
        try:
            ox.NamedNode(iri)  # the store's own IRI check: a space, a bracket or no scheme is refused here
        except ValueError as exc:
            raise UsageError(f"{what} {value!r} is not a valid IRI ({exc}); give an IRI, a CURIE or a label") from exc
        if not store.query("ASK { { ?iri ?p ?o } UNION { ?s ?p ?iri } }", {"iri": URIRef(iri)}):
            raise UsageError(f"{what} {value!r} is not in the graph.{_close_iris(store, iri)}")
        return URIRef(iri)
    labels = store.select(_LABEL_QUERY)
    wanted = value.strip().casefold()
    exact: dict[str, set[URIRef]] = {}
    all_labels: dict[str, set[URIRef]] = {}
    for s, label in labels.rows:
        text = str(label)
        all_labels.setdefault(text, set()).add(s)  # type: ignore[arg-type]
        if text.casefold() == wanted:
            exact.setdefault("en" if getattr(label, "language", None) == "en" else "other", set()).add(s)  # type: ignore[arg-type]
    hits = exact.get("en") or exact.get("other") or set()
    if len(hits) == 1:
        return next(iter(hits))
    if len(hits) > 1:
        listed = ", ".join(sorted(curie(str(h)) for h in hits))
        raise UsageError(f"{what} {value!r} matches several things: {listed}; give one of these instead")
    close = difflib.get_close_matches(value, list(all_labels), n=5, cutoff=0.6)
    hint = ""
    if close:
        hint = " Close matches: " + "; ".join(f"{c} ({curie(str(sorted(all_labels[c])[0]))})" for c in close)
    raise UsageError(f"{what} {value!r} matches nothing.{hint}")


def _close_iris(store: GraphStore, iri: str) -> str:
    subjects = store.select("SELECT DISTINCT ?s WHERE { ?s a ?type FILTER (isIRI(?s)) }")
    known = [str(s) for (s,) in subjects.rows]
    close = difflib.get_close_matches(iri, known, n=3, cutoff=0.8)
    return (" Close matches: " + ", ".join(curie(c) for c in close)) if close else ""


def bind_params(store: GraphStore, query: NamedQuery, given: dict[str, str]) -> dict[str, URIRef | Literal]:
    """Check and convert the user's parameters into RDF terms for the query's variables."""
    known = {p.name: p for p in query.params}
    for key in given:
        if key not in known:
            accepted = ", ".join(known) or "none"
            raise UsageError(f"query {query.name!r} has no parameter {key!r} (it takes: {accepted})")
    bindings: dict[str, URIRef | Literal] = {}
    for p in query.params:
        if p.name not in given:
            if p.required:
                raise UsageError(f"query {query.name!r} needs --param {p.name}=… ({p.description})")
            continue
        value = given[p.name]
        if p.kind == "iri":
            bindings[p.name] = resolve_term(store, value, what=p.name)
        elif p.kind == "date":
            try:
                date.fromisoformat(value)
            except ValueError as exc:
                raise UsageError(f"parameter {p.name}: {value!r} is not a date (YYYY-MM-DD)") from exc
            bindings[p.name] = Literal(value, datatype=XSD.date)
        elif p.kind == "integer":
            if not re.fullmatch(r"-?\d+", value.strip()):
                raise UsageError(f"parameter {p.name}: {value!r} is not a whole number")
            bindings[p.name] = Literal(int(value), datatype=XSD.integer)
        else:
            bindings[p.name] = Literal(value)
    return bindings


def run(store: GraphStore, queries_dir: Path, name: str, params: dict[str, str] | None = None) -> Results:
    """Run a named query with parameters given as strings (IRIs, CURIEs, labels, dates)."""
    query = get(queries_dir, name)
    bindings = bind_params(store, query, params or {})
    return store.select(query.text, bindings)

"""The Python API a notebook user calls; the CLI and the server are thin layers over it.

>>> import khasan_kg
>>> khasan_kg.build()                                  # validate, reason, write dist/
>>> khasan_kg.query("command-chain", unit="32nd Rifle Division").dicts()
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

from rdflib import URIRef

from . import build as _build
from . import queries as _queries
from .describe import Description
from .describe import describe as _describe
from .load import _display, load
from .paths import Project
from .store import GraphStore, Results
from .validate import Report, validate_loaded

DEFAULT_OUT = Path("dist")


def validate(files: list[Path] | None = None, project: Project | None = None, *, context: str = "graph") -> Report:
    """Check the graph. With ``files``, check those files against the rest: ``context="graph"`` loads the whole of
    graph/ beside them and reports only the problems found in them; ``context="core"`` loads only
    graph/sources.ttl and the core files beside them (fast; used by the shape tests) and reports everything."""
    project = project or Project.locate()
    if files is None:
        return validate_loaded(load(project))
    given = [f.resolve() for f in files]
    if context == "core":
        base = [p for p in project.graph_files() if p.name in ("sources.ttl", "core.trig")]
    else:
        base = project.graph_files()
    resolved = {b.resolve() for b in base}
    loaded = load(project, base + [f for f in files if f.resolve() not in resolved])
    report = validate_loaded(loaded)
    if context != "core":
        shown = {_display(project, f) for f in given}
        report.problems = [p for p in report.problems if p.where is None or p.where.rsplit(":", 1)[0] in shown]
    return report


def build(
    out: Path | str | None = DEFAULT_OUT, project: Project | None = None, *, store: Path | str | None = None
) -> _build.Build:
    """Load, validate, reason and (unless ``out`` is None) write the exports atomically; raises NotConforming."""
    project = project or Project.locate()
    result = _build.run(project)
    if out is not None:
        out_path = Path(out)
        if not out_path.is_absolute():
            out_path = Path.cwd() / out_path
        import time

        t0 = time.perf_counter()
        result.write(out_path)
        result.timings["export"] = time.perf_counter() - t0
    if store is not None:
        from .persist import write_store

        write_store(result, Path(store))
    return result


def _dist_is_current(project: Project, dist: Path) -> bool:
    info = dist / "build-info.json"
    if not (info.is_file() and (dist / "khasan.trig").is_file()):
        return False
    try:
        recorded = json.loads(info.read_text(encoding="utf-8")).get("inputs")
    except (OSError, ValueError):
        return False
    return recorded == _build.input_digest(project, project.graph_files())


def open_store(project: Project | None = None, dist: Path | str | None = None) -> GraphStore:
    """The built graph in a query store: from dist/ if it is up to date with the inputs, else built in memory."""
    project = project or Project.locate()
    dist_path = Path(dist) if dist else project.root / DEFAULT_OUT
    if _dist_is_current(project, dist_path):
        return GraphStore.from_trig(dist_path / "khasan.trig")
    result = _build.run(project)
    return store_from_build(result)


def store_from_build(result: _build.Build) -> GraphStore:
    return GraphStore.from_nquads(result.nquads())


def query(name: str, /, store: GraphStore | None = None, project: Project | None = None, *,
          params: Mapping[str, str] | None = None, **more: str) -> Results:
    """Run a named query from queries/; parameters as strings (IRI, CURIE, English label, date), as keywords
    (``unit="32nd Rifle Division"``) or, for any name at all, in ``params`` (the command line passes them so: a
    parameter called "name" or "store" is the query's business, not this function's)."""
    project = project or Project.locate()
    store = store or open_store(project)
    return _queries.run(store, project.queries_dir, name, {**(params or {}), **more})


def sparql(text: str, store: GraphStore | None = None, *, inferred: bool = False):  # type: ignore[no-untyped-def]
    """Any SPARQL 1.1 query over the built graph (asserted only unless ``inferred``)."""
    store = store or open_store()
    return store.query(text, inferred=inferred)


def describe(term: str, store: GraphStore | None = None) -> Description:
    """Everything about one entity, each fact with its passage; ``term`` is an IRI, CURIE or label."""
    store = store or open_store()
    iri: URIRef = _queries.resolve_term(store, term)
    return _describe(store, iri)


def stats(store: GraphStore | None = None) -> dict[str, object]:
    """Triples, named graphs, and entities per class."""
    store = store or open_store()
    per_class = store.select(
        "SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?class "
        "FILTER(STRSTARTS(STR(?class), 'https://w3id.org/khasan/ontology#')) } "
        "GROUP BY ?class ORDER BY DESC(?n) ?class",
        inferred=True,
    )
    counts: Counter[str] = Counter()
    for cls, n in per_class.rows:
        counts[str(cls).split("#")[1]] = int(n)  # type: ignore[arg-type]
    graphs = store.select("SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }", inferred=False)
    return {
        "quads": len(store),
        "named_graphs": int(graphs.rows[0][0]),  # type: ignore[arg-type]
        "entities_per_class": dict(counts.most_common()),
    }

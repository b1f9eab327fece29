"""The query store: the built graph in Oxigraph, in memory or on disk.

rdflib stays the reference for parsing, validation and reasoning; queries run on Oxigraph, which answers the
library's property-path and aggregate queries in well under a millisecond where rdflib's engine takes tens.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import pyoxigraph as ox

from .errors import InputError, UsageError

# The query store's default graph is every asserted triple (default graph, passages, ontology) merged once:
# Oxigraph's "union of all graphs" is a bag — a fact restated by three passages would come back three times.
# (The build's own store keeps the merge in ALL_GRAPH instead, the default graph holding the data as written.)
from .namespaces import ALL_GRAPH, INFERRED_GRAPH
from .terms import Term, solution_rows, to_oxigraph, to_rdflib

STORE_INFO = "khasan-kg.json"  # beside Oxigraph's own files in a persisted store: what the layout cannot say

__all__ = [
    "ALL_GRAPH", "STORE_INFO", "GraphStore", "Results", "Term", "add_to_all_graph", "merge_all", "merge_into_all_graph",
    "to_oxigraph", "to_rdflib",
]


class Results:
    """A SELECT result as rdflib terms: ``variables`` and ``rows`` (tuples, None where unbound)."""

    def __init__(self, variables: list[str], rows: list[tuple[Term | None, ...]]) -> None:
        self.variables = variables
        self.rows = rows

    def __len__(self) -> int:
        return len(self.rows)

    def dicts(self) -> list[dict[str, Term | None]]:
        return [dict(zip(self.variables, row, strict=True)) for row in self.rows]


class GraphStore:
    """The built graph, queryable. Named queries see everything (asserted, ontology, kept entailments)."""

    def __init__(self, store: ox.Store, published: int | None = None) -> None:
        """``store`` laid out for queries (``merge_all``); ``published``: how many quads the dataset as published
        has (the default graph's merged copy not counted), if known."""
        self.store = store
        self.published = published

    @classmethod
    def from_nquads(cls, data: bytes, path: Path | None = None) -> GraphStore:
        store = ox.Store(str(path)) if path else ox.Store()
        store.bulk_load(data, format=ox.RdfFormat.N_QUADS)
        published = len(store)
        return cls(merge_all(store), published)

    @classmethod
    def from_trig(cls, trig: Path) -> GraphStore:
        store = ox.Store()
        try:
            store.bulk_load(path=str(trig), format=ox.RdfFormat.TRIG)
        except (OSError, SyntaxError) as exc:
            raise InputError(f"{trig}: cannot load the built graph: {exc}") from exc
        published = len(store)
        return cls(merge_all(store), published)

    @classmethod
    def open(cls, path: Path, *, read_only: bool = True) -> GraphStore:
        if not path.exists():
            raise InputError(f"{path}: no such store (write one with: khasan-kg build --store {path})")
        try:
            store = ox.Store.read_only(str(path)) if read_only else ox.Store(str(path))
        except OSError as exc:
            raise InputError(f"{path}: cannot open the store: {exc}") from exc
        info = path / STORE_INFO
        if next(iter(store.quads_for_pattern(None, None, None, ox.NamedNode(str(ALL_GRAPH)))), None) is not None \
                or not info.is_file():
            raise InputError(f"{path}: this store was written by an older khasan-kg, with another layout "
                             f"(write it again with: khasan-kg build --store {path})")
        return cls(store, json.loads(info.read_text(encoding="utf-8"))["published_quads"])

    def dataset(self, inferred: bool) -> dict[str, object]:
        """Query options: the store's default graph (every asserted triple, merged as a set) plus, if asked, the
        entailments, as the default graph; GRAPH patterns see the named graphs as published.

        No list of named graphs is passed: Oxigraph evaluates every pattern five to nine times slower when given an
        explicit list of thousands of named graphs.
        """
        default: list[ox.NamedNode | ox.DefaultGraph] = [ox.DefaultGraph()]
        if inferred:
            default.append(ox.NamedNode(str(INFERRED_GRAPH)))
        return {"default_graph": default}

    @staticmethod
    def graph(iri: str) -> ox.NamedNode | ox.DefaultGraph:
        """The graph a client names: the merged asserted graph, named as a push names it (ALL_GRAPH), is this
        store's default graph; any other name is a named graph."""
        return ox.DefaultGraph() if iri == str(ALL_GRAPH) else ox.NamedNode(iri)

    def _run(self, query: str, bindings: Mapping[str, Term] | None, inferred: bool):  # type: ignore[no-untyped-def]
        from .remote import with_values

        # Parameters go in as a VALUES block at the top of the WHERE group, so FILTERs and OPTIONALs see them
        # as bound (Oxigraph's substitutions leave BOUND(?x) false) and the same text runs on any store.
        text = with_values(query, bindings) if bindings else query
        try:
            return self.store.query(text, **self.dataset(inferred))  # type: ignore[arg-type]
        except SyntaxError as exc:
            raise UsageError(f"SPARQL syntax error: {exc}") from exc
        except RuntimeError as exc:
            raise UsageError(f"cannot run the query: {exc}") from exc

    def select(self, query: str, bindings: Mapping[str, Term] | None = None, *, inferred: bool = True) -> Results:
        result = self._run(query, bindings, inferred)
        if not isinstance(result, ox.QuerySolutions):
            raise UsageError("expected a SELECT query")
        return _results(result)

    def query(self, query: str, bindings: Mapping[str, Term] | None = None, *, inferred: bool = True):  # type: ignore[no-untyped-def]
        """Any query: Results for SELECT, bool for ASK, a list of rdflib triples for CONSTRUCT/DESCRIBE."""
        result = self._run(query, bindings, inferred)
        if isinstance(result, ox.QuerySolutions):
            return _results(result)
        if isinstance(result, ox.QueryBoolean):
            return bool(result)
        return [(to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)) for t in result]

    def __len__(self) -> int:
        """Quads as published (the merged copy in the default graph not counted twice)."""
        return self.published if self.published is not None else len(self.store)


def _results(solutions: ox.QuerySolutions) -> Results:
    """Solutions as rdflib terms, each distinct term converted once: a typed literal costs microseconds to make
    (rdflib parses its value), and a result repeats the same labels, types and dates many times."""
    return Results([v.value for v in solutions.variables], solution_rows(solutions))


def merge_all(store: ox.Store) -> ox.Store:
    """Make the store's default graph the set union of itself and every named graph but the entailments: what
    queries see as their default graph (Oxigraph's own union of graphs is a bag)."""
    store.update(f"INSERT {{ ?s ?p ?o }} WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER (?g != <{INFERRED_GRAPH}>) }}")
    return store


def merge_into_all_graph(store: ox.Store) -> ox.Store:
    """The build's layout: fill ALL_GRAPH with the set union of the default graph and every named graph but the
    entailments, leaving the default graph as written (unless ALL_GRAPH is filled already)."""
    all_graph = ox.NamedNode(str(ALL_GRAPH))
    if next(iter(store.quads_for_pattern(None, None, None, all_graph)), None) is None:
        add_to_all_graph(store)
    return store


def add_to_all_graph(store: ox.Store) -> ox.Store:
    """Add the default graph and every named graph but the entailments to ALL_GRAPH (already there: no change)."""
    store.update(
        f"INSERT {{ GRAPH <{ALL_GRAPH}> {{ ?s ?p ?o }} }} WHERE {{ {{ ?s ?p ?o }} UNION "
        f"{{ GRAPH ?g {{ ?s ?p ?o }} FILTER (?g NOT IN (<{ALL_GRAPH}>, <{INFERRED_GRAPH}>)) }} }}"
    )
    return store


def dataset_to_nquads(dataset) -> bytes:  # type: ignore[no-untyped-def]
    """N-Quads of an rdflib Dataset (rdflib's own writer escapes literals correctly)."""
    data = dataset.serialize(format="nquads", encoding="utf-8")
    return data if isinstance(data, bytes) else data.encode("utf-8")

"""The pipeline: load, derive provenance, validate, reason, export — each phase timed.

Everything happens in one Oxigraph store (``Loaded.store``), graph by graph:

- the default graph and one graph per passage: the asserted data, as written;
- ONTOLOGY_GRAPH: the ontology;
- ALL_GRAPH: the provenance and OWL-Time the build derives, and the graphs above merged into it as a set (what
  SHACL validates and the reasoner reads; khasan.ttl). The derivation is kept apart only as text
  (``Loaded.derived``), for the reasoner and for the published default graph, which holds it;
- and, as N-Triples text (``Build.entailed``, a fastreason.ClosureText), the kept entailments, published as
  INFERRED_GRAPH. The fast reasoner makes it in a thread (``Reasoning``, in a scratch store of its own) from
  the load on, beside the derivation, the checks and SHACL; ``Build.entailment_lines`` tells its entailments
  from the asserted statements it also holds.

rdflib graphs are made only when a caller asks for one (``Build.asserted`` …) or on the reference path.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import XSD

from . import __version__
from .errors import NotConforming
from .export import (
    PARALLEL_FROM,
    Conversions,
    Lines,
    append_statements,
    dataset_chunks,
    published_named_graphs,
    render,
    restore_integer_types,
    sorted_lines,
    split_lines,
    text_lines,
    union_of_sorted,
    write_atomically,
    write_jsonld_file,
    write_lines,
    write_trig,
    write_turtle,
)
from .fastreason import ClosureText, Rules, closure
from .load import Loaded, load
from .namespaces import ALL_GRAPH, INFERRED_GRAPH, KH, ONTOLOGY_GRAPH, bind_prefixes
from .paths import Project
from .provenance import DERIVED_DATATYPES
from .reason import entailments
from .terms import to_oxigraph, to_rdflib
from .validate import Report, _reference, prepare_shapes_data, use_reference, validate_loaded

# before the entailments in khasan-inferred.ttl and in khasan.trig
INFERRED_NOTE = ("Below: the entailments kept by the OWL 2 RL reasoner (in khasan.trig, the graph "
                 f"<{INFERRED_GRAPH}>). Above: the asserted graph, as in khasan.ttl.")
TRIG_NOTE = "The entailments kept by the OWL 2 RL reasoner (also in khasan-inferred.ttl, with the asserted graph)."
OUTPUT_FILES = ("khasan.ttl", "khasan-inferred.ttl", "khasan.nt", "khasan.jsonld", "khasan.trig", "build-info.json")
_ALL = ox.NamedNode(str(ALL_GRAPH))
_INFERRED = ox.NamedNode(str(INFERRED_GRAPH))


@dataclass
class Build:
    """The result of one build, in memory (in ``store``); ``write`` puts it on disk."""

    loaded: Loaded
    report: Report
    # the kept entailments as N-Triples; asserted statements may be there too (fastreason.closure leaves them):
    # entailment_lines() tells them apart. Given as a Reasoning, it is waited for when first asked for.
    entailed: ClosureText | Reasoning | None = None
    timings: dict[str, float] = field(default_factory=dict)
    _lines: dict[str, Lines] = field(default_factory=dict, repr=False)

    def entailments(self) -> ClosureText | None:
        """The entailments as N-Triples (waiting for the reasoner if it still runs), or None once
        entailment_lines() has them and the text is let go."""
        if isinstance(self.entailed, Reasoning):
            self.entailed = self.entailed.result()
        return self.entailed

    @property
    def store(self) -> ox.Store:
        return self.loaded.store

    def count(self, graph: ox.NamedNode) -> int:
        rows = self.store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph.value}> {{ ?s ?p ?o }} }}")
        return next(int(row[0].value) for row in rows)  # type: ignore[union-attr]

    @property
    def triple_count(self) -> int:
        """Ontology + asserted data + derived provenance: the triples of khasan.ttl."""
        return self.count(_ALL)

    @property
    def reasoned(self) -> bool:
        return self.entailed is not None or "entailed" in self._lines

    @property
    def inferred_count(self) -> int:
        return len(self.entailment_lines()) if self.reasoned else 0

    def asserted_lines(self) -> Lines:
        """khasan.ttl's statements (ALL_GRAPH's) as sorted N-Triples lines (export.split_lines form), made once.

        Made as the union of the published default graph's lines (editorial and derived), which the N-Quads
        need too, and the other graphs' (passages, ontology), each sorted apart: at 1M, a sort of ALL_GRAPH as
        well as one of the default graph took five seconds more."""
        if "asserted" not in self._lines:
            types = self.integer_types
            default = self._lines["default"] = union_of_sorted([sorted_lines([(self.store, ox.DefaultGraph())], types),
                                                                self.derived_lines()])
            named = [(self.store, g) for g in published_named_graphs(self.store)]
            self._lines["asserted"] = union_of_sorted([default, sorted_lines(named, types)])
        return self._lines["asserted"]

    def derived_lines(self) -> Lines:
        """What the build derived (provenance, OWL-Time) as sorted N-Triples lines, made once from
        ``Loaded.derived``, which is then let go (the store holds the derivation only inside ALL_GRAPH)."""
        if "derived" not in self._lines:
            derive_into(self.loaded)  # a no-op once validation has derived
            self._lines["derived"] = sorted(text_lines(self.loaded.derived or b"", self.integer_types))
            self.loaded.derived = b""  # taken: 400 MB of text at 1M
        return self._lines["derived"]

    def entailment_lines(self) -> Lines:
        """The kept entailments (asserted statements left out) as sorted N-Triples lines, made once (write may make
        them in a thread of its own, which it joins before anything else asks)."""
        if "entailed" not in self._lines:
            asserted = set(self.asserted_lines())  # made first: it overlaps the reasoner if that still runs
            data = self.entailments()
            if data is None:
                return []
            # the text is split a slice at a time, so that only the kept lines are ever held as lines
            self.entailed = None
            lines: Lines = []
            for chunk in data.chunks():
                lines += [line for line in split_lines(restore_integer_types(chunk, self.integer_types))
                          if line not in asserted]
            data.discard()
            del data, asserted
            lines.sort()  # fewer lines to sort once the asserted ones are out
            self._lines["entailed"] = lines
        return self._lines["entailed"]

    # rdflib views, made on demand (tests, the reference comparisons, notebook users)
    def _graph(self, *graphs: ox.NamedNode) -> Graph:
        g = Graph()
        bind_prefixes(g)
        for name in graphs:
            if name == _INFERRED:
                for t in ox.parse(render(self.entailment_lines()), format=ox.RdfFormat.N_TRIPLES):
                    g.add(self._triple(t))  # type: ignore[arg-type]
                continue
            for q in self.store.quads_for_pattern(None, None, None, name):
                g.add(self._triple(q))
        return g

    def _triple(self, q: ox.Quad | ox.Triple) -> tuple:  # type: ignore[type-arg]
        """A quad's triple in rdflib terms, with the integer datatypes the store flattened given back."""
        o = to_rdflib(q.object)
        if isinstance(o, Literal) and o.datatype == XSD.integer and q.predicate.value in self.integer_types:
            o = Literal(str(o), datatype=URIRef(self.integer_types[q.predicate.value]))
        return to_rdflib(q.subject), to_rdflib(q.predicate), o

    @property
    def asserted(self) -> Graph:
        """Ontology + asserted data + derived provenance, as an rdflib graph: the content of khasan.ttl."""
        return self._graph(_ALL)

    @property
    def with_inferred(self) -> Graph:
        return self._graph(_ALL, _INFERRED) if self.reasoned else self.asserted

    @property
    def inferred(self) -> Graph | None:
        return self._graph(_INFERRED) if self.reasoned else None

    @property
    def derived(self) -> Graph:
        g = Graph()
        bind_prefixes(g)
        for t in ox.parse(render(self.derived_lines()), format=ox.RdfFormat.N_TRIPLES):
            g.add(self._triple(t))  # type: ignore[arg-type]
        return g

    def nquads(self) -> bytes:
        """The export dataset as N-Quads: editorial and derived triples in the default graph, one named graph per
        passage, the ontology and the kept entailments in graphs of their own."""
        return b"".join(self.nquad_chunks())

    def nquad_chunks(self, *, entailments: bool = True) -> Iterator[bytes]:
        """``nquads`` a piece at a time (export.dataset_chunks); without the entailments' graph if asked."""
        self.asserted_lines()  # makes the default graph's lines too
        return dataset_chunks(self.store, self._lines["default"], integer_types=self.integer_types,
                              entailment_lines=self.entailment_lines if self.reasoned and entailments else None)

    @property
    def integer_types(self) -> dict[str, str]:
        """Predicates whose integers the store flattened to xsd:integer, with the datatype they were given."""
        return {**DERIVED_DATATYPES, **self.loaded.typed_integers}

    def quads(self) -> list[ox.Quad]:
        return list(ox.parse(self.nquads(), format=ox.RdfFormat.N_QUADS))  # type: ignore[arg-type]

    def dataset(self) -> Dataset:
        """The export dataset as an rdflib Dataset."""
        ds = Dataset(default_union=False)
        bind_prefixes(ds)
        for q in self.quads():
            g = q.graph_name
            target = ds.graph(DATASET_DEFAULT_GRAPH_ID) if isinstance(g, ox.DefaultGraph) else ds.graph(
                to_rdflib(g))  # type: ignore[arg-type]
            target.add(self._triple(q))
        return ds

    def entity_counts(self) -> Counter[str]:
        """How many entities each of our classes has (asserted types only, ontology left out)."""
        counts: Counter[str] = Counter()
        rows = self.store.query(
            f"SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s a ?c FILTER (STRSTARTS(STR(?c), '{KH}')) "
            f"FILTER NOT EXISTS {{ GRAPH <{ONTOLOGY_GRAPH}> {{ ?s a ?c }} }} }} GROUP BY ?c",
            default_graph=_ALL, named_graphs=[ox.NamedNode(str(ONTOLOGY_GRAPH))],
        )
        for row in rows:  # type: ignore[union-attr]
            counts[row[0].value[len(str(KH)):]] = int(row[1].value)  # type: ignore[union-attr]
        return counts

    def write(self, out_dir: Path, *, parallel: bool | None = None) -> list[Path]:
        """Write the build's files. N-Triples and N-Quads are made here, the Turtle, TriG and JSON-LD converted
        from them (export.Conversions): for a large graph (``parallel``; by default from export.PARALLEL_FROM
        statements) in child processes, beside the next text made here. The asserted graph's files come
        first, then the dataset's graphs but the entailments: a reasoner still running (see run) is waited for
        only after them. The entailments are converted once, to Turtle, and appended to a copy of khasan.ttl
        (khasan-inferred.ttl: each subject's statements in two blocks, asserted then entailed) and to the TriG
        converted from the other graphs, as its last graph."""
        if parallel is None:
            parallel = len(self.asserted_lines()) >= PARALLEL_FROM
        reasoned = self.reasoned  # asked once: it reads state that making the entailments' lines changes

        # intermediate files, in the staging folder, removed by finish
        entailed_nt, entailed_ttl, nquads, other_trig = (".khasan-entailed.nt", ".khasan-entailed.ttl", ".khasan.nq",
                                                         ".khasan-asserted.trig")
        beside = _Beside()
        with Conversions(parallel) as conversions:
            def entailed_file(path: Path) -> None:
                # the entailments' own Turtle, which finish appends to a copy of khasan.ttl and to the TriG
                lines = self.entailment_lines()
                if not beside.stopped:
                    write_lines(path.with_name(entailed_nt), lines)
                    conversions.submit(write_turtle, path.with_name(entailed_nt), path.with_name(entailed_ttl))

            def asserted(path: Path) -> None:
                lines = self.asserted_lines()
                if parallel and reasoned:
                    # the entailments' lines, file and conversion are made beside the files below, from the moment
                    # the reasoner is done: writing is file output and Oxigraph's dumps, which let go of Python's
                    # lock (at 1M, 7.5 s of work that came last)
                    beside.start(entailed_file, path)
                write_lines(path, lines)

            def inferred(path: Path) -> None:
                if not reasoned:
                    return
                if beside.started:
                    t0 = time.perf_counter()
                    beside.join()
                    self.timings["reason_wait"] = time.perf_counter() - t0  # the wait in the thread beside left out
                else:
                    entailed_file(path)

            def dataset(path: Path) -> None:
                # the graphs but the entailments, which finish appends from their own Turtle (see inferred)
                write_lines(path.with_name(nquads), self.nquad_chunks(entailments=False))
                conversions.submit(write_trig, path.with_name(nquads), path.with_name(other_trig))

            def info(path: Path) -> None:
                path.write_text(json.dumps({
                    "version": __version__,
                    "inputs": input_digest(self.loaded.project, self.loaded.files),
                    "triples": len(self.asserted_lines()),
                    "triples_inferred": len(self.asserted_lines()) + len(self.entailment_lines()),
                    "timings": self.timings,
                }, indent=2) + "\n", encoding="utf-8")

            def finish(staging: Path) -> None:
                conversions.wait()
                shutil.copyfile(staging / "khasan.ttl", staging / "khasan-inferred.ttl")
                os.replace(staging / other_trig, staging / "khasan.trig")
                if reasoned:
                    append_statements(staging / "khasan-inferred.ttl", staging / entailed_ttl, INFERRED_NOTE)
                    append_statements(staging / "khasan.trig", staging / entailed_ttl, TRIG_NOTE, str(INFERRED_GRAPH))
                for name in (entailed_nt, entailed_ttl, nquads):
                    (staging / name).unlink(missing_ok=True)

            writers = {
                "khasan.nt": asserted,
                "khasan.ttl": lambda p: conversions.submit(write_turtle, p.with_name("khasan.nt"), p),
                "khasan.jsonld": lambda p: conversions.submit(write_jsonld_file, p.with_name("khasan.nt"), p),
                # the dataset's other graphs before the entailments: a reasoner still at work is waited for only
                # once they are written
                "khasan.trig": dataset,
                "khasan-inferred.ttl": inferred,
                "build-info.json": info,
            }
            write_atomically(out_dir, writers, finish, lambda: (beside.stop(), conversions.cancel()))
        return [out_dir / name for name in OUTPUT_FILES]


class _Beside:
    """One writer run in a thread beside the others; ``join`` waits for it and raises what it raised. ``stop``
    (the write failed elsewhere) asks it to write nothing more and waits for it: the staging folder is then removed
    with nothing still writing into it."""

    def __init__(self) -> None:
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self.stopped = False

    @property
    def started(self) -> bool:
        return self._thread is not None

    def start(self, write: Callable[[Path], None], path: Path) -> None:
        def run() -> None:
            try:
                write(path)
            except BaseException as exc:  # raised in the writer's stead by join
                self._error = exc

        self._thread = threading.Thread(target=run, name="khasan-kg writer beside", daemon=True)
        self._thread.start()

    def join(self) -> None:
        if self._thread is not None:
            self._thread.join()
        if self._error is not None:
            raise self._error

    def stop(self) -> None:
        self.stopped = True
        if self._thread is not None:
            self._thread.join()


class Reasoning:
    """The fast reasoner at work in a thread of its own, from the load on: Oxigraph lets go of Python's lock while
    it copies, loads and runs a SPARQL update, so the reasoner and the derivation, checks, SHACL and first exports
    share the two cores. It copies the data at once, waits for the derived provenance (``derived``), then runs."""

    def __init__(self, loaded: Loaded, timings: dict[str, float]) -> None:
        self._result: ClosureText | None = None
        self._error: BaseException | None = None
        self._timings = timings
        self._loaded = loaded
        self._derived = threading.Event()
        self._derived_text: bytes | None = None
        self._abandoned = False
        self._idle = 0.0
        rules = Rules.from_ontology(loaded.ontology)  # here, so that an axiom it has no rule for stops run() at once
        # a daemon: a build that fails validation exits without waiting for entailments nobody will read
        self._thread = threading.Thread(target=self._work, args=(loaded.store, rules), name="khasan-kg reasoner",
                                        daemon=True)
        self._thread.start()

    def derived(self) -> None:
        """The derivation is done (``Loaded.derived``): the reasoner may read it. Taken here, in the caller's
        thread, before the exports let it go; a second call changes nothing."""
        if not self._derived.is_set():
            self._derived_text = self._loaded.derived or b""
            self._derived.set()

    def abandon(self) -> None:
        """The build stops: a reasoner still waiting for the derivation stops too (one already running ends on
        its own; it is a daemon)."""
        self._abandoned = True
        self._derived.set()

    def _wait_for_derived(self) -> bytes | None:
        t0 = time.perf_counter()
        self._derived.wait()
        self._idle = time.perf_counter() - t0
        text, self._derived_text = self._derived_text, None
        return None if self._abandoned else text

    def _work(self, store: ox.Store, rules: Rules) -> None:
        t0 = time.perf_counter()
        try:
            self._result = closure(store, rules, self._wait_for_derived)
        except BaseException as exc:  # handed to whoever asks for the result
            self._error = exc
        # its working time: the wait for the derivation left out
        self._timings["reason"] = time.perf_counter() - t0 - self._idle

    def result(self) -> ClosureText:
        t0 = time.perf_counter()
        self._thread.join()
        self._timings["reason_wait"] = time.perf_counter() - t0
        if self._error is not None:
            raise self._error
        if self._result is None:
            raise RuntimeError("the reasoner was stopped before it ran (Reasoning.abandon)")
        return self._result


def input_digest(project: Project, files: list[Path]) -> str:
    """A digest of every input the build reads: a build whose inputs did not change need not run again."""
    h = hashlib.sha256()
    for path in [project.ontology, project.shapes, *files]:
        if path.is_file():
            h.update(path.name.encode())
            h.update(path.read_bytes())
    h.update(__version__.encode())
    return h.hexdigest()


def run(project: Project | None = None, *, reason: bool = True, check: bool = True,
        reference: bool | None = None) -> Build:
    """Load, validate and reason; raise NotConforming (with the report) if the graph has problems.

    The fast path is the default: Oxigraph parses, entailments come from SPARQL updates generated from the
    ontology's axioms (fastreason), SHACL runs as whole-graph SPARQL. ``reference=True``, or the environment
    variable KHASAN_KG_REFERENCE=1, runs the plain pipeline instead: rdflib parses, owlrl's full closure
    (filtered), pySHACL with every constraint. Both give the same answers (tests/test_fastpaths.py).
    """
    reference = use_reference() if reference is None else reference
    token = _reference.set(reference)
    try:
        return _run(project, reason=reason, check=check, reference=reference)
    finally:
        _reference.reset(token)


def derive_into(loaded: Loaded) -> None:
    """Provenance from passage names and OWL-Time intervals, into ALL_GRAPH, then the asserted data merged into it
    (unless done already: validate.prepare_shapes_data)."""
    prepare_shapes_data(loaded)


def _run(project: Project | None, *, reason: bool, check: bool, reference: bool) -> Build:
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    loaded = load(project, engine="rdflib" if reference else "oxigraph")
    timings["parse"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    # the fast reasoner starts at once: it copies the data while provenance is derived, then reads that too,
    # and runs beside the checks and SHACL
    reasoning = Reasoning(loaded, timings) if reason and not reference else None
    try:
        report = validate_loaded(loaded, on_derived=reasoning.derived if reasoning else None) if check else Report()
        derive_into(loaded)  # a no-op when validation has done it
    except BaseException:
        if reasoning is not None:
            reasoning.abandon()
        raise
    timings["validate"] = time.perf_counter() - t0
    build = Build(loaded, report, timings=timings)
    if not report.conforms:
        if reasoning is not None:
            reasoning.abandon()
        error = NotConforming(report.text())
        error.report = report  # type: ignore[attr-defined]
        raise error
    if reasoning is not None:
        reasoning.derived()  # validation calls it; without checks, derive_into has derived by now

    if reason:
        t0 = time.perf_counter()
        if reference:
            asserted = build.asserted
            ontology = loaded.ontology
            entailed = ox.Store()
            entailed.bulk_extend(ox.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o))  # type: ignore[arg-type]
                                 for s, p, o in entailments(asserted - ontology, ontology))
            build.entailed = ClosureText([entailed.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
                                          or b""])
            timings["reason"] = time.perf_counter() - t0
        else:
            build.entailed = reasoning  # still at work, maybe: Build.entailments() waits for it
    return build

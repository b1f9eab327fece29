"""The pipeline: load, derive provenance, validate, reason, export — each phase timed."""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Dataset, Graph
from rdflib.namespace import RDF

from . import __version__
from .errors import NotConforming
from .export import dataset_for_export, to_jsonld, to_ntriples, to_trig, write_atomically
from .fastreason import entailments as fast_entailments
from .load import Loaded, load
from .namespaces import KH, bind_prefixes
from .paths import Project
from .provenance import SourceIndex, derive
from .reason import entailments
from .temporal import derive_time
from .validate import Report, _reference, use_reference, validate_loaded

OUTPUT_FILES = ("khasan.ttl", "khasan-inferred.ttl", "khasan.nt", "khasan.jsonld", "khasan.trig", "build-info.json")


@dataclass
class Build:
    """The result of one build, in memory; ``write`` puts it on disk."""

    loaded: Loaded
    derived: Graph
    report: Report
    inferred: Graph | None = None
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def asserted(self) -> Graph:
        """Ontology + asserted data + derived provenance: the content of khasan.ttl."""
        g = self.loaded.union() + self.derived
        for t in self.loaded.ontology:
            g.add(t)
        bind_prefixes(g)
        return g

    @property
    def with_inferred(self) -> Graph:
        g = self.asserted
        if self.inferred is not None:
            for t in self.inferred:
                g.add(t)
        bind_prefixes(g)
        return g

    def dataset(self) -> Dataset:
        return dataset_for_export(self.loaded.dataset, self.derived, self.loaded.ontology, self.inferred)

    def entity_counts(self) -> Counter[str]:
        """How many entities each of our classes has (asserted types only)."""
        counts: Counter[str] = Counter()
        data = self.loaded.union() + self.derived
        for _s, o in data.subject_objects(RDF.type):
            if str(o).startswith(str(KH)):
                counts[str(o)[len(str(KH)):]] += 1
        return counts

    def write(self, out_dir: Path) -> list[Path]:
        asserted, inferred, ds = self.asserted, self.with_inferred, self.dataset()
        info = {
            "version": __version__,
            "inputs": input_digest(self.loaded.project, self.loaded.files),
            "triples": len(asserted),
            "triples_inferred": len(inferred),
            "timings": self.timings,
        }
        writers = {
            "khasan.ttl": lambda p: asserted.serialize(p, format="turtle", encoding="utf-8"),
            "khasan-inferred.ttl": lambda p: inferred.serialize(p, format="turtle", encoding="utf-8"),
            "khasan.nt": lambda p: p.write_text(to_ntriples(asserted), encoding="utf-8"),
            "khasan.jsonld": lambda p: p.write_text(to_jsonld(asserted), encoding="utf-8"),
            "khasan.trig": lambda p: p.write_bytes(to_trig(ds)),
            "build-info.json": lambda p: p.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8"),
        }
        write_atomically(out_dir, writers)
        return [out_dir / name for name in writers]


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

    The fast path is the default: entailments from SPARQL updates generated from the ontology (fastreason) and
    SHACL with whole-graph SPARQL checks (validate.check_shapes). ``reference=True``, or the environment
    variable KHASAN_KG_REFERENCE=1, runs the reference semantics instead: owlrl's full closure, filtered, and
    pySHACL with every constraint. Both give the same answers (tests/test_fastpaths.py).
    """
    reference = use_reference() if reference is None else reference
    token = _reference.set(reference)
    try:
        return _run(project, reason=reason, check=check, reference=reference)
    finally:
        _reference.reset(token)


def _run(project: Project | None, *, reason: bool, check: bool, reference: bool) -> Build:
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    loaded = load(project)
    timings["parse"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    index = SourceIndex(loaded.union())
    derived = derive(loaded.dataset, index)
    derived += derive_time(loaded.union())  # OWL-Time intervals for dated events and tenures
    report = validate_loaded(loaded) if check else Report()
    timings["validate"] = time.perf_counter() - t0
    build = Build(loaded, derived, report, timings=timings)
    if not report.conforms:
        error = NotConforming(report.text())
        error.report = report  # type: ignore[attr-defined]
        raise error

    if reason:
        t0 = time.perf_counter()
        asserted = loaded.union() + derived
        if reference:
            build.inferred = entailments(asserted, loaded.ontology)
        else:
            build.inferred = fast_entailments(asserted, loaded.ontology)
        timings["reason"] = time.perf_counter() - t0
    return build

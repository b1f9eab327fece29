"""Writing the build's files, all at once or not at all.

The files are written into a staging folder beside the output folder and swapped in only when every one of them
has been written: a failed or interrupted build leaves the previous good output as it was.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from rdflib import Dataset, Graph, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

from .namespaces import GRAPH_NS, ONTOLOGY_IRI, bind_prefixes

ONTOLOGY_GRAPH = URIRef(ONTOLOGY_IRI)
INFERRED_GRAPH = GRAPH_NS["inferred"]
CONTEXT_PATH = Path(__file__).with_name("context.jsonld")


def load_context() -> dict:  # type: ignore[type-arg]
    """The published JSON-LD context (khasan_kg/context.jsonld), as a dict."""
    return json.loads(CONTEXT_PATH.read_text(encoding="utf-8"))["@context"]


def to_jsonld(graph: Graph) -> str:
    """JSON-LD compacted with our context (embedded, so the file reads offline)."""
    return graph.serialize(format="json-ld", context=load_context(), auto_compact=True, indent=1)


def to_ntriples(graph: Graph) -> str:
    """N-Triples with canonical blank-node labels, sorted, so that two builds of the same input are
    byte-identical (a parse gives blank nodes new labels every time)."""
    from rdflib.compare import to_canonical_graph

    text = to_canonical_graph(graph).serialize(format="nt")
    lines = sorted(line for line in text.splitlines() if line.strip())
    return "\n".join(lines) + "\n"


def dataset_for_export(asserted: Dataset, derived: Graph, ontology: Graph, inferred: Graph | None) -> Dataset:
    """One dataset: editorial and derived triples in the default graph, one named graph per passage, the
    ontology and the kept entailments in named graphs of their own."""
    ds = Dataset(default_union=False)
    bind_prefixes(ds)
    default = ds.graph(DATASET_DEFAULT_GRAPH_ID)
    for s, p, o, g in asserted.quads((None, None, None, None)):
        target = default if g is None or g == DATASET_DEFAULT_GRAPH_ID else ds.graph(g)
        target.add((s, p, o))
    for t in derived:
        default.add(t)
    onto = ds.graph(ONTOLOGY_GRAPH)
    for t in ontology:
        onto.add(t)
    if inferred is not None:
        inf = ds.graph(INFERRED_GRAPH)
        for t in inferred:
            inf.add(t)
    return ds


def write_atomically(out_dir: Path, writers: dict[str, Callable[[Path], None]]) -> None:
    """Run every writer into a staging folder, then swap the folder in place of ``out_dir``."""
    out_dir = out_dir.resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.staging-", dir=out_dir.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; a build folder is for everyone to read
    try:
        for name, write in writers.items():
            write(staging / name)
        for item in staging.iterdir():
            if item.is_file():
                with open(item, "rb") as fh:
                    os.fsync(fh.fileno())
        old = None
        if out_dir.exists():
            old = out_dir.parent / f".{out_dir.name}.old-{os.getpid()}"
            os.replace(out_dir, old)
        os.replace(staging, out_dir)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise

"""Writing the build's files, all at once or not at all.

The files are written into a staging folder beside the output folder and swapped in only when every one of them
has been written: a failed or interrupted build leaves the previous good output as it was.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
from rdflib import Dataset, Graph
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import RDF, RDFS

from .namespaces import ALL_GRAPH, DERIVED_GRAPH, INFERRED_GRAPH, ONTOLOGY_GRAPH, PREFIXES  # noqa: F401 (re-exported)

CONTEXT_PATH = Path(__file__).with_name("context.jsonld")


def load_context() -> dict:  # type: ignore[type-arg]
    """The published JSON-LD context (khasan_kg/context.jsonld), as a dict."""
    return json.loads(CONTEXT_PATH.read_text(encoding="utf-8"))["@context"]


def to_jsonld(graph: Graph) -> str:
    """JSON-LD compacted with our context (embedded, so the file reads offline), for an rdflib graph."""
    from .jsonld import write_jsonld
    from .terms import to_oxigraph

    triples = [ox.Triple(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o)) for s, p, o in graph]  # type: ignore[arg-type]
    data = write_jsonld(triples, load_context())
    assert data is not None
    return data.decode("utf-8")


def to_ntriples(graph: Graph) -> str:
    """N-Triples, sorted, so that two builds of the same input are byte-identical (blank nodes carry labels
    derived from their content: load.stable_quads)."""
    text = graph.serialize(format="nt")
    lines = sorted(line for line in text.splitlines() if line.strip())
    return "\n".join(lines) + "\n"


def to_trig(dataset: Dataset) -> bytes:
    """TriG written by Oxigraph (several times faster than rdflib's writer), quads sorted for stable output."""
    from .terms import to_oxigraph

    quads = []
    for s, p, o, g in dataset.quads((None, None, None, None)):
        graph = ox.DefaultGraph() if g is None or g == DATASET_DEFAULT_GRAPH_ID else to_oxigraph(g)
        quads.append(ox.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o), graph))  # type: ignore[arg-type]
    quads.sort(key=lambda q: (str(q.graph_name), str(q.subject), str(q.predicate), str(q.object)))
    return ox.serialize(quads, format=ox.RdfFormat.TRIG, prefixes=dict(PREFIXES))


# ---------------------------------------------------------------- writing from the build store
# Each file is written by Oxigraph from triples put in order by Oxigraph (ORDER BY in SPARQL): subjects in IRI
# order, blank nodes last, and in each subject block rdf:type first, then rdfs:label, then the rest.

_TYPE, _LABEL = ox.NamedNode(str(RDF.type)), ox.NamedNode(str(RDFS.label))


def ordered_triples(store: ox.Store, graphs: list[ox.NamedNode]) -> list[ox.Triple]:
    """The union of ``graphs`` (disjoint sets, as the build keeps them), in the order the files are written in:
    subjects in IRI order with blank nodes last, and in each subject block rdf:type, then rdfs:label, first."""
    rows = store.query("SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o", default_graph=graphs)
    blank: list[ox.Triple] = []
    named: list[ox.Triple] = []
    block: list[ox.Triple] = []
    subject = None
    for s, p, o in rows:  # type: ignore[misc]
        if s != subject:
            _flush(block, blank if isinstance(subject, ox.BlankNode) else named)
            block, subject = [], s
        block.append(ox.Triple(s, p, o))
    _flush(block, blank if isinstance(subject, ox.BlankNode) else named)
    return named + blank  # SPARQL orders blank nodes before IRIs; readers look for named things first


def _flush(block: list[ox.Triple], into: list[ox.Triple]) -> None:
    if block and block[0].predicate != _TYPE:  # ORDER BY puts rdf:type first only among http://www.w3.org terms
        block.sort(key=lambda t: (t.predicate != _TYPE, t.predicate != _LABEL))  # stable: keeps ?p ?o order
    elif len(block) > 1 and any(t.predicate == _LABEL for t in block):
        block.sort(key=lambda t: (t.predicate != _TYPE, t.predicate != _LABEL))
    into.extend(block)


def export_quads(store: ox.Store, *, inferred: bool) -> list[ox.Quad]:
    """The published dataset: editorial and derived triples in the default graph, one graph per passage, the
    ontology and (with ``inferred``) the kept entailments in graphs of their own; in a stable order."""
    default = ox.DefaultGraph()
    derived, merged = ox.NamedNode(str(DERIVED_GRAPH)), ox.NamedNode(str(ALL_GRAPH))
    skip = {merged} | (set() if inferred else {ox.NamedNode(str(INFERRED_GRAPH))})
    quads = [ox.Quad(t.subject, t.predicate, t.object, default)
             for t in ordered_triples(store, [default, derived])]  # type: ignore[list-item]
    names = sorted((g for g in store.named_graphs() if g not in skip and g != derived), key=lambda g: str(g))
    for name in names:
        quads += [ox.Quad(t.subject, t.predicate, t.object, name)
                  for t in ordered_triples(store, [name])]  # type: ignore[list-item]
    return quads


def write_turtle(triples: list[ox.Triple], path: Path) -> None:
    ox.serialize(triples, output=str(path), format=ox.RdfFormat.TURTLE, prefixes=dict(PREFIXES))


def write_ntriples(triples: list[ox.Triple], path: Path) -> None:
    ox.serialize(triples, output=str(path), format=ox.RdfFormat.N_TRIPLES)


def write_trig(quads: list[ox.Quad], path: Path) -> None:
    ox.serialize(quads, output=str(path), format=ox.RdfFormat.TRIG, prefixes=dict(PREFIXES))


def write_jsonld_file(triples: list[ox.Triple], path: Path) -> None:
    from .jsonld import write_jsonld

    with path.open("wb") as out:
        write_jsonld(triples, load_context(), out)


def write_atomically(out_dir: Path, writers: dict[str, Callable[[Path], None]]) -> None:
    """Run every writer into a staging folder, then swap the folder in place of ``out_dir``."""
    out_dir = out_dir.resolve()
    staging = staging_dir(out_dir)
    staging.chmod(0o755)  # mkdtemp makes it private; a build folder is for everyone to read
    try:
        for name, write in writers.items():
            write(staging / name)
        for item in staging.iterdir():
            if item.is_file():
                with open(item, "rb") as fh:
                    os.fsync(fh.fileno())
        swap_in(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def staging_dir(target: Path) -> Path:
    """A fresh folder beside ``target`` to write into, named after this process so that the next run can clear
    what a killed run left (a staging folder whose process is gone)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    clear_stale(target)
    return Path(tempfile.mkdtemp(prefix=f".{target.name}.staging-{os.getpid()}-", dir=target.parent))


def clear_stale(target: Path) -> None:
    """Remove staging and old folders beside ``target`` left by processes that no longer run; an old folder
    with no ``target`` (a run killed mid-swap without renameat2) is put back in its place."""
    for item in sorted(target.parent.glob(f".{target.name}.*-*")):
        kind, _, rest = item.name[len(target.name) + 2:].partition("-")
        pid = rest.split("-")[0]
        if kind not in ("staging", "old") or not pid.isdigit() or _alive(int(pid)):
            continue
        if kind == "old" and not target.exists():
            os.replace(item, target)
        else:
            shutil.rmtree(item, ignore_errors=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def swap_in(new: Path, target: Path) -> None:
    """Put the folder ``new`` where ``target`` is. With Linux's renameat2(RENAME_EXCHANGE) the two change places
    in one step, so at no moment is there no ``target``; elsewhere the old folder is moved aside first, and a run
    killed between the two renames leaves it beside the target as ``.NAME.old-PID``."""
    if not target.exists():
        os.replace(new, target)
        return
    if _exchange(new, target):
        shutil.rmtree(new, ignore_errors=True)  # now holds the previous content
        return
    old = target.parent / f".{target.name}.old-{os.getpid()}"
    os.replace(target, old)
    os.replace(new, target)
    shutil.rmtree(old, ignore_errors=True)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2); False where the system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):  # old kernel, or a file system that cannot
        return False
    raise OSError(err, os.strerror(err), str(b))

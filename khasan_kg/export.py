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
    """N-Triples, sorted, so that two builds of the same input are byte-identical (blank nodes carry labels
    derived from their content: load.stable_blank_nodes)."""
    text = graph.serialize(format="nt")
    lines = sorted(line for line in text.splitlines() if line.strip())
    return "\n".join(lines) + "\n"


def to_trig(dataset: Dataset) -> bytes:
    """TriG written by Oxigraph (several times faster than rdflib's writer), quads sorted for stable output."""
    import pyoxigraph as ox

    from .namespaces import PREFIXES
    from .store import to_oxigraph

    quads = []
    for s, p, o, g in dataset.quads((None, None, None, None)):
        graph = ox.DefaultGraph() if g is None or g == DATASET_DEFAULT_GRAPH_ID else to_oxigraph(g)
        quads.append(ox.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o), graph))  # type: ignore[arg-type]
    quads.sort(key=lambda q: (str(q.graph_name), str(q.subject), str(q.predicate), str(q.object)))
    return ox.serialize(quads, format=ox.RdfFormat.TRIG, prefixes=dict(PREFIXES))


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

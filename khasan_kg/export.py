"""Writing the build's files, all at once or not at all.

The files are written into a staging folder beside the output folder and swapped in only when every one of them
has been written: a failed or interrupted build leaves the previous good output as it was.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import pairwise
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph
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


# ---------------------------------------------------------------- writing from the build store
# Oxigraph writes N-Triples; the lines are sorted as bytes (in C, a second for a million lines), which groups
# each subject's statements; Turtle, TriG and JSON-LD are written from those sorted lines. Sorting makes two
# builds of the same input byte-identical: blank nodes carry labels derived from their content (load.stable_quads).
# Within a subject, rdf:type sorts first and rdfs:label next, so each block reads "what it is, what it is called".

_TYPE_NT = f" <{RDF.type}> ".encode()
_LABEL_NT = f" <{RDFS.label}> ".encode()
_FIRST, _SECOND = b" <\x01> ", b" <\x02> "  # never in N-Triples: Oxigraph escapes control characters


Source = tuple[ox.Store, ox.NamedNode | ox.DefaultGraph]
Lines = list[bytes]  # N-Triples statements without their newline, in sort form (placeholders for type and label)


def sorted_lines(sources: list[Source], integer_types: dict[str, str] | None = None) -> Lines:
    """The union of the (store, graph) ``sources`` as N-Triples lines in sort form (see split_lines), sorted, to
    merge, subtract or render later; ``integer_types`` (predicate → datatype) restores integer datatypes the
    store has flattened."""
    runs: list[Lines] = []
    for store, graph in sources:
        data = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=graph)
        assert data is not None
        lines = text_lines(data, integer_types)
        del data
        lines.sort()
        runs.append(lines)
    return union_of_sorted(runs)


def text_lines(data: bytes, integer_types: dict[str, str] | None = None) -> Lines:
    """N-Triples text (as the store writes it) as lines in sort form, unsorted, integer datatypes restored."""
    lines: Lines = []
    for chunk in line_chunks(data):  # a slice at a time: the text is never held twice
        lines += split_lines(restore_integer_types(chunk, integer_types or {}))
    return lines


def union_of_sorted(runs: list[Lines]) -> Lines:
    """Sorted line lists as one sorted list, each line once. Timsort merges sorted runs in one pass, and repeats
    are then side by side: cheaper than a set and a sort from scratch (a second at 1M)."""
    if len(runs) == 1:
        return runs[0]  # one graph has no repeated statement
    out = [line for run in runs for line in run]
    out.sort()
    if len(out) < 2:
        return out
    unique = [out[0]]
    unique += [line for previous, line in pairwise(out) if line != previous]
    return unique


def split_lines(ntriples: bytes) -> Lines:
    """N-Triples text as a list of lines in sort form (unsorted): rdf:type and rdfs:label are swapped for
    placeholders that sort before any IRI, so that each subject's block reads "what it is, what it is called"."""
    lines = ntriples.replace(_TYPE_NT, _FIRST).replace(_LABEL_NT, _SECOND).split(b"\n")
    if lines and not lines[-1]:
        lines.pop()
    return lines


def line_chunks(data: bytes, size: int = 64 << 20) -> Iterator[bytes]:
    """``data`` in slices of about ``size`` bytes, each ending at the end of a line."""
    start = 0
    while start < len(data):
        end = data.find(b"\n", min(start + size, len(data) - 1)) + 1 or len(data)
        yield data[start:end]
        start = end


def file_line_chunks(path: Path, size: int = 64 << 20) -> Iterator[bytes]:
    """A file's bytes in slices of about ``size`` bytes, each ending at the end of a line."""
    # each slice is copied once: bytes + memoryview makes one new bytes object, a slice of bytes would be a copy
    # of its own first (at 1M the entailments' 700 MB took 1.5 s more)
    with path.open("rb") as source:
        rest = b""
        while block := source.read(size):
            end = block.rfind(b"\n") + 1
            if not end:
                rest += block
                continue
            if rest:
                yield rest + memoryview(block)[:end]
            else:
                yield block if end == len(block) else block[:end]
            rest = block[end:]
        if rest:
            yield rest


def render(lines: Lines) -> bytes:
    """Lines in sort form as N-Triples text."""
    if not lines:
        return b""
    return (b"\n".join(lines) + b"\n").replace(_FIRST, _TYPE_NT).replace(_SECOND, _LABEL_NT)


# The store hands integers of derived types (Web Annotation's offsets, our line numbers) back as xsd:integer
# (oxigraph issue #526): the exports write them as declared (provenance.DERIVED_DATATYPES, Loaded.typed_integers).
_INTEGER_NT = b'"^^<http://www.w3.org/2001/XMLSchema#integer>'


def restore_integer_types(data: bytes, types: dict[str, str]) -> bytes:
    """N-Triples/N-Quads with the integers of the given predicates typed as declared (predicate → datatype).
    One pass over the text, whatever the number of predicates."""
    if not types or _INTEGER_NT not in data:
        return data
    names = b"|".join(re.escape(p.encode()) for p in sorted(types))
    pattern = re.compile(rb'( <(' + names + rb')> "[+-]?[0-9]+")\^\^<http://www\.w3\.org/2001/XMLSchema#integer>')
    datatypes = {p.encode(): b"^^<" + d.encode() + b">" for p, d in types.items()}
    return pattern.sub(lambda m: m.group(1) + datatypes[m.group(2)], data)


def _in_graph(ntriples: bytes, graph: ox.NamedNode) -> bytes:
    """N-Triples lines as N-Quads lines of ``graph`` (a raw newline only ever ends a line in N-Triples)."""
    return ntriples.replace(b" .\n", f" <{graph.value}> .\n".encode())


_BUILD_ONLY = {ox.NamedNode(str(g)) for g in (ALL_GRAPH, DERIVED_GRAPH, INFERRED_GRAPH)}


def published_named_graphs(store: ox.Store) -> list[ox.NamedNode]:
    """The named graphs the dataset publishes as they are: the passages and the ontology (not the build's merged,
    derived and inferred graphs)."""
    return [g for g in store.named_graphs() if g not in _BUILD_ONLY]  # type: ignore[misc]


def dataset_chunks(store: ox.Store, default_lines: Lines, *, integer_types: dict[str, str] | None = None,
                   entailment_lines: Lines | Callable[[], Lines] | None = None) -> Iterator[bytes]:
    """The published dataset as N-Quads, a piece at a time, graph by graph, each sorted: editorial and derived
    triples in the default graph (``default_lines``, sorted), then one graph per passage, the ontology and the
    kept entailments (``entailment_lines``, or a function that makes them: called only once the rest is written,
    so that a reasoner still at work is waited for last)."""
    types = integer_types or {}
    yield from rendered_chunks(default_lines)
    ontology = ox.NamedNode(str(ONTOLOGY_GRAPH))
    named = published_named_graphs(store)
    # passages in the order of their N-Quads lines (" <name> ." sorts a name before a longer one only if the next
    # character sorts after ">"), each dumped through the graph index and its few lines sorted
    passages = sorted((g for g in named if g != ontology), key=lambda g: g.value + ">")
    for graph in passages:
        data = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=graph)
        if data:
            yield _in_graph(render(sorted(split_lines(restore_integer_types(data, types)))), graph)
    if ontology in named:
        yield _in_graph(render(sorted_lines([(store, ontology)], types)), ontology)
    if callable(entailment_lines):
        entailment_lines = entailment_lines()
    if entailment_lines is not None:
        yield from rendered_chunks(entailment_lines, ox.NamedNode(str(INFERRED_GRAPH)))


def rendered_chunks(lines: Lines, graph: ox.NamedNode | None = None, size: int = 100_000) -> Iterator[bytes]:
    """``render(lines)`` (as N-Quads of ``graph`` if given) in pieces of ``size`` lines: a file is written from
    them without a second copy of a gigabyte of text in memory."""
    for start in range(0, len(lines), size):
        text = render(lines[start:start + size])
        yield _in_graph(text, graph) if graph is not None else text


def write_lines(path: Path, lines: Lines | Iterator[bytes]) -> None:
    """Sorted lines (a Lines list) or rendered pieces (an iterator of bytes) written to ``path``."""
    with path.open("wb") as out:
        for chunk in rendered_chunks(lines) if isinstance(lines, list) else lines:
            out.write(chunk)


# The files users read (Turtle, TriG, JSON-LD) are converted from the N-Triples / N-Quads the build writes first,
# file to file, streaming: for a large graph in a process of their own (Conversions), beside the build, which
# meanwhile makes the next text to convert. Those are Oxigraph's own output, so they are parsed leniently (IRIs
# not checked again): twice as fast, 2 s less per million statements.

def write_turtle(source: Path, path: Path) -> None:
    """N-Triples (sorted: each subject's statements together) as Turtle with our prefixes."""
    ox.serialize(ox.parse(path=source, format=ox.RdfFormat.N_TRIPLES, lenient=True), output=str(path),
                 format=ox.RdfFormat.TURTLE, prefixes=dict(PREFIXES))


def write_trig(source: Path, path: Path) -> None:
    """N-Quads (sorted graph by graph) as TriG with our prefixes."""
    ox.serialize(ox.parse(path=source, format=ox.RdfFormat.N_QUADS, lenient=True), output=str(path),
                 format=ox.RdfFormat.TRIG, prefixes=dict(PREFIXES))


def write_jsonld_file(source: Path, path: Path) -> None:
    """Sorted N-Triples (each subject's statements together) as compact JSON-LD with our context
    (jsonld.write_jsonld, grouped: each node is made into its line as its subject ends)."""
    from .jsonld import write_jsonld

    with path.open("wb") as out:
        write_jsonld(ox.parse(path=source, format=ox.RdfFormat.N_TRIPLES, lenient=True), load_context(), out,  # type: ignore[arg-type]
                     grouped=True)


def append_statements(path: Path, turtle: Path, note: str, graph: str | None = None) -> None:
    """Append the statements of the Turtle file ``turtle`` to the Turtle or TriG file ``path``, after a comment line
    ``note``; for TriG, as the named graph ``graph``. Both were written with the same prefixes, so ``turtle``'s
    @prefix lines are left out; blank node labels are one document's, as the store's own labels were written to
    both. Nothing is appended if ``turtle`` has no statement."""
    with turtle.open("rb") as source, path.open("ab") as out:
        for line in source:
            if line.startswith(b"@prefix ") or not line.strip():
                continue
            out.write(b"\n# " + note.encode("utf-8") + b"\n")
            if graph is not None:
                out.write(f"<{graph}> {{\n".encode())
            out.write(line)
            shutil.copyfileobj(source, out, 16 << 20)
            if graph is not None:
                out.write(b"}\n")
            return


# Below this many statements a second process costs more (its start, its imports) than it saves.
PARALLEL_FROM = 200_000
_CONVERTERS = {f.__name__: f for f in (write_turtle, write_trig, write_jsonld_file)}


class Conversions:
    """Runs file conversions (write_turtle, write_trig, write_jsonld_file): at once, in this process, or
    (``parallel``) queued, each in a child process of its own (``python -m khasan_kg.export``), two at a time,
    beside this one. A child is a fresh interpreter, not a fork: the build's process has threads and gigabytes,
    and a script that imports this package needs no ``if __name__ == "__main__"`` guard. ``wait`` returns once
    all are done and raises the first failure; leaving the ``with`` block after a failure drops what is queued."""

    def __init__(self, parallel: bool) -> None:
        self._queue = ThreadPoolExecutor(max_workers=2, thread_name_prefix="khasan-kg conversions") if parallel \
            else None
        self._pending: list[Future[None]] = []

    def submit(self, convert: Callable[[Path, Path], None], source: Path, target: Path) -> None:
        if self._queue is None:
            convert(source, target)
        else:
            self._pending.append(self._queue.submit(_convert_in_child, convert.__name__, source, target))

    def wait(self) -> None:
        for future in self._pending:
            future.result()
        self._pending.clear()

    def cancel(self) -> None:
        """Drop what is queued and wait for what runs (a conversion is not stopped half way)."""
        if self._queue is not None:
            self._queue.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> Conversions:
        return self

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        if self._queue is not None:
            self._queue.shutdown(wait=True, cancel_futures=error is not None)


def _convert_in_child(name: str, source: Path, target: Path) -> None:
    package_root = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-m", "khasan_kg.export", name, str(source), str(target)], env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        detail = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit code {done.returncode}"
        raise OSError(f"writing {target.name} from {source.name} failed in its process: {detail}")


def _main(argv: list[str]) -> int:
    """``python -m khasan_kg.export CONVERTER SOURCE TARGET``: one conversion, for Conversions."""
    name, source, target = argv
    _CONVERTERS[name](Path(source), Path(target))
    return 0


def write_atomically(out_dir: Path, writers: dict[str, Callable[[Path], None]],
                     finish: Callable[[Path], None] | None = None, abort: Callable[[], None] | None = None) -> None:
    """Run every writer into a staging folder, then ``finish`` (given the folder: writers may have left work
    running), then swap the folder in place of ``out_dir``. On a failure, ``abort`` stops that work before the
    staging folder is removed."""
    out_dir = out_dir.resolve()
    staging = staging_dir(out_dir)
    staging.chmod(0o755)  # mkdtemp makes it private; a build folder is for everyone to read
    try:
        for name, write in writers.items():
            write(staging / name)
        if finish is not None:
            finish(staging)
        for item in staging.iterdir():
            if item.is_file():
                with open(item, "rb") as fh:
                    os.fsync(fh.fileno())
        swap_in(staging, out_dir)
    except BaseException:
        if abort is not None:
            abort()
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


def temporary_dir(kind: str) -> Path:
    """A fresh folder in the system's temporary folder, named after ``kind`` and this process, so that the next
    run removes what a killed run left there (folders of that kind whose process no longer runs)."""
    base = Path(tempfile.gettempdir())
    prefix = f"khasan-kg-{kind}-"
    for item in base.glob(f"{prefix}*-*"):
        pid = item.name[len(prefix):].split("-")[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(item, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=base))


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


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))

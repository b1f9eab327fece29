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
import tempfile
from collections.abc import Callable, Iterator
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


def sorted_ntriples(sources: list[Source], integer_types: dict[str, str] | None = None) -> bytes:
    """The union of the (store, graph) ``sources`` as N-Triples, one statement per line, sorted, blank-node
    subjects last; ``integer_types`` (predicate → datatype) restores integer datatypes the store has flattened."""
    return render(sorted_lines(sources, integer_types))


def sorted_lines(sources: list[Source], integer_types: dict[str, str] | None = None) -> Lines:
    """``sorted_ntriples`` as a list of lines in sort form, to merge, subtract or render later."""
    parts = []
    for store, graph in sources:
        data = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=graph)
        assert data is not None
        parts.append(data)
    lines = split_lines(restore_integer_types(b"".join(parts), integer_types or {}))
    if len(sources) > 1:  # one graph has no repeated statement; several may share some
        lines = list(set(lines))
    lines.sort()
    return lines


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


def merged(a: Lines, b: Lines) -> Lines:
    """Two sorted line lists with nothing in common, as one sorted list (Timsort merges the two runs in one pass)."""
    out = a + b
    out.sort()
    return out


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


def dataset_nquads(store: ox.Store, *, integer_types: dict[str, str] | None = None,
                   entailment_lines: Lines | None = None) -> bytes:
    """The published dataset as N-Quads, graph by graph, each sorted: editorial and derived triples in the
    default graph, then one graph per passage, the ontology and the kept entailments (``entailment_lines``)."""
    derived, merged_graph, inferred_graph = (ox.NamedNode(str(g)) for g in (DERIVED_GRAPH, ALL_GRAPH, INFERRED_GRAPH))
    types = integer_types or {}
    parts = [sorted_ntriples([(store, ox.DefaultGraph()), (store, derived)], types)]
    skip = {merged_graph, derived, inferred_graph}
    names = sorted((g for g in store.named_graphs() if g not in skip), key=lambda g: g.value)
    ontology = ox.NamedNode(str(ONTOLOGY_GRAPH))
    passages = [g for g in names if g != ontology]
    # every passage at once: one N-Quads text, its lines sorted by graph name, then by statement
    text = ox.serialize((q for g in passages for q in store.quads_for_pattern(None, None, None, g)),
                        format=ox.RdfFormat.N_QUADS)
    lines = [line for line in restore_integer_types(text or b"", types).split(b"\n") if line]
    lines.sort(key=lambda line: (line[line.rindex(b" <"):], line))
    if lines:
        parts.append(b"\n".join(lines) + b"\n")
    if ontology in names:
        parts.append(_in_graph(sorted_ntriples([(store, ontology)], types), ontology))
    if entailment_lines is not None:
        parts.append(_in_graph(render(entailment_lines), inferred_graph))
    return b"".join(parts)


def write_turtle(ntriples: bytes, path: Path) -> None:
    ox.serialize(ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES), output=str(path), format=ox.RdfFormat.TURTLE,
                 prefixes=dict(PREFIXES))


def write_trig(nquads: bytes, path: Path) -> None:
    ox.serialize(ox.parse(nquads, format=ox.RdfFormat.N_QUADS), output=str(path), format=ox.RdfFormat.TRIG,
                 prefixes=dict(PREFIXES))


def write_jsonld_file(ntriples: bytes, path: Path) -> None:
    from .jsonld import write_jsonld

    with path.open("wb") as out:
        write_jsonld(ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES), load_context(), out)  # type: ignore[arg-type]


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

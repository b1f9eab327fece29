"""Load the ontology and the graph files into one rdflib Dataset, with errors that name the file and line."""

from __future__ import annotations

import bisect
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import XSD

from .errors import InputError
from .namespaces import BUILD_GRAPHS, ONTOLOGY_GRAPH, PREFIXES, bind_prefixes, curie
from .paths import Project
from .terms import to_oxigraph, to_rdflib

ONTOLOGY_NODE = ox.NamedNode(str(ONTOLOGY_GRAPH))
_LINE_RE = re.compile(r"line (\d+)")


def _parse_error(path: Path, exc: Exception, display: str) -> InputError:
    """Turn an rdflib parser exception into ``file:line: message``."""
    text = str(exc)
    line = getattr(exc, "lines", None)
    where_at, source = getattr(exc, "_i", None), getattr(exc, "_str", None)
    if isinstance(where_at, int) and isinstance(source, bytes):
        # notation3's BadSyntax counts lines ahead of the error (even past the end of the file); the byte index
        # it points at is exact
        line = source[:where_at].decode("utf-8", "replace").count("\n")  # 0-based, like BadSyntax.lines
    if not isinstance(line, int):
        match = _LINE_RE.search(text)
        line = int(match.group(1)) if match else None
    if isinstance(line, int) and line >= 0 and "lines" in dir(exc):
        line += 1  # notation3's BadSyntax counts lines from 0
    message = getattr(exc, "_why", None) or text
    message = str(message).strip().splitlines()[0] if str(message).strip() else type(exc).__name__
    where = f"{display}:{line}" if line else display
    return InputError(f"{where}: Turtle syntax error: {message}")


def parse_file(path: Path, into: Dataset, display: str | None = None) -> None:
    """Parse one .ttl or .trig file into the dataset (Turtle is TriG without graphs)."""
    display = display or str(path)
    if not path.is_file():
        raise InputError(f"{display}: no such file")
    try:
        data = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{display}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    try:
        into.parse(data=data, format="trig", publicID=path.resolve().as_uri())
    except Exception as exc:  # rdflib raises several unrelated exception types for bad syntax
        raise _parse_error(path, exc, display) from exc


@dataclass
class Loaded:
    """What one load produced: an Oxigraph store holding the asserted data as written (editorial statements in
    the default graph, one named graph per passage) and the ontology (in ONTOLOGY_GRAPH), plus where each file
    came from.

    The build works on the store. rdflib views (``dataset``, ``ontology``, ``union()``) are made on first use, for
    the reference semantics (pySHACL, owlrl) and for callers that want rdflib; the fast path never pays for them.
    """

    store: ox.Store
    files: list[Path]
    project: Project
    locator: TripleLocator = field(repr=False, default=None)  # type: ignore[assignment]
    # Oxigraph's store keeps xsd:nonNegativeInteger & co. as xsd:integer (oxigraph issue #526): which predicates
    # the input wrote with such a datatype, so that the exports can write them back as they were given
    typed_integers: dict[str, str] = field(default_factory=dict)
    # What the build derives (passage provenance, OWL-Time: validate.prepare_shapes_data) is written into ALL_GRAPH
    # only, not into a graph of its own as well (at 1M that copy was 2.6 million more inserts): ``derived`` holds it
    # as N-Triples (integers as the store gives them), for the reasoner and the exports, until the exports take it
    # (Build.derived_lines). ``merged``: ALL_GRAPH holds the derivation and the asserted data.
    derived: bytes | None = field(default=None, repr=False)
    merged: bool = False
    _dataset: Dataset | None = field(default=None, repr=False)
    _ontology: Graph | None = field(default=None, repr=False)

    @property
    def dataset(self) -> Dataset:
        """The asserted data as an rdflib Dataset (default graph and passage graphs; no ontology)."""
        if self._dataset is None:
            ds = new_dataset()
            for q in self.data_quads():
                g = q.graph_name
                target = ds.graph(DATASET_DEFAULT_GRAPH_ID) if isinstance(g, ox.DefaultGraph) else ds.graph(
                    URIRef(g.value))
                target.add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))
            self._dataset = ds
        return self._dataset

    @property
    def ontology(self) -> Graph:
        """The ontology as an rdflib Graph."""
        if self._ontology is None:
            g = Graph()
            bind_prefixes(g)
            for q in self.store.quads_for_pattern(None, None, None, ONTOLOGY_NODE):
                g.add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))
            self._ontology = g
        return self._ontology

    def data_graphs(self) -> list[ox.NamedNode | ox.DefaultGraph]:
        """The default graph and every passage graph: where asserted data lives (not the build's own graphs)."""
        return [ox.DefaultGraph(), *(g for g in self.store.named_graphs()
                                     if isinstance(g, ox.NamedNode) and g.value not in BUILD_GRAPHS)]

    def data_quads(self) -> Iterator[ox.Quad]:
        """Every asserted quad, as written (ontology and build graphs left out)."""
        for g in self.data_graphs():
            yield from self.store.quads_for_pattern(None, None, None, g)

    def union(self) -> Graph:
        """All asserted triples, every named graph and the default graph, as one rdflib graph."""
        g = Graph()
        bind_prefixes(g)
        for q in self.data_quads():
            g.add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))
        return g


def new_dataset() -> Dataset:
    ds = Dataset(default_union=False)
    bind_prefixes(ds)
    return ds


def load(project: Project | None = None, files: list[Path] | None = None, *, engine: str = "oxigraph") -> Loaded:
    """Parse the ontology and the graph files (all of graph/, or the given ones).

    ``engine="oxigraph"`` (the default) parses with Oxigraph, ten times faster than rdflib; ``engine="rdflib"``
    parses with rdflib, the plain pipeline the benchmarks compare against. Both give the same store.
    """
    project = project or Project.locate()
    files = files if files is not None else project.graph_files()
    if not project.ontology.is_file():
        raise InputError(f"{project.ontology}: no such file (is this a khasan-kg checkout?)")
    if not files:
        raise InputError(f"{project.graph_dir}: no .ttl or .trig files to load")
    parse = _parse_oxigraph if engine == "oxigraph" else _parse_rdflib
    ontology = stable_quads(parse(project, project.ontology))
    data: list[ox.Quad] = []
    for path in files:
        data += parse(project, path)
    data = stable_quads(data)
    store = ox.Store()
    store.bulk_extend(data)
    store.bulk_extend(ox.Quad(q.subject, q.predicate, q.object, ONTOLOGY_NODE) for q in ontology)
    typed = {}
    for q in data:
        o = q.object  # made once: each access makes a new Python object
        if type(o) is ox.Literal and o.datatype in _DERIVED_INTEGERS:
            typed[q.predicate.value] = o.datatype.value
    return Loaded(store, list(files), project, TripleLocator(project, list(files)), typed)


def _read(path: Path, display: str) -> str:
    if not path.is_file():
        raise InputError(f"{display}: no such file")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{display}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc


def _parse_oxigraph(project: Project, path: Path) -> list[ox.Quad]:
    display = _display(project, path)
    text = _read(path, display)
    try:
        return list(ox.parse(text.encode("utf-8"), format=ox.RdfFormat.TRIG, base_iri=path.resolve().as_uri(),
                             rename_blank_nodes=True))  # _:x in two files are two nodes
    except SyntaxError as exc:
        # rdflib's messages are the ones users (and tests/broken/) know; Oxigraph's position is the fallback
        try:
            parse_file(path, new_dataset(), display)
        except InputError as rdflib_error:
            raise rdflib_error from exc
        line = exc.lineno
        raise InputError(f"{display}:{line}: Turtle syntax error: {exc.msg}" if line else
                         f"{display}: Turtle syntax error: {exc.msg}") from exc


def _parse_rdflib(project: Project, path: Path) -> list[ox.Quad]:
    ds = new_dataset()
    parse_file(path, ds, _display(project, path))
    quads = []
    for s, p, o, g in ds.quads((None, None, None, None)):
        graph = ox.DefaultGraph() if g is None or g == DATASET_DEFAULT_GRAPH_ID else to_oxigraph(g)
        quads.append(ox.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o), graph))  # type: ignore[arg-type]
    return quads


def stable_quads(quads: list[ox.Quad]) -> list[ox.Quad]:
    """The quads with every blank node relabelled from what it says and who points at it, and xsd:decimal
    literals written with a point.

    A parse gives blank nodes fresh random labels; labels derived from content make two builds of the same
    files byte-identical in every format (and cost far less than canonicalising the graph on export). Only
    quads that touch a blank node or hold a decimal are rebuilt.
    """
    outgoing: dict[ox.BlankNode, list[tuple[str, object]]] = {}
    incoming: dict[ox.BlankNode, list[str]] = {}
    for q in quads:
        s, o = q.subject, q.object
        if isinstance(s, ox.BlankNode):
            outgoing.setdefault(s, []).append((str(q.predicate), o))
        if isinstance(o, ox.BlankNode):
            incoming.setdefault(o, []).append(
                f"{'_' if isinstance(s, ox.BlankNode) else str(s)} {q.predicate} {q.graph_name}")
    memo: dict[ox.BlankNode, str] = {}

    def digest(node: ox.BlankNode, stack: frozenset[ox.BlankNode] = frozenset()) -> str:
        if node in memo:
            return memo[node]
        parts = sorted(incoming.get(node, []))
        for p, o in outgoing.get(node, []):
            if isinstance(o, ox.BlankNode):
                value = "_cycle" if o in stack or o == node else digest(o, stack | {node})
            else:
                value = str(o)
            parts.append(f"{p} {value}")
        memo[node] = hashlib.sha1("\n".join(sorted(parts)).encode("utf-8")).hexdigest()[:20]
        return memo[node]

    relabel = {b: ox.BlankNode("b" + digest(b)) for b in set(outgoing) | set(incoming)}
    out = []
    for q in quads:
        # (pyoxigraph makes a new object at each q.subject: compared by identity, every quad looked changed and
        # was rebuilt, 4 s of the 1M load)
        s, o = q.subject, q.object
        changed = False
        if isinstance(o, ox.Literal) and o.datatype == _DECIMAL:
            o, changed = _canonical_decimal(o), True
        elif isinstance(o, ox.BlankNode):
            o, changed = relabel[o], True
        if isinstance(s, ox.BlankNode):
            s, changed = relabel[s], True
        out.append(ox.Quad(s, q.predicate, o, q.graph_name) if changed else q)
    return out


_DECIMAL = ox.NamedNode(str(XSD.decimal))
_DERIVED_INTEGERS = {ox.NamedNode(str(XSD) + t) for t in (
    "nonNegativeInteger", "positiveInteger", "nonPositiveInteger", "negativeInteger", "long", "int", "short",
    "byte", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte")}


def _canonical_decimal(lit: ox.Literal) -> ox.Literal:
    """xsd:decimal written without a point ("610000") reads back from Turtle as an integer: give it one."""
    text = lit.value.strip()
    if "." not in text and text.lstrip("+-").isdigit():
        return ox.Literal(text + ".0", datatype=_DECIMAL)
    return lit


def _display(project: Project, path: Path) -> str:
    try:
        return path.resolve().relative_to(project.root).as_posix()
    except ValueError:
        return str(path)


def default_graph(dataset: Dataset) -> Graph:
    return dataset.graph(DATASET_DEFAULT_GRAPH_ID)


def stable_blank_nodes(dataset: Dataset) -> Dataset:
    """The same dataset with every blank node relabelled from what it says and who points at it.

    A parse gives blank nodes fresh random labels; labels derived from content make two builds of the same
    files byte-identical in every format (and cost far less than canonicalising the graph on export).
    """
    quads = list(dataset.quads((None, None, None, None)))
    outgoing: dict[BNode, list[tuple[str, object]]] = {}
    incoming: dict[BNode, list[str]] = {}
    for s, p, o, g in quads:
        if isinstance(s, BNode):
            outgoing.setdefault(s, []).append((p.n3(), o))
        if isinstance(o, BNode):
            incoming.setdefault(o, []).append(f"{s.n3() if not isinstance(s, BNode) else '_'} {p.n3()} {g}")
    memo: dict[BNode, str] = {}

    def digest(node: BNode, stack: frozenset[BNode] = frozenset()) -> str:
        if node in memo:
            return memo[node]
        parts = sorted(incoming.get(node, []))
        for p, o in outgoing.get(node, []):
            if isinstance(o, BNode):
                value = "_cycle" if o in stack or o == node else digest(o, stack | {node})
            else:
                value = o.n3()
            parts.append(f"{p} {value}")
        memo[node] = hashlib.sha1("\n".join(sorted(parts)).encode("utf-8")).hexdigest()[:20]
        return memo[node]

    relabel = {b: BNode("b" + digest(b)) for b in set(outgoing) | set(incoming)}
    out = new_dataset()
    for s, p, o, g in quads:
        s2 = relabel.get(s, s) if isinstance(s, BNode) else s
        o2 = relabel.get(o, o) if isinstance(o, BNode) else _canonical_literal(o)
        graph = out.graph(g) if g is not None and g != DATASET_DEFAULT_GRAPH_ID else out.graph(DATASET_DEFAULT_GRAPH_ID)
        graph.add((s2, p, o2))
    return out


def stable_graph(graph: Graph) -> Graph:
    """A graph with its blank nodes relabelled from content, like stable_blank_nodes for a dataset."""
    ds = new_dataset()
    default = ds.graph(DATASET_DEFAULT_GRAPH_ID)
    for t in graph:
        default.add(t)
    out = Graph()
    bind_prefixes(out)
    for s, p, o, _ in stable_blank_nodes(ds).quads((None, None, None, None)):
        out.add((s, p, o))
    return out


def _canonical_literal(term: object) -> object:
    """xsd:decimal written without a point ("610000") reads back from Turtle as an integer: give it one."""
    if isinstance(term, Literal) and term.datatype == XSD.decimal and "." not in str(term):
        text = str(term).strip()
        if text.lstrip("+-").isdigit():
            return Literal(text + ".0", datatype=XSD.decimal)
    return term


class TripleLocator:
    """Finds the file and line where a subject (and, if given, a predicate or object) is written.

    rdflib keeps no positions, so this searches the text for the term as it would be written there (a CURIE
    or a full IRI); it is right for files written in the house style, one subject block per entity.
    """

    def __init__(self, project: Project, files: list[Path]) -> None:
        self.project = project
        self.files = files
        self._lines: dict[Path, list[str]] = {}
        self._whole: dict[Path, tuple[str, list[int]]] = {}  # the text with newlines, and where each line starts

    def _text(self, path: Path) -> list[str]:
        if path not in self._lines:
            try:
                self._lines[path] = path.read_text(encoding="utf-8").splitlines()
            except OSError:
                self._lines[path] = []
        return self._lines[path]

    def _lines_with(self, path: Path, forms: list[str]) -> list[int]:
        """The indexes of the lines of ``path`` where one of ``forms`` is written as a term (``_has_term``), found
        by searching the whole text at once: a graph with thousands of problems was minutes of line-by-line
        scanning."""
        if path not in self._whole:
            lines = self._text(path)
            starts, offset = [], 0
            for line in lines:
                starts.append(offset)
                offset += len(line) + 1
            self._whole[path] = ("\n".join(lines), starts)
        text, starts = self._whole[path]
        found: set[int] = set()
        for form in forms:
            start = text.find(form)
            while start >= 0:
                if _bounded(text, start, start + len(form)):
                    found.add(bisect.bisect_right(starts, start) - 1)
                start = text.find(form, start + 1)
        return sorted(found)

    @staticmethod
    def _forms(term: object) -> list[str]:
        if isinstance(term, URIRef):
            forms = [f"<{term}>"]
            short = curie(str(term))
            if not short.startswith("<"):
                forms.insert(0, short)
            return forms
        if isinstance(term, Literal):
            return [str(term)]
        return []

    def locate(self, subject: object, predicate: object = None, obj: object = None) -> str | None:
        """``file:line`` of the first place the subject is written with the predicate (or object), if found."""
        subject_forms = self._forms(subject)
        detail_forms = self._forms(predicate) + self._forms(obj)
        fallback = None
        for path in self.files:
            lines = self._text(path)
            for i in self._lines_with(path, subject_forms) if subject_forms else ():
                if fallback is None:
                    fallback = (path, i)
                if not detail_forms:
                    return self._where(path, i)
                # look down the subject block (until a line ending with " .") for the detail
                for j in range(i, min(len(lines), i + 80)):
                    if any(_has_term(lines[j], f) for f in detail_forms):
                        return self._where(path, j)
                    if lines[j].rstrip().endswith(" .") and j > i:
                        break
        if fallback:
            return self._where(*fallback)
        return None

    def _where(self, path: Path, index: int) -> str:
        return f"{_display(self.project, path)}:{index + 1}"


def _has_term(line: str, form: str) -> bool:
    start = line.find(form)
    while start >= 0:
        if _bounded(line, start, start + len(form)):
            return True
        start = line.find(form, start + 1)
    return False


def _bounded(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] stands as a whole term: not part of a longer name on either side."""
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not (before.isalnum() or before in "-_:") and not (after.isalnum() or after in "-_")


def is_blank(term: object) -> bool:
    return isinstance(term, BNode)


__all__ = ["Loaded", "load", "parse_file", "PREFIXES", "TripleLocator", "default_graph", "new_dataset"]

"""Checks beyond SHACL that need the whole graph at once (run by validate.validate_loaded).

Each check takes the loaded files (``Loaded``, whose store it reads) and returns Problems; add one by appending it
to CHECKS.

The rules these checks enforce (graph/README.md should say the same):

- One entity, one IRI: two IRIs that share an asserted kh: class and the same English label (compared without
  case and extra spaces) are taken for one entity minted twice. Keep one IRI; retire the other with
  ``owl:deprecated true`` and ``dcterms:isReplacedBy``. Two truly different things with one name (two men called
  Ivanov) are told apart with ``owl:differentFrom`` on either IRI, and better by labels that differ.
- One commander at a time: two command assignments of one unit held by different people over overlapping periods
  are refused unless the overlap is explained: ``kh:editorialNote "…"@en`` (why both held command) or
  ``kh:disputed true`` with ``kh:disputeReason`` (the source's claim is doubtful) on either assignment. A period
  runs from kh:begin (or kh:date, or kh:earliest) to kh:end (or kh:date, or kh:latest); a missing bound is open;
  an assignment with no date at all is not compared (nothing to overlap).
- A label's language tag must fit its script: an ``@en`` label or alternative label written in Thai, Cyrillic
  or Japanese script, a ``@ru`` one with no Cyrillic letter, a ``@ja`` one with no kana or kanji is tagged with
  the wrong language. (A ``@th`` label may be all Latin: the Thai text prints many foreign names in Latin letters,
  and the ``@th`` label keeps the form the source prints.)

Each check reads the asserted data in the build's Oxigraph store: one SPARQL query fetches the candidates (typed
entities with an English label, who commands which unit, labels that could be mis-tagged), Python decides, and
only the few nodes a problem is about (or, for commands, the units more than one person commands) are then looked
up one by one.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable

import pyoxigraph as ox
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from .load import Loaded, _display
from .namespaces import KH, curie
from .provenance import asserted, is_build_graph
from .terms import to_rdflib
from .validate import Problem, asserted_quads, english_label, locate, select

Check = Callable[[Loaded], list[Problem]]
Term = ox.NamedNode | ox.BlankNode | ox.Literal


def _n(iri: object) -> ox.NamedNode:
    return ox.NamedNode(str(iri))


_LABEL, _ALT_LABEL, _RDF_TYPE = _n(RDFS.label), _n(SKOS.altLabel), _n(RDF.type)
_DEPRECATED, _DIFFERENT_FROM = _n(OWL.deprecated), _n(OWL.differentFrom)
_PREFIXES = f"PREFIX kh: <{KH}>\nPREFIX rdf: <{RDF}>\nPREFIX rdfs: <{RDFS}>\n"


def _problem(loaded: Loaded, node: ox.NamedNode, prop: ox.NamedNode | None, obj: Term | None, message: str,
             check: str) -> Problem:
    return Problem(
        message,
        where=locate(loaded, node, prop, obj),
        focus=curie(node.value),
        label=english_label(loaded.store, node),
        path=curie(prop.value) if prop is not None else None,
        check=check,
    )


_python_values: dict[ox.Literal, object] = {}


def _python(value: Term) -> object:
    """A literal's value as rdflib reads it (True for "true"^^xsd:boolean, a date for an xsd:date…); the same
    few literals come back often, so rdflib parses each once."""
    if not isinstance(value, ox.Literal):
        return None
    if value not in _python_values:
        if len(_python_values) > 100_000:
            _python_values.clear()
        _python_values[value] = to_rdflib(value).toPython()  # type: ignore[union-attr]
    return _python_values[value]


def _is_true(store: ox.Store, node: Term, prop: ox.NamedNode) -> bool:
    return any(_python(q.object) is True for q in asserted_quads(store, node, prop))


def _has(store: ox.Store, node: Term, prop: ox.NamedNode) -> bool:
    return bool(asserted_quads(store, node, prop))


# ---------------------------------------------------------------- one entity, one IRI


def _normalise(label: str) -> str:
    if label.isascii():  # NFC leaves ASCII alone and casefold is lower: the common case, three times cheaper
        return " ".join(label.lower().split())
    return " ".join(unicodedata.normalize("NFC", label).casefold().split())


def _position(loaded: Loaded, node: ox.NamedNode) -> tuple[int, int, str]:
    """Where a node's label is written, as a sort key: (file index, line, IRI)."""
    where = locate(loaded, node, _LABEL) or ""
    path, _, line = where.rpartition(":")
    order = {_display(loaded.project, f): i for i, f in enumerate(loaded.files)}
    return (order.get(path, len(order)), int(line) if line.isdigit() else 0, node.value)


# Live IRIs with an asserted kh: class and an English label; retired ones are dropped in Python (owl:deprecated
# is read as rdflib reads a boolean, a few statements in all).
_LABELLED_ENTITIES = _PREFIXES + f"""SELECT DISTINCT ?node ?class ?label WHERE {{
    {asserted("?node rdf:type ?class", "g1")}
    FILTER (isIRI(?node) && isIRI(?class) && STRSTARTS(STR(?class), "{KH}"))
    {asserted("?node rdfs:label ?label", "g2")}
    FILTER (isLiteral(?label) && LANG(?label) = "en")
}}"""


def check_duplicate_entities(loaded: Loaded) -> list[Problem]:
    """Two live IRIs with one asserted kh: class and one English label are one entity minted twice."""
    store = loaded.store
    retired = {q.subject for q in asserted_quads(store, None, _DEPRECATED) if _python(q.object) is True}
    by_key: dict[tuple[str, str], set[ox.NamedNode]] = defaultdict(set)
    for node, cls, label in select(store, _LABELLED_ENTITIES):
        if node not in retired:
            by_key[(cls.value, _normalise(label.value))].add(node)
    told_apart = {(q.subject, q.object) for q in asserted_quads(store, None, _DIFFERENT_FROM)}
    problems: list[Problem] = []
    reported: set[frozenset[ox.NamedNode]] = set()
    # only keys shared by two nodes or more are sorted (at 1M, 227k keys have one node each)
    shared = [(key, group) for key, group in by_key.items() if len(group) > 1]
    for (cls, _), group in sorted(shared, key=lambda kv: kv[0]):
        nodes = sorted(group, key=lambda n: n.value)
        for i, first in enumerate(nodes):
            for second in nodes[i + 1:]:
                pair = frozenset((first, second))
                if pair in reported or (first, second) in told_apart or (second, first) in told_apart:
                    continue
                reported.add(pair)
                # blame the IRI written later in file order: usually the one just minted again
                older, newer = sorted((first, second), key=lambda n: _position(loaded, n))
                other = locate(loaded, older, _LABEL) or "?"
                problems.append(_problem(
                    loaded, newer, _LABEL, None,
                    f"same English label and class ({curie(cls)}) as {curie(older.value)} ({other}): one "
                    f"entity with two IRIs? Keep one and retire the other with owl:deprecated true and "
                    f"dcterms:isReplacedBy, or say owl:differentFrom if they are two",
                    "duplicate",
                ))
    return problems


# ---------------------------------------------------------------- one commander at a time

_MIN = dt.date.min
_MAX = dt.date.max
_BEGINS = (_n(KH.begin), _n(KH.date), _n(KH.earliest))
_ENDS = (_n(KH.end), _n(KH.date), _n(KH.latest))
_UNIT = _n(KH.commandedUnit)

# Who commands which unit, by assignment: two bound properties, one join. Only the units that more than one
# person commands need their assignments' dates (read by index lookups, a few per assignment).
_COMMANDS = _PREFIXES + f"""SELECT DISTINCT ?node ?unit ?commander WHERE {{
    {asserted("?node kh:commandedUnit ?unit", "g1")}
    {asserted("?node kh:commander ?commander", "g2")}
    FILTER (isIRI(?node) && isIRI(?unit) && isIRI(?commander))
}}"""
_COMMAND_ASSIGNMENT = _n(KH.CommandAssignment)


def _as_date(value: Term) -> dt.date | None:
    python = _python(value)
    if isinstance(python, dt.datetime):
        return python.date()
    if isinstance(python, dt.date):
        return python
    return None  # ill-typed (or not a literal): the shapes report it


def _first(dates: Iterable[dt.date | None], pick: Callable[[list[dt.date]], dt.date]) -> dt.date | None:
    found = [d for d in dates if d is not None]
    return pick(found) if found else None


def _period(store: ox.Store, node: ox.NamedNode) -> tuple[dt.date, dt.date] | None:
    """The closed period an assignment covers, open where a bound is missing; None if it has no date at all."""
    def dates(props: tuple[ox.NamedNode, ...]) -> list[dt.date | None]:
        return [_as_date(q.object) for p in props for q in asserted_quads(store, node, p)]

    begin = _first(dates(_BEGINS), min)
    end = _first(dates(_ENDS), max)
    if begin is None and end is None:
        return None
    return (begin or _MIN, end or _MAX)


def _explained(store: ox.Store, node: ox.NamedNode) -> bool:
    if _has(store, node, _n(KH.editorialNote)):
        return True
    return _is_true(store, node, _n(KH.disputed)) and _has(store, node, _n(KH.disputeReason))


def _show(period: tuple[dt.date, dt.date]) -> str:
    begin = "…" if period[0] == _MIN else period[0].isoformat()
    end = "…" if period[1] == _MAX else period[1].isoformat()
    return f"{begin} to {end}"


def check_overlapping_commands(loaded: Loaded) -> list[Problem]:
    """Two people commanding one unit over overlapping periods, with no reason stated on either assignment."""
    store = loaded.store
    commands: dict[ox.NamedNode, list[tuple[ox.NamedNode, ox.NamedNode]]] = defaultdict(list)
    for node, unit, commander in select(store, _COMMANDS):
        commands[unit].append((node, commander))
    by_unit: dict[ox.NamedNode, list[tuple[ox.NamedNode, ox.NamedNode, tuple[dt.date, dt.date]]]] = defaultdict(list)
    periods: dict[ox.NamedNode, tuple[dt.date, dt.date] | None] = {}
    for unit, held in commands.items():
        if len({commander for _, commander in held}) < 2:
            continue  # one commander (or none): nothing can overlap
        for node, commander in held:
            if node not in periods:
                typed = any(not is_build_graph(q.graph_name)
                            for q in store.quads_for_pattern(node, _RDF_TYPE, _COMMAND_ASSIGNMENT, None))
                periods[node] = _period(store, node) if typed else None
            period = periods[node]
            if period is not None:
                by_unit[unit].append((node, commander, period))
    problems: list[Problem] = []
    for unit in sorted(by_unit, key=lambda u: u.value):
        tenures = sorted(by_unit[unit], key=lambda t: (t[2][0], t[0].value, t[1].value))
        for i, (first, first_who, first_period) in enumerate(tenures):
            for second, second_who, second_period in tenures[i + 1:]:
                if first_who == second_who or first == second:
                    continue
                if second_period[0] > first_period[1] or first_period[0] > second_period[1]:
                    continue
                if _explained(store, first) or _explained(store, second):
                    continue
                unit_label = english_label(store, unit)
                unit_text = curie(unit.value) + (f' ("{unit_label}")' if unit_label else "")
                problems.append(_problem(
                    loaded, second, _UNIT, unit,
                    f"{_name(store, second_who)} commands {unit_text} from {_show(second_period)}, while "
                    f"{_name(store, first_who)} does ({curie(first.value)}, {_show(first_period)}): two "
                    f"commanders at once. State why with kh:editorialNote \"…\"@en on either assignment (or "
                    f"kh:disputed true with kh:disputeReason), or correct the dates",
                    "overlap",
                ))
    return problems


def _name(store: ox.Store, node: ox.NamedNode) -> str:
    label = english_label(store, node)
    return f'{curie(node.value)} ("{label}")' if label else curie(node.value)


# ---------------------------------------------------------------- a label's language fits its script

_LABEL_PROPERTIES = (_LABEL, _ALT_LABEL)


def _scripts(text: str) -> set[str]:
    found = set()
    for ch in text:
        if not ch.isalpha():
            continue
        name = unicodedata.name(ch, "")
        if name.startswith("THAI"):
            found.add("thai")
        elif name.startswith("CYRILLIC"):
            found.add("cyrillic")
        elif name.startswith(("CJK", "HIRAGANA", "KATAKANA")):
            found.add("japanese")
        elif name.startswith("LATIN"):
            found.add("latin")
    return found


# What each tag's text must contain, and what an English label must not.
_NEEDS = {"ru": ("cyrillic", "Cyrillic"), "ja": ("japanese", "kana or kanji")}
_NOT_ENGLISH = {"thai": "Thai", "cyrillic": "Cyrillic", "japanese": "Japanese"}


def _suspect_labels(prop: ox.NamedNode) -> str:
    """The labels of one property that may carry the wrong tag: every @ru and @ja one, and the @en ones with a
    character outside printable ASCII (an all-ASCII @en label has Latin letters at most, which is right). Python
    then reads each one's scripts."""
    return f"""SELECT DISTINCT ?node ?label WHERE {{
    {asserted(f"?node <{prop.value}> ?label")}
    FILTER (isIRI(?node) && isLiteral(?label) && LANG(?label) != "")
    FILTER (LANGMATCHES(LANG(?label), "ru") || LANGMATCHES(LANG(?label), "ja")
            || (LANGMATCHES(LANG(?label), "en") && REGEX(STR(?label), "[^ -~]")))
}}"""


def check_label_languages(loaded: Loaded) -> list[Problem]:
    """A label tagged @en in Thai script (or @ru with no Cyrillic letter…) carries the wrong language tag."""
    problems: list[Problem] = []
    for prop in _LABEL_PROPERTIES:
        rows = select(loaded.store, _suspect_labels(prop))
        for node, label in sorted(rows, key=lambda t: (t[0].value, t[1].value, t[1].language or "")):
            language = label.language or ""
            lang = language.lower().split("-")[0]
            scripts = _scripts(label.value)
            wrong = None
            if lang == "en":
                foreign = sorted(_NOT_ENGLISH[s] for s in scripts & set(_NOT_ENGLISH))
                if foreign:
                    wrong = f"is tagged @en but written in {' and '.join(foreign)} script"
            elif lang in _NEEDS and scripts and _NEEDS[lang][0] not in scripts:
                wrong = f"is tagged @{lang} but has no {_NEEDS[lang][1]} letter"
            if wrong:
                problems.append(_problem(
                    loaded, node, prop, label,
                    f'"{label.value}"@{language} {wrong}: give it the language it is written in',
                    "language",
                ))
    return problems


CHECKS: list[Check] = [check_duplicate_entities, check_overlapping_commands, check_label_languages]


def run_all(loaded: Loaded) -> list[Problem]:
    """Every check of CHECKS on the loaded store, in that order."""
    problems: list[Problem] = []
    for check in CHECKS:
        problems += check(loaded)
    return problems

"""Checks beyond SHACL that need the whole graph at once (run by validate.validate_loaded).

Each check takes the loaded files and the union graph and returns Problems; add one by appending it to CHECKS.

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
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from .load import Loaded, _display
from .namespaces import KH, curie
from .validate import Problem

Check = Callable[[Loaded, Graph], list[Problem]]


def _english_label(graph: Graph, node: object) -> str | None:
    for label in graph.objects(node, RDFS.label):  # type: ignore[arg-type]
        if isinstance(label, Literal) and label.language == "en":
            return str(label)
    return None


def _problem(loaded: Loaded, graph: Graph, node: URIRef, prop: URIRef | None, obj: object, message: str,
             check: str) -> Problem:
    return Problem(
        message,
        where=loaded.locator.locate(node, prop, obj),
        focus=curie(str(node)),
        label=_english_label(graph, node),
        path=curie(str(prop)) if prop is not None else None,
        check=check,
    )


# ---------------------------------------------------------------- one entity, one IRI


def _normalise(label: str) -> str:
    return " ".join(unicodedata.normalize("NFC", label).casefold().split())


def _retired(graph: Graph, node: URIRef) -> bool:
    return any(o.toPython() is True for o in graph.objects(node, OWL.deprecated) if isinstance(o, Literal))


def _told_apart(graph: Graph, a: URIRef, b: URIRef) -> bool:
    return (a, OWL.differentFrom, b) in graph or (b, OWL.differentFrom, a) in graph


def _position(loaded: Loaded, node: URIRef) -> tuple[int, int, str]:
    """Where a node's label is written, as a sort key: (file index, line, IRI)."""
    where = loaded.locator.locate(node, RDFS.label) or ""
    path, _, line = where.rpartition(":")
    order = {_display(loaded.project, f): i for i, f in enumerate(loaded.files)}
    return (order.get(path, len(order)), int(line) if line.isdigit() else 0, str(node))


def check_duplicate_entities(loaded: Loaded, union: Graph) -> list[Problem]:
    """Two live IRIs with one asserted kh: class and one English label are one entity minted twice."""
    by_key: dict[tuple[URIRef, str], list[URIRef]] = defaultdict(list)
    for node, cls in union.subject_objects(RDF.type):
        if not (isinstance(node, URIRef) and isinstance(cls, URIRef) and str(cls).startswith(str(KH))):
            continue
        if _retired(union, node):
            continue
        for label in union.objects(node, RDFS.label):
            if isinstance(label, Literal) and label.language == "en":
                by_key[(cls, _normalise(str(label)))].append(node)
    problems: list[Problem] = []
    reported: set[frozenset[URIRef]] = set()
    for (cls, _), nodes in sorted(by_key.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])):
        nodes = sorted(set(nodes), key=str)
        for i, first in enumerate(nodes):
            for second in nodes[i + 1:]:
                pair = frozenset((first, second))
                if pair in reported or _told_apart(union, first, second):
                    continue
                reported.add(pair)
                # blame the IRI written later in file order: usually the one just minted again
                older, newer = sorted((first, second), key=lambda n: _position(loaded, n))
                other = loaded.locator.locate(older, RDFS.label) or "?"
                problems.append(_problem(
                    loaded, union, newer, RDFS.label, None,
                    f"same English label and class ({curie(str(cls))}) as {curie(str(older))} ({other}): one "
                    f"entity with two IRIs? Keep one and retire the other with owl:deprecated true and "
                    f"dcterms:isReplacedBy, or say owl:differentFrom if they are two",
                    "duplicate",
                ))
    return problems


# ---------------------------------------------------------------- one commander at a time

_MIN = dt.date.min
_MAX = dt.date.max


def _as_date(value: object) -> dt.date | None:
    if not isinstance(value, Literal):
        return None
    python = value.toPython()
    if isinstance(python, dt.datetime):
        return python.date()
    if isinstance(python, dt.date):
        return python
    return None  # ill-typed: the shapes report it


def _first(dates: Iterable[dt.date | None], pick: Callable[[list[dt.date]], dt.date]) -> dt.date | None:
    found = [d for d in dates if d is not None]
    return pick(found) if found else None


def _period(graph: Graph, node: URIRef) -> tuple[dt.date, dt.date] | None:
    """The closed period an assignment covers, open where a bound is missing; None if it has no date at all."""
    def values(*props: URIRef) -> list[dt.date | None]:
        return [_as_date(o) for p in props for o in graph.objects(node, p)]

    begin = _first(values(KH.begin, KH.date, KH.earliest), min)
    end = _first(values(KH.end, KH.date, KH.latest), max)
    if begin is None and end is None:
        return None
    return (begin or _MIN, end or _MAX)


def _explained(graph: Graph, node: URIRef) -> bool:
    if any(True for _ in graph.objects(node, KH.editorialNote)):
        return True
    disputed = any(o.toPython() is True for o in graph.objects(node, KH.disputed) if isinstance(o, Literal))
    return disputed and any(True for _ in graph.objects(node, KH.disputeReason))


def _show(period: tuple[dt.date, dt.date]) -> str:
    begin = "…" if period[0] == _MIN else period[0].isoformat()
    end = "…" if period[1] == _MAX else period[1].isoformat()
    return f"{begin} to {end}"


def check_overlapping_commands(loaded: Loaded, union: Graph) -> list[Problem]:
    """Two people commanding one unit over overlapping periods, with no reason stated on either assignment."""
    by_unit: dict[URIRef, list[tuple[URIRef, URIRef, tuple[dt.date, dt.date]]]] = defaultdict(list)
    for node in set(union.subjects(RDF.type, KH.CommandAssignment)):
        if not isinstance(node, URIRef):
            continue
        period = _period(union, node)
        if period is None:
            continue
        for unit in union.objects(node, KH.commandedUnit):
            for commander in union.objects(node, KH.commander):
                if isinstance(unit, URIRef) and isinstance(commander, URIRef):
                    by_unit[unit].append((node, commander, period))
    problems: list[Problem] = []
    for unit in sorted(by_unit, key=str):
        tenures = sorted(by_unit[unit], key=lambda t: (t[2][0], str(t[0])))
        for i, (first, first_who, first_period) in enumerate(tenures):
            for second, second_who, second_period in tenures[i + 1:]:
                if first_who == second_who or first == second:
                    continue
                if second_period[0] > first_period[1] or first_period[0] > second_period[1]:
                    continue
                if _explained(union, first) or _explained(union, second):
                    continue
                unit_label = _english_label(union, unit)
                unit_text = curie(str(unit)) + (f' ("{unit_label}")' if unit_label else "")
                problems.append(_problem(
                    loaded, union, second, KH.commandedUnit, unit,
                    f"{_name(union, second_who)} commands {unit_text} from {_show(second_period)}, while "
                    f"{_name(union, first_who)} does ({curie(str(first))}, {_show(first_period)}): two "
                    f"commanders at once. State why with kh:editorialNote \"…\"@en on either assignment (or "
                    f"kh:disputed true with kh:disputeReason), or correct the dates",
                    "overlap",
                ))
    return problems


def _name(graph: Graph, node: URIRef) -> str:
    label = _english_label(graph, node)
    return f'{curie(str(node))} ("{label}")' if label else curie(str(node))


# ---------------------------------------------------------------- a label's language fits its script

_LABEL_PROPERTIES = (RDFS.label, SKOS.altLabel)


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


def check_label_languages(loaded: Loaded, union: Graph) -> list[Problem]:
    """A label tagged @en in Thai script (or @ru with no Cyrillic letter…) carries the wrong language tag."""
    problems: list[Problem] = []
    for prop in _LABEL_PROPERTIES:
        for node, label in sorted(union.subject_objects(prop), key=lambda t: (str(t[0]), str(t[1]))):
            if not (isinstance(node, URIRef) and isinstance(label, Literal) and label.language):
                continue
            lang = label.language.lower().split("-")[0]
            scripts = _scripts(str(label))
            wrong = None
            if lang == "en":
                foreign = sorted(_NOT_ENGLISH[s] for s in scripts & set(_NOT_ENGLISH))
                if foreign:
                    wrong = f"is tagged @en but written in {' and '.join(foreign)} script"
            elif lang in _NEEDS and scripts and _NEEDS[lang][0] not in scripts:
                wrong = f"is tagged @{lang} but has no {_NEEDS[lang][1]} letter"
            if wrong:
                problems.append(_problem(
                    loaded, union, node, prop, label,
                    f'"{label}"@{label.language} {wrong}: give it the language it is written in',
                    "language",
                ))
    return problems


CHECKS: list[Check] = [check_duplicate_entities, check_overlapping_commands, check_label_languages]


def run_all(loaded: Loaded, union: Graph) -> list[Problem]:
    problems: list[Problem] = []
    for check in CHECKS:
        problems += check(loaded, union)
    return problems

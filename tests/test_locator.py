"""Does a problem still point at the line where its statement is written, now that the locator searches each file's
whole text at once instead of line by line?"""

from __future__ import annotations

import random
from pathlib import Path

from khasan_kg.load import TripleLocator, _has_term, load
from khasan_kg.paths import Project

ROOT = Path(__file__).resolve().parent.parent


def line_by_line(locator: TripleLocator, subject: object, predicate: object = None, obj: object = None) -> str | None:
    """The locator as it was: every line of every file tested for the subject."""
    subject_forms = locator._forms(subject)
    detail_forms = locator._forms(predicate) + locator._forms(obj)
    fallback = None
    for path in locator.files:
        lines = locator._text(path)
        for i, line in enumerate(lines):
            if not any(_has_term(line, f) for f in subject_forms):
                continue
            if fallback is None:
                fallback = (path, i)
            if not detail_forms:
                return locator._where(path, i)
            for j in range(i, min(len(lines), i + 80)):
                if any(_has_term(lines[j], f) for f in detail_forms):
                    return locator._where(path, j)
                if lines[j].rstrip().endswith(" .") and j > i:
                    break
    return locator._where(*fallback) if fallback else None


def test_every_sampled_statement_of_the_real_graph_is_located_as_before() -> None:
    loaded = load(Project(ROOT))
    triples = sorted(loaded.union(), key=str)
    rng = random.Random(1938)
    sample = rng.sample(triples, 400)
    located = 0
    for s, p, o in sample:
        for args in ((s,), (s, p), (s, p, o), (s, None, o)):
            expected = line_by_line(loaded.locator, *args)
            assert loaded.locator.locate(*args) == expected, args
            located += expected is not None
    assert located > 1000, "most sampled statements should be found in the files"


def test_a_name_inside_a_longer_name_is_not_taken_for_it(tmp_path: Path) -> None:
    (tmp_path / "graph").mkdir()
    data = tmp_path / "graph" / "units.ttl"
    data.write_text("@prefix unit: <https://w3id.org/khasan/id/unit/> .\n"
                    "unit:a-b a unit:x .\n"
                    "unit:a a unit:y .\n", encoding="utf-8")
    locator = TripleLocator(Project(tmp_path), [data])
    from rdflib import URIRef

    assert locator.locate(URIRef("https://w3id.org/khasan/id/unit/a")) == "graph/units.ttl:3"
    assert locator.locate(URIRef("https://w3id.org/khasan/id/unit/a-b")) == "graph/units.ttl:2"

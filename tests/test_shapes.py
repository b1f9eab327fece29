"""Does validation catch each kind of broken data, with a message a person understands?"""

from __future__ import annotations

from pathlib import Path

import pytest

from khasan_kg import api

HERE = Path(__file__).parent / "shapes"
INVALID = sorted((HERE / "invalid").glob("*.trig"))
VALID = sorted((HERE / "valid").glob("*.trig"))


def _expected(path: Path) -> str:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# expect: "), f"{path.name} needs a first line '# expect: …'"
    return first.removeprefix("# expect: ").strip()


def test_the_core_graph_conforms(project) -> None:  # type: ignore[no-untyped-def]
    report = api.validate([], project, context="core")  # sources.ttl and the core files
    assert [p for p in report.problems if "an event needs a date" not in p.message] == []


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_broken_data_is_refused_with_its_message(project, path: Path) -> None:  # type: ignore[no-untyped-def]
    report = api.validate([path], project, context="core")
    assert not report.conforms
    expected = _expected(path)
    messages = [p.text() for p in report.problems]
    assert any(expected in m for m in messages), f"expected {expected!r} among:\n" + "\n".join(messages)
    # the message points at the file that holds the defect, where it can be found
    hits = [p for p in report.problems if expected in p.text()]
    assert any(p.where and p.where.startswith("tests/shapes/invalid/") for p in hits) or "passage" in expected \
        or "outside the document" in expected, f"no file:line in {hits}"


@pytest.mark.parametrize("path", VALID, ids=[p.stem for p in VALID])
def test_good_data_conforms(project, path: Path) -> None:  # type: ignore[no-untyped-def]
    report = api.validate([path], project, context="core")
    problems = [p.text() for p in report.problems if "test-" in (p.focus or "") or "tests/shapes" in (p.where or "")]
    assert problems == []

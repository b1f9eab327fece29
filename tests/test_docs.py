"""Does the README say what the code does: the query table current, the two commands there, CI running them?"""

from __future__ import annotations

from khasan_kg import docs

from .conftest import ROOT

BUILD_COMMAND = 'python3 -m venv .venv && . .venv/bin/activate && pip install -e . && khasan-kg build'
TEST_COMMAND = 'python3 -m venv .venv && . .venv/bin/activate && pip install -e ".[test]" && python -m pytest -q'


def test_the_readme_query_table_is_generated_from_the_query_headers(project) -> None:  # type: ignore[no-untyped-def]
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert docs.render_readme(text, project) == text, "run: python -m khasan_kg.docs"


def test_the_readme_gives_the_two_commands_and_ci_runs_the_test_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert BUILD_COMMAND in readme and TEST_COMMAND in readme
    assert TEST_COMMAND in (ROOT / ".ci" / "run").read_text(encoding="utf-8")

"""Does every named query give its expected answer on the real graph?

Each case is a named query with parameters; its expected rows live in tests/expected/<case>.csv and are compared
as a bag of rows (order matters only where the query orders, which the comparison of sorted rows ignores on
purpose: ties in ORDER BY are not stable across stores). Refresh them only on purpose: pytest --update-golden.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path

import pytest
from rdflib import BNode

from khasan_kg import queries
from khasan_kg.render import cell

EXPECTED = Path(__file__).parent / "expected"

CASES: list[tuple[str, str, dict[str, str]]] = [
    ("command-chain-32nd-rifle-division", "command-chain", {"unit": "32nd Rifle Division"}),
    ("command-chain-40th-rifle-division-on-1938-08-09", "command-chain",
     {"unit": "unit:su-40th-rifle-division", "date": "1938-08-09"}),
    ("order-of-battle-39th-rifle-corps", "order-of-battle", {"root": "39th Rifle Corps"}),
    ("order-of-battle-japan", "order-of-battle", {"root": "actor:japan"}),
    ("timeline-29-july-to-11-august-1938", "timeline", {"from": "1938-07-29", "to": "1938-08-11"}),
    ("timeline-all", "timeline", {}),
    ("participants-general-offensive", "participants", {"event": "event:soviet-general-offensive-1938-08-06"}),
    ("unit-events-39th-rifle-corps", "unit-events", {"unit": "unit:su-39th-rifle-corps"}),
    ("casualties-all", "casualties", {}),
    ("casualties-japan", "casualties", {"side": "actor:japan"}),
    ("commanders-all", "commanders", {}),
    ("place-events-zaozernaya", "place-events", {"place": "place:zaozernaya"}),
    ("conflicting-claims", "conflicting-claims", {}),
    ("statement-sources-lyushkov", "statement-sources", {"subject": "person:lyushkov"}),
    ("equipment-use-all", "equipment-use", {}),
    ("awards-all", "awards", {}),
]


def _cell(term) -> str:  # type: ignore[no-untyped-def]
    # a blank node's label depends on its content; a golden pins the row, not the label
    return "_:b" if isinstance(term, BNode) else cell(term)


def _rows(results) -> list[tuple[str, ...]]:  # type: ignore[no-untyped-def]
    return [tuple(_cell(v) for v in row) for row in results.rows]


def _write(path: Path, header: list[str], rows: list[tuple[str, ...]]) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(sorted(rows))
    path.write_text(buf.getvalue(), encoding="utf-8")


def _read(path: Path) -> tuple[list[str], list[tuple[str, ...]]]:
    reader = csv.reader(io.StringIO(path.read_text(encoding="utf-8")))
    header = next(reader)
    return header, [tuple(r) for r in reader]


def test_every_named_query_has_a_golden_case(project) -> None:  # type: ignore[no-untyped-def]
    covered = {query for _, query, _ in CASES}
    assert set(queries.library(project.queries_dir)) <= covered


def test_every_query_header_says_what_it_answers(project) -> None:  # type: ignore[no-untyped-def]
    for q in queries.library(project.queries_dir).values():
        assert q.title and q.question.endswith("?") and q.columns, q.name


@pytest.mark.parametrize("case,name,params", CASES, ids=[c[0] for c in CASES])
def test_named_query_matches_its_golden_result(store, project, update_golden, case, name, params) -> None:  # type: ignore[no-untyped-def]
    results = queries.run(store, project.queries_dir, name, params)
    rows = _rows(results)
    path = EXPECTED / f"{case}.csv"
    if update_golden or not path.exists():
        if not update_golden:
            pytest.fail(f"{path} is missing: run pytest --update-golden once and review it")
        _write(path, results.variables, rows)
    header, expected = _read(path)
    assert header == results.variables
    assert Counter(rows) == Counter(expected), f"{case}: results differ from {path.name}"
    assert rows, f"{case}: the query answered nothing"

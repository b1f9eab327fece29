"""Does the command line answer as a user expects: right exit codes, clear messages, real output?"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from khasan_kg.build import OUTPUT_FILES

from .conftest import ROOT


def khasan(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "khasan_kg", *args], cwd=cwd, capture_output=True, text=True,
                          env=full_env, timeout=300)


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "dist"
    run = khasan("build", "--out", str(out))
    assert run.returncode == 0, run.stderr
    assert "Validation: conforms" in run.stdout
    return out


def test_build_reports_triples_classes_and_phases(dist: Path) -> None:
    info = (dist / "build-info.json").read_text()
    assert '"parse"' in info and '"reason"' in info


def test_a_build_leaves_no_temporary_files_and_its_whole_report(tmp_path: Path) -> None:
    """The command ends without freeing its heap object by object (cli.exit_now): exit handlers must still run
    (the reasoner's temporary files go) and everything printed must reach the reader."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    run = khasan("build", "--out", str(tmp_path / "dist"), env={"TMPDIR": str(scratch)})
    assert run.returncode == 0, run.stderr
    assert all(f"dist/{name}" in run.stdout for name in OUTPUT_FILES if name.startswith("khasan")), run.stdout
    assert list(scratch.iterdir()) == []


def test_query_list_shows_every_named_query_with_its_question() -> None:
    run = khasan("query", "--list")
    assert run.returncode == 0
    for name in ("command-chain", "order-of-battle", "timeline", "participants", "unit-events", "casualties",
                 "commanders", "place-events", "conflicting-claims"):
        assert name in run.stdout


def test_command_chain_of_the_32nd_rifle_division_reaches_the_39th_corps_and_stern(dist: Path) -> None:
    run = khasan("query", "command-chain", "--param", "unit=32nd Rifle Division", "--dist", str(dist))
    assert run.returncode == 0, run.stderr
    assert "39th Rifle Corps" in run.stdout and "Shtern" in run.stdout


def test_query_accepts_a_curie_and_writes_csv_and_json(dist: Path) -> None:
    run = khasan("query", "command-chain", "--param", "unit=unit:su-32nd-rifle-division", "--format", "csv",
                 "--dist", str(dist))
    assert run.returncode == 0 and run.stdout.startswith("unit,date,depth")
    run = khasan("query", "participants", "--param", "event=event:soviet-general-offensive-1938-08-06",
                 "--format", "json", "--dist", str(dist))
    assert run.returncode == 0 and '"bindings"' in run.stdout


@pytest.mark.parametrize(
    "args,message",
    [
        (["query", "no-such-query"], "unknown query 'no-such-query'"),
        (["query", "command-chain"], "needs --param unit="),
        (["query", "command-chain", "--param", "colour=red"], "has no parameter 'colour'"),
        # names the Python API uses for its own arguments are the query's parameters too (hypothesis found these)
        (["query", "awards", "--param", "name="], "has no parameter 'name'"),
        (["query", "awards", "--param", "store=x"], "has no parameter 'store'"),
        (["query", "command-chain", "--param", "unit=32nd Rifle Divisoin"], "matches nothing. Close matches: 32nd Rifle Division"),
        (["query", "command-chain", "--param", "unit=unit:su-32nd-rifle-division", "--param", "date=August"],
         "is not a date"),
        (["query", "command-chain", "--param", "nonsense"], "--param wants KEY=VALUE"),
        (["sparql", "SELECT * WHERE { ?s ?p }"], "SPARQL syntax error"),
        (["describe", "Nobody At All"], "matches nothing"),
        (["validate", "no/such/file.ttl"], "no such file"),
    ],
)
def test_mistakes_get_a_clear_message_and_exit_2(dist: Path, args: list[str], message: str) -> None:
    extra = ["--dist", str(dist)] if args[0] in ("query", "sparql", "describe") and len(args) > 1 else []
    run = khasan(*args, *extra)
    assert run.returncode == 2, (run.stdout, run.stderr)
    assert message in run.stderr
    assert "Traceback" not in run.stderr


def test_a_label_matching_several_things_lists_them(dist: Path) -> None:
    # "commander" is the English label of both the office office:commander and the property kh:commander
    run = khasan("describe", "commander", "--dist", str(dist))
    assert run.returncode == 2
    assert "matches several things" in run.stderr
    assert "office:commander" in run.stderr and "kh:commander" in run.stderr


def test_a_turtle_syntax_error_names_file_and_line_and_keeps_the_previous_build(dist: Path, tmp_path: Path) -> None:
    root = tmp_path / "project"
    shutil.copytree(ROOT / "ontology", root / "ontology")
    shutil.copytree(ROOT / "graph", root / "graph")
    shutil.copytree(ROOT / "queries", root / "queries")
    bad = root / "graph" / "units" / "broken.trig"
    bad.write_text("@prefix kh: <https://w3id.org/khasan/ontology#> .\n\nkh:x kh:y kh:z ;\n  kh:w .\n", encoding="utf-8")
    out = tmp_path / "dist"
    shutil.copytree(dist, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    run = khasan("build", "--out", str(out), env={"KHASAN_KG_HOME": str(root)})
    assert run.returncode == 2
    assert "graph/units/broken.trig:4" in run.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_describe_shows_each_fact_with_its_passage(dist: Path) -> None:
    run = khasan("describe", "unit:su-39th-rifle-corps", "--dist", str(dist))
    assert run.returncode == 0
    assert "psg:" in run.stdout and "line " in run.stdout


def test_stats_counts_entities_per_class(dist: Path) -> None:
    run = khasan("stats", "--dist", str(dist))
    assert run.returncode == 0 and "kh:MilitaryUnit" in run.stdout


def test_validate_exits_1_on_violations_and_can_speak_json(tmp_path: Path) -> None:
    bad = ROOT / "tests" / "shapes" / "invalid" / "Event-no-date.trig"
    run = khasan("validate", str(bad), "--format", "json")
    assert run.returncode == 1
    assert '"conforms": false' in run.stdout

"""A historian's mistakes in graph/: is each one refused with a message that says where and what, and is the
last good build left alone?

Every file in tests/broken/ holds one defect, named by the file name; its header says what the message must
contain (``# expect: …``, one or more) and, where the message names a term rather than the file
(``# names: …``), which term. Each file is added to a small copy of the project (the ontology, a frozen copy of
graph/sources.ttl and the core files in tests/broken/good/graph/, tests/broken/good/base.trig) that conforms
without it.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from khasan_kg import cli

from .reliability_helpers import BROKEN, TEST_DIR, leftovers, make_root, need, run_cli, snapshot, source_text_path

CASES = sorted(BROKEN.glob("*.trig"))


def header(path: Path, key: str) -> list[str]:
    prefix = f"# {key}:"
    return [line[len(prefix):].strip() for line in path.read_text(encoding="utf-8").splitlines()
            if line.startswith(prefix)]


def run_in_process(root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                   *args: str) -> tuple[int, str]:
    """``khasan-kg ARGS`` in this process (much faster than a new one per case); exit code and all output."""
    monkeypatch.setenv("KHASAN_KG_HOME", str(root))
    source = source_text_path()
    if source is not None:
        monkeypatch.setenv("KHASAN_SOURCE", str(source))
    monkeypatch.chdir(root)
    code = cli.main(list(args))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.fixture(scope="module")
def good_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project copy that conforms, and its build in dist/ (made once, by the real command)."""
    need(source_text_path() is not None, "the source document is not at ../shared/sources/ nor at $KHASAN_SOURCE")
    root = make_root(tmp_path_factory.mktemp("good"))
    done = run_cli(root, "build", "--out", str(root / "dist"))
    assert done.returncode == 0, f"the good base does not build:\n{done.stdout}\n{done.stderr}"
    return root


def test_the_corpus_has_every_defect_the_issue_lists() -> None:
    names = {p.stem for p in CASES}
    for wanted in ("turtle-syntax-error", "unknown-prefix", "wrong-datatype", "misspelt-class", "misspelt-property",
                   "dangling-reference", "unit-hierarchy-cycle", "unit-under-lower-echelon", "duplicate-entity",
                   "label-without-language", "label-wrong-language", "label-two-english", "date-out-of-range",
                   "end-before-begin", "two-commanders-overlapping", "count-negative", "count-not-integer",
                   "passage-outside-document", "passage-not-matching-text", "figure-without-side",
                   "figure-without-source"):
        assert any(n.startswith(wanted) for n in names), f"tests/broken/ has no {wanted}*.trig"
    for case in CASES:
        assert header(case, "expect"), f"{case.name} says in no '# expect:' line what the message must contain"


def test_the_good_base_conforms(good_build: Path) -> None:
    done = run_cli(good_build, "validate")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Conforms" in done.stdout


def assert_clear_message(case: Path, code: int, output: str) -> None:
    assert code != 0, f"{case.name} was accepted:\n{output}"
    assert "Traceback" not in output, output
    for fragment in header(case, "expect"):
        assert fragment in output, f"{case.name}: the message does not say {fragment!r}:\n{output}"
    terms = header(case, "names")
    if terms:
        for term in terms:
            assert term in output, f"{case.name}: the message does not name {term}:\n{output}"
        return
    # the message must name this file and a line of it that holds data, not a comment or a prefix
    lines = case.read_text(encoding="utf-8").splitlines()
    found = re.findall(rf"graph/{TEST_DIR}/{re.escape(case.name)}:(\d+)", output)
    assert found, f"{case.name}: no message names the file and line:\n{output}"
    for number in found:
        assert 1 <= int(number) <= len(lines), (
            f"{case.name}: the message points at line {number}, beyond the file ({len(lines)} lines):\n{output}"
        )
        line = lines[int(number) - 1].strip()
        assert line and not line.startswith(("#", "@prefix")), f"{case.name}:{number} is not a data line: {line!r}"


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_validate_refuses_the_broken_file_saying_where_and_what(
    case: Path, good_build: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = make_root(tmp_path / "project", [case])
    code, output = run_in_process(root, monkeypatch, capsys, "validate")
    assert_clear_message(case, code, output)


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_build_refuses_the_broken_file_and_leaves_the_last_build_as_it_was(
    case: Path, good_build: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = make_root(tmp_path / "project", [case])
    shutil.copytree(good_build / "dist", root / "dist")  # copy2: bytes and times kept
    before = snapshot(root / "dist")
    code, output = run_in_process(root, monkeypatch, capsys, "build", "--out", str(root / "dist"))
    assert_clear_message(case, code, output)
    assert snapshot(root / "dist") == before, f"{case.name}: the failed build touched dist/"
    assert leftovers(root) == []


def test_the_real_command_exits_non_zero_naming_the_file(good_build: Path, tmp_path: Path) -> None:
    """The same, end to end, in a process of its own: the exit status a shell script or CI sees."""
    case = BROKEN / "two-commanders-overlapping.trig"
    root = make_root(tmp_path / "project", [case])
    done = run_cli(root, "validate")
    assert done.returncode == 1
    assert f"graph/{TEST_DIR}/{case.name}:" in done.stdout
    broken = BROKEN / "turtle-syntax-error.trig"
    root = make_root(tmp_path / "syntax", [broken])
    done = run_cli(root, "build", "--out", str(root / "dist"))
    assert done.returncode == 2
    assert f"graph/{TEST_DIR}/{broken.name}:" in done.stderr and "Traceback" not in done.stderr
    assert not (root / "dist").exists()


def test_a_reason_on_either_assignment_lets_two_commanders_overlap(tmp_path: Path) -> None:
    """The rule of checks.py, stated in the broken file's header: a kh:editorialNote on either assignment."""
    from khasan_kg.api import validate
    from khasan_kg.paths import Project

    case = BROKEN / "two-commanders-overlapping.trig"
    fixed = tmp_path / "two-commanders-explained.trig"
    fixed.write_text(
        case.read_text(encoding="utf-8").replace(
            'kh:begin "1938-08-01"^^xsd:date .',
            'kh:begin "1938-08-01"^^xsd:date ;\n    kh:editorialNote "Test: both held command, the source says."@en .',
        ),
        encoding="utf-8",
    )
    root = make_root(tmp_path / "project", [fixed])
    report = validate(project=Project(root))
    assert not [p for p in report.problems if p.check == "overlap"], report.text()


def test_two_iris_with_one_label_pass_once_told_apart(tmp_path: Path) -> None:
    from khasan_kg.api import validate
    from khasan_kg.paths import Project

    case = BROKEN / "duplicate-entity-two-iris.trig"
    fixed = tmp_path / "duplicate-told-apart.trig"
    fixed.write_text(
        case.read_text(encoding="utf-8").replace(
            'rdfs:label "39th rifle corps"@en .',
            'rdfs:label "39th rifle corps"@en ;\n    '
            "<http://www.w3.org/2002/07/owl#differentFrom> unit:su-39th-rifle-corps .",
        ),
        encoding="utf-8",
    )
    root = make_root(tmp_path / "project", [fixed])
    report = validate(project=Project(root))
    assert not [p for p in report.problems if p.check == "duplicate"], report.text()

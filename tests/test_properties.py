"""Whatever a user types at the command line — Thai labels, odd characters, half-written CURIEs, bad dates — does
khasan-kg answer with a result or with one clear message and exit status 2, and never with a Python traceback?

Property-based (hypothesis): the CLI runs in this process against a persistent store built once from the small
project copy (see reliability_helpers), with the live queries/ folder.
"""

from __future__ import annotations

import contextlib
import io
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from khasan_kg import cli
from khasan_kg.namespaces import PREFIXES, expand
from khasan_kg.queries import library

from .reliability_helpers import REPO, make_root, run_cli

QUERIES = library(REPO / "queries")
PARAM_NAMES = sorted({p.name for q in QUERIES.values() for p in q.params})
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Text as users paste it: any printable character (no NUL: a shell cannot pass one), Thai above all.
ANY_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40)
THAI = st.text(st.characters(min_codepoint=0x0E01, max_codepoint=0x0E5B), min_size=1, max_size=20)
MALFORMED_CURIES = st.one_of(
    st.builds(lambda p, local: f"{p}:{local}", st.sampled_from([*PREFIXES, "", "foo", "UNIT", "psg"]), ANY_TEXT),
    st.builds(lambda s: f"<{s}>", ANY_TEXT),
    st.builds(lambda s: f"http://{s}", ANY_TEXT),
    st.sampled_from(["unit:", ":", "<>", "<<unit:su-39th-rifle-corps>>", "unit:su-39th-rifle-corps>", "unit:a b",
                     "urn:", "kh:Division", "psg:1-2", "<javascript:alert(1)>", "unit:%00", "unit:ก", " ", ""]),
)
VALUES = st.one_of(ANY_TEXT, THAI, MALFORMED_CURIES,
                   st.sampled_from(["39th Rifle Corps", "กองพล", "1938-08-06", "1938-02-30", "06/08/1938", "-1"]))


@pytest.fixture(scope="module")
def store_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_root(tmp_path_factory.mktemp("props"))
    shutil.copytree(REPO / "queries", root / "queries")
    done = run_cli(root, "build", "--out", str(root / "dist"), "--store", str(root / "store"))
    assert done.returncode == 0, done.stdout + done.stderr
    return root


def khasan(root: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str, str]:
    """Run the CLI in this process; any exception other than the exit escapes and fails the test."""
    monkeypatch.setenv("KHASAN_KG_HOME", str(root))
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main(list(args))
        except SystemExit as exc:  # argparse's own errors
            code = exc.code if isinstance(exc.code, int) else 2
    return code, out.getvalue(), err.getvalue()


def assert_answered(code: int, out: str, err: str, args: tuple[str, ...]) -> None:
    assert "Traceback" not in out + err, f"khasan-kg {args!r} crashed:\n{err}"
    assert code in (0, 2), f"khasan-kg {args!r} exited {code}:\n{err}"
    if code == 2:
        assert err.strip(), f"khasan-kg {args!r} failed without saying why"
        assert err.startswith(("khasan-kg: ", "usage: ")), f"khasan-kg {args!r}: not a message for people:\n{err}"
    else:
        assert out.strip(), f"khasan-kg {args!r} succeeded but printed nothing"


@SETTINGS
@given(name=st.sampled_from(sorted(QUERIES)), key=st.one_of(st.sampled_from(PARAM_NAMES), ANY_TEXT), value=VALUES)
def test_any_parameter_value_gets_a_result_or_a_clear_message(store_root: Path, monkeypatch: pytest.MonkeyPatch,
                                                               name: str, key: str, value: str) -> None:
    args = ("query", name, "--store", str(store_root / "store"), f"--param={key}={value}")
    assert_answered(*khasan(store_root, monkeypatch, *args), args)


@SETTINGS
@given(value=MALFORMED_CURIES)
def test_a_malformed_curie_for_a_unit_is_refused_with_exit_2(store_root: Path, monkeypatch: pytest.MonkeyPatch,
                                                            value: str) -> None:
    """An IRI parameter that is no IRI (spaces, brackets, an empty name) must not reach the store as one."""
    assume(value.strip())
    args = ("query", "command-chain", "--store", str(store_root / "store"), f"--param=unit={value}")
    code, out, err = khasan(store_root, monkeypatch, *args)
    assert_answered(code, out, err, args)
    iri = expand(value)
    if iri is not None and (not iri or any(ch in iri for ch in ' <>"{}|\\^`') or any(ch.isspace() for ch in iri)):
        assert code == 2, f"{value!r} is no IRI, yet the query ran:\n{out}"


@SETTINGS
@given(term=st.one_of(VALUES, THAI))
def test_describe_anything_gets_a_description_or_a_clear_message(store_root: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 term: str) -> None:
    args = ("describe", term, "--store", str(store_root / "store"))
    assert_answered(*khasan(store_root, monkeypatch, *args), args)


@SETTINGS
@given(text=st.one_of(ANY_TEXT, st.builds(lambda s: f"SELECT * WHERE {{ ?s ?p {s} }}", ANY_TEXT)))
def test_any_sparql_text_gets_results_or_the_parsers_message(store_root: Path, monkeypatch: pytest.MonkeyPatch,
                                                             text: str) -> None:
    assume(not text.startswith(("@", "-")))  # @FILE reads a file; a leading dash is an option to argparse
    args = ("sparql", text, "--store", str(store_root / "store"), "--format", "json")
    assert_answered(*khasan(store_root, monkeypatch, *args), args)


@SETTINGS
@given(pair=ANY_TEXT.filter(lambda s: "=" not in s or s.startswith("=")))
def test_a_param_without_key_or_equals_sign_says_what_is_wanted(store_root: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 pair: str) -> None:
    args = ("query", "command-chain", "--store", str(store_root / "store"), f"--param={pair}")
    code, out, err = khasan(store_root, monkeypatch, *args)
    assert_answered(code, out, err, args)
    assert code == 2 and "KEY=VALUE" in err


@pytest.mark.parametrize("value", ["กองพลปืนไรเฟิลที่ 39", "Ōshima", "unit:su-39th-rifle-corps\u200b", "39th Rifle Corps\n",
                                   "ด่านชายแดน' OR 1=1 --", "} SELECT * {", "1938-08-06T25:00"])
def test_thai_and_odd_labels_for_a_unit(store_root: Path, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    args = ("query", "command-chain", "--store", str(store_root / "store"), f"--param=unit={value}")
    assert_answered(*khasan(store_root, monkeypatch, *args), args)


def test_a_known_unit_by_its_english_label_is_found(store_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The properties above could pass on a CLI that refuses everything: it does answer a good request."""
    args = ("query", "command-chain", "--store", str(store_root / "store"), "--param=unit=39th Rifle Corps",
            "--format", "csv")
    code, out, err = khasan(store_root, monkeypatch, *args)
    assert code == 0, err
    assert "su-39th-rifle-corps" in out

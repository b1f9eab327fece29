"""Shared by the reliability tests: a throw-away copy of the project, the CLI run against it, snapshots of a folder.

A copy holds the ontology, graph/sources.ttl, every graph/*/core.trig and tests/broken/good/base.trig (what the
broken files lean on), plus whatever files a test adds under graph/zz-test/. KHASAN_KG_HOME points the CLI at it,
KHASAN_SOURCE at the source text.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BROKEN = REPO / "tests" / "broken"
GOOD_BASE = BROKEN / "good" / "base.trig"
TEST_DIR = "zz-test"  # sorts after every real folder, so the core files load first


def source_text_path() -> Path | None:
    """The source document, where the project finds it ($KHASAN_SOURCE or ../shared/sources/)."""
    from khasan_kg.paths import Project

    return Project(REPO).source_document()


def need(condition: bool, reason: str) -> None:
    """Skip when something outside the repo is missing, but fail under CI, where it must be there."""
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this is an error, not a skip)")
    pytest.skip(reason)


def make_root(dest: Path, extra: list[Path] | tuple[Path, ...] = ()) -> Path:
    """A minimal project copy at ``dest``: ontology, sources, core files, the good base and ``extra`` files."""
    (dest / "graph" / TEST_DIR).mkdir(parents=True, exist_ok=True)
    shutil.copytree(REPO / "ontology", dest / "ontology", dirs_exist_ok=True)
    shutil.copy2(REPO / "graph" / "sources.ttl", dest / "graph" / "sources.ttl")
    for core in sorted((REPO / "graph").glob("*/core.trig")):
        (dest / "graph" / core.parent.name).mkdir(exist_ok=True)
        shutil.copy2(core, dest / "graph" / core.parent.name / "core.trig")
    for path in (GOOD_BASE, *extra):
        shutil.copy2(path, dest / "graph" / TEST_DIR / path.name)
    return dest


def env_for(root: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["KHASAN_KG_HOME"] = str(root)
    source = source_text_path()
    if source is not None:
        env["KHASAN_SOURCE"] = str(source)
    return env


def run_cli(root: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``khasan-kg ARGS`` in a fresh process, against the project copy at ``root``."""
    return subprocess.run(
        [sys.executable, "-m", "khasan_kg", *args],
        cwd=root,
        env=env_for(root),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def snapshot(folder: Path) -> dict[str, tuple[str, int, int]]:
    """Every file under ``folder``: its SHA-256, size and modification time (ns)."""
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            st = path.stat()
            out[path.relative_to(folder).as_posix()] = (
                hashlib.sha256(path.read_bytes()).hexdigest(), st.st_size, st.st_mtime_ns
            )
    return out


def leftovers(parent: Path) -> list[str]:
    """Staging or old folders a write left beside its target (there should be none)."""
    return sorted(p.name for p in parent.iterdir() if ".staging-" in p.name or ".old-" in p.name)

"""Shared by the reliability tests: a throw-away copy of the project, the CLI run against it, snapshots of a folder.

A copy holds the live ontology/ and a frozen minimal graph: tests/broken/good/graph/ (graph/sources.ttl and the
graph/*/core.trig files as of commit 8be0d72) plus tests/broken/good/base.trig (what the broken files lean on),
plus whatever files a test adds under graph/zz-test/. The graph is frozen because the live core files are edited
while curators work and do not conform on their own (their events are dated in the part files); the ontology is
live so that the tests follow it. KHASAN_KG_HOME points the CLI at the copy, KHASAN_SOURCE at the source text.
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
GOOD_GRAPH = BROKEN / "good" / "graph"
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
    """A minimal project copy at ``dest``: ontology, the frozen graph, the good base and ``extra`` files."""
    shutil.copytree(REPO / "ontology", dest / "ontology", dirs_exist_ok=True)
    shutil.copytree(GOOD_GRAPH, dest / "graph", dirs_exist_ok=True)
    (dest / "graph" / TEST_DIR).mkdir(parents=True, exist_ok=True)
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


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def served_copy(dest: Path) -> Path:
    """A project copy with the live queries/, built into dist/ and a persistent store/ (for ``serve --store``)."""
    root = make_root(dest)
    shutil.copytree(REPO / "queries", root / "queries")
    done = run_cli(root, "build", "--out", str(root / "dist"), "--store", str(root / "store"))
    assert done.returncode == 0, done.stdout + done.stderr
    return root


class Server:
    """``khasan-kg serve --store`` on 127.0.0.1 in a process group of its own (so its query workers go with it)."""

    def __init__(self, root: Path, timeout: float = 2.0, workers: int = 2) -> None:
        import time
        import urllib.request

        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = root / f"serve-{self.port}.log"
        env = {**env_for(root), "KHASAN_KG_WORKERS": str(workers)}
        with open(self.log, "w") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "khasan_kg", "serve", "--store", str(root / "store"), "--port", str(self.port),
                 "--timeout", str(timeout)],
                cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(self.base + "/", timeout=5) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the server did not start:\n{self.log.read_text()}")
            time.sleep(0.3)

    def stop(self) -> None:
        import signal

        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)  # the group this test started, by its id
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)

"""Nothing lost: when a build or a store write fails, or the process is killed half way, is the previous output
still there, whole? And does a persistent store opened by a process that is killed still answer as before?

Faults are injected in a child process (a writer that raises, a writer that hangs until killed, a kill right after
the old output is moved aside); the parent checks what is left on disk.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from khasan_kg import api
from khasan_kg.build import OUTPUT_FILES
from khasan_kg.paths import Project
from khasan_kg.store import GraphStore

from .reliability_helpers import env_for, leftovers, make_root, snapshot

# The child: build the project copy at argv[1] into argv[1]/dist (or a store at argv[1]/store), with a fault.
CHILD = r"""
import os, signal, sys, time
from pathlib import Path
root, target, fault = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
from khasan_kg import api, build, export, persist
from khasan_kg.paths import Project
out = root / ("dist" if target == "dist" else "store")
marker = root / "marker"

def hang(real):
    def slow(*args, **kwargs):
        value = real(*args, **kwargs)
        marker.write_text("in the middle of writing")
        time.sleep(300)
        return value
    return slow

if fault == "hang-in-writer":
    build.write_jsonld_file = hang(build.write_jsonld_file)  # a dist/ file half way through the writers
    build.Build.nquads = hang(build.Build.nquads)  # the store half loaded
elif fault == "die-after-moving-the-old-output":
    real_replace = os.replace
    def replace(src, dst, *args, **kwargs):
        real_replace(src, dst, *args, **kwargs)
        if Path(src).resolve() == out.resolve():  # the previous output has just been moved aside
            os.kill(os.getpid(), signal.SIGKILL)
    os.replace = replace
elif fault == "raise-in-writer":
    def boom(*args, **kwargs):
        raise OSError(28, "No space left on device (injected)")
    build.write_jsonld_file = boom
    build.Build.nquads = boom
result = api.build(root / "dist" if target == "dist" else None, Project(root),
                   store=out if target == "store" else None)
print("done")
"""


def child(root: Path, target: str, fault: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", CHILD, str(root), target, fault], cwd=root, env=env_for(root),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture(scope="module")
def first_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project copy with a good dist/ and store/, as a previous run left them."""
    root = make_root(tmp_path_factory.mktemp("previous"))
    api.build(root / "dist", Project(root), store=root / "store")
    return root


@pytest.fixture
def project_copy(first_build: Path, tmp_path: Path) -> Path:
    root = make_root(tmp_path / "project")

    shutil.copytree(first_build / "dist", root / "dist")
    shutil.copytree(first_build / "store", root / "store")
    # a change since the last build, so that a new build would differ
    (root / "graph" / "zz-test" / "extra.trig").write_text(
        "@prefix kh: <https://w3id.org/khasan/ontology#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "<https://w3id.org/khasan/id/place/test-extra-height> a kh:Height ;\n"
        '    rdfs:label "Test height added since the last build"@en .\n',
        encoding="utf-8",
    )
    return root


def wait_for(path: Path, proc: subprocess.Popen[str], seconds: float = 240) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"the child ended before the fault: {proc.communicate()}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("the child never reached the fault")
        time.sleep(0.05)


def answers(store_path: Path) -> list[tuple[str, ...]]:
    store = GraphStore.open(store_path)
    rows = store.select("SELECT ?s ?label WHERE { ?s a ?c ; <http://www.w3.org/2000/01/rdf-schema#label> ?label "
                        "FILTER(LANG(?label) = 'en') } ORDER BY ?s ?label").rows
    count = len(store)
    del store
    return [(str(s), str(label)) for s, label in rows] + [("quads", str(count))]


def is_complete_build(dist: Path) -> bool:
    names = {p.name for p in dist.iterdir()}
    if not set(OUTPUT_FILES) <= names:
        return False
    info = json.loads((dist / "build-info.json").read_text(encoding="utf-8"))
    return bool(info.get("triples"))


# ---------------------------------------------------------------- dist/


def test_a_writer_that_fails_leaves_the_previous_build(project_copy: Path) -> None:
    before = snapshot(project_copy / "dist")
    proc = child(project_copy, "dist", "raise-in-writer")
    out, err = proc.communicate(timeout=300)
    assert proc.returncode != 0 and "No space left on device" in err
    assert snapshot(project_copy / "dist") == before
    assert leftovers(project_copy) == [], "the failed build left its staging folder behind"


def test_a_build_killed_while_writing_leaves_the_previous_build(project_copy: Path) -> None:
    before = snapshot(project_copy / "dist")
    proc = child(project_copy, "dist", "hang-in-writer")
    wait_for(project_copy / "marker", proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert snapshot(project_copy / "dist") == before
    # the next build goes through, and does not trip over what the killed one left
    result = api.build(project_copy / "dist", Project(project_copy))
    assert snapshot(project_copy / "dist") != before and is_complete_build(project_copy / "dist")
    assert len(result.asserted) > 0
    assert leftovers(project_copy) == [], "the killed build's staging folder was never cleared"


def test_a_build_killed_while_swapping_folders_leaves_a_whole_build(project_copy: Path) -> None:
    """The one moment a swap by two renames has no dist/ at all: after the old one is moved aside."""
    before = snapshot(project_copy / "dist")
    proc = child(project_copy, "dist", "die-after-moving-the-old-output")
    proc.communicate(timeout=300)
    dist = project_copy / "dist"
    left = sorted(p.name for p in project_copy.iterdir())
    assert dist.is_dir(), f"dist/ is gone after a kill during the swap; left: {left}"
    assert snapshot(dist) == before or is_complete_build(dist)


# ---------------------------------------------------------------- the persistent store (build --store)


def test_a_store_write_that_fails_leaves_the_previous_store(project_copy: Path) -> None:
    expected = answers(project_copy / "store")
    proc = child(project_copy, "store", "raise-in-writer")
    _, err = proc.communicate(timeout=300)
    assert proc.returncode != 0 and "No space left on device" in err
    assert answers(project_copy / "store") == expected
    assert leftovers(project_copy) == []


def test_a_store_write_killed_half_way_leaves_the_previous_store(project_copy: Path) -> None:
    expected = answers(project_copy / "store")
    proc = child(project_copy, "store", "hang-in-writer")
    wait_for(project_copy / "marker", proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert answers(project_copy / "store") == expected
    api.build(None, Project(project_copy), store=project_copy / "store")
    assert answers(project_copy / "store") != expected  # the next write goes through
    assert leftovers(project_copy) == []


def test_a_store_write_killed_while_swapping_leaves_a_whole_store(project_copy: Path) -> None:
    expected = answers(project_copy / "store")
    proc = child(project_copy, "store", "die-after-moving-the-old-output")
    proc.communicate(timeout=300)
    assert (project_copy / "store").is_dir(), "the store is gone after a kill during the swap"
    after = answers(project_copy / "store")
    added = ("https://w3id.org/khasan/id/place/test-extra-height", "Test height added since the last build")
    assert after == expected or added in after  # the old store whole, or the new one whole


READER = r"""
import sys
import pyoxigraph as ox
path, mode = sys.argv[1], sys.argv[2]
store = ox.Store.read_only(path) if mode == "read-only" else ox.Store(path)
print("open", flush=True)
while True:  # query until killed
    list(store.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"))
"""


@pytest.mark.parametrize("mode", ["read-only", "read-write"])
def test_the_store_answers_the_same_after_a_process_using_it_is_killed(first_build: Path, tmp_path: Path,
                                                                       mode: str) -> None:
    store_path = tmp_path / "store"
    shutil.copytree(first_build / "store", store_path)
    expected = answers(store_path)
    proc = subprocess.Popen([sys.executable, "-c", READER, str(store_path), mode], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "open"
    time.sleep(0.3)  # mid-query
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert answers(store_path) == expected  # reopened read-only
    writable = GraphStore.open(store_path, read_only=False)  # and the lock the dead process held is free
    assert len(writable) == int(expected[-1][1])


def test_without_an_atomic_exchange_a_kill_mid_swap_is_repaired_by_the_next_run(project_copy: Path) -> None:
    """Where renameat2 is missing (not Linux), the swap takes two renames; the next run puts the old folder back."""
    from khasan_kg import export

    before = snapshot(project_copy / "dist")
    script = CHILD.replace("result = api.build(", "export._exchange = lambda a, b: False\nresult = api.build(")
    proc = subprocess.run([sys.executable, "-c", script, str(project_copy), "dist",
                           "die-after-moving-the-old-output"], cwd=project_copy, env=env_for(project_copy),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL
    assert not (project_copy / "dist").exists()  # the moment this test is about
    export.clear_stale(project_copy / "dist")  # what the next build does first
    assert snapshot(project_copy / "dist") == before
    assert leftovers(project_copy) == []


def test_temporary_files_a_killed_build_left_are_removed_by_the_next_one(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The reasoner's entailments wait in a temporary folder (700 MB at 1M); a build killed before it read them
    cannot remove it, so the next build does, and leaves those of builds still running alone."""
    import tempfile

    from khasan_kg.export import temporary_dir

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    killed = tmp_path / f"khasan-kg-entailments-{gone.stdout.strip()}-abc"
    killed.mkdir()
    (killed / "types.nt").write_text("<a> <b> <c> .\n")
    running = tmp_path / f"khasan-kg-entailments-{os.getppid()}-def"
    running.mkdir()
    other = tmp_path / f"khasan-kg-something-{gone.stdout.strip()}-ghi"
    other.mkdir()
    fresh = temporary_dir("entailments")
    assert fresh.is_dir() and fresh.name.startswith(f"khasan-kg-entailments-{os.getpid()}-")
    assert not killed.exists()
    assert running.is_dir() and other.is_dir()

"""python -m benchmarks [--sizes real,10000,100000,1000000] [--plain-cap N] [--rdflib-cap N] [--rdflib-limit S]

Prints, for each size, the build time by phase and peak memory of the fast path beside the plain pipeline
(reference=True: owlrl's full closure, pySHACL with every constraint), and named-query latencies in Oxigraph
beside rdflib's Memory store, as ratios measured in the same run. Each build runs in a child process so that its
peak memory (ru_maxrss) is its own.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from .generate import ROOT, make_project

WORK = Path("/tmp/khasan-bench")


def _child(project: str, reference: bool) -> None:
    from khasan_kg.build import run
    from khasan_kg.paths import Project

    t0 = time.perf_counter()
    build = run(Project(Path(project)), reference=reference)
    t1 = time.perf_counter()
    out = Path(project) / ("out-ref" if reference else "out")
    if reference:
        _write_plain(build, out)
    else:
        build.write(out)
    timings = dict(build.timings, export=time.perf_counter() - t1, total=time.perf_counter() - t0)
    # the file writers' own ru_maxrss is no use: a child counts its parent's pages until it runs its program
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"timings": timings, "peak_mib": peak, "triples": build.triple_count,
                      "inferred": build.inferred_count}))
    from khasan_kg.cli import exit_now

    exit_now(0)  # as the khasan-kg command ends


def _write_plain(build, out: Path) -> None:  # type: ignore[no-untyped-def]
    """The same five files written the plain way: rdflib's serializers (JSON-LD compacted with our context)."""
    from khasan_kg.export import load_context

    out.mkdir(parents=True, exist_ok=True)
    asserted, inferred = build.asserted, build.with_inferred
    asserted.serialize(out / "khasan.ttl", format="turtle")
    inferred.serialize(out / "khasan-inferred.ttl", format="turtle")
    asserted.serialize(out / "khasan.nt", format="nt")
    asserted.serialize(out / "khasan.jsonld", format="json-ld", context=load_context(), auto_compact=True)
    build.dataset().serialize(out / "khasan.trig", format="trig")


def _measure_build(project: Path, reference: bool, timeout: float) -> dict | None:  # type: ignore[type-arg]
    """One build in a child process: its timings, its own peak memory, and the peak of its whole process tree
    (the build and the processes that write its files beside it), sampled every 0.1 s."""
    cmd = [sys.executable, "-m", "benchmarks", "--child", str(project)] + (["--reference"] if reference else [])
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    tree_peak = [0.0]

    def sample() -> None:
        while proc.poll() is None:
            tree_peak[0] = max(tree_peak[0], _tree_rss_mib(proc.pid))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return None
    sampler.join()
    if proc.returncode != 0:
        raise subprocess.CalledProcessError(proc.returncode, cmd, out, err)
    measured = json.loads(out.strip().splitlines()[-1])
    measured["wall"] = time.perf_counter() - t0  # process start to exit: interpreter, imports, build, files
    # at least the build's own peak: sampling can miss a short one, and without /proc it sees nothing
    measured["tree_peak_mib"] = max(tree_peak[0], measured["peak_mib"])
    return measured


def _tree_rss_mib(pid: int) -> float:
    """Resident memory of a process and all its descendants, now (Linux /proc; 0 elsewhere)."""
    total_kib, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/status", encoding="ascii", errors="replace") as status:
                total_kib += next((int(line.split()[1]) for line in status if line.startswith("VmRSS:")), 0)
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children", encoding="ascii") as children:
                    todo += [int(child) for child in children.read().split()]
        except (OSError, ValueError):  # gone meanwhile, or no /proc
            continue
    return total_kib / 1024


def _latencies(fn, runs: int = 20) -> tuple[float, float, float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    ordered = sorted(times[1:])
    return times[0], statistics.median(ordered), ordered[int(0.95 * (len(ordered) - 1))]


def _query_table(project: Path, params: dict[str, dict[str, str]], rdflib_runs: int,
                 rdflib_limit: float = 120.0, skip: set[str] | None = None) -> list[str]:
    from rdflib import Dataset

    from khasan_kg.queries import bind_params, library
    from khasan_kg.store import GraphStore

    trig = project / "out" / "khasan.trig"
    store = GraphStore.from_trig(trig)
    memory = Dataset(default_union=True)  # rdflib's Memory store, the default graph being the union
    if rdflib_runs:
        memory.parse(trig, format="trig")
    rows = []
    for name, query in sorted(library(project / "queries").items()):
        if name in (skip or set()):
            rows.append(f"| {name} | not timed (--skip-queries) | | | | |")
            continue
        bindings = bind_params(store, query, params.get(name, {}))
        t0 = time.perf_counter()
        n = len(store.select(query.text, bindings))
        slow = time.perf_counter() - t0 > 1.0  # a query that takes seconds is timed 5 times, not 20
        first, p50, p95 = _latencies(lambda q=query, b=bindings: store.select(q.text, b), 5 if slow else 20)
        if rdflib_runs:
            r50, note = _rdflib_p50(memory, query, bindings, rdflib_runs, rdflib_limit)
            if r50:
                ratio = f"{_times(r50 / p50)} ({r50:.1f} ms{note})"
            elif note.startswith("rdflib stopped"):
                ratio = f"> {_times(rdflib_limit / p50 * 1000)} ({note})"
            else:
                ratio = note
        else:
            ratio = "skipped"
        rows.append(f"| {name} | {n} | {first:.2f} | {p50:.2f} | {p95:.2f} | {ratio} |")
    return rows


def _times(ratio: float) -> str:
    """A ratio as the table prints it: a decimal below 100×, so that 9.8× does not read as 10×."""
    return f"{ratio:.1f}×" if ratio < 100 else f"{ratio:.0f}×"


def _rdflib_p50(memory, query, bindings, runs: int, limit: float) -> tuple[float | None, str]:  # type: ignore[no-untyped-def]
    """rdflib's median over ``runs`` (one run if it takes over 2 s), in a forked child stopped after ``limit``
    seconds (rdflib's engine cannot be cancelled)."""
    import multiprocessing as mp

    def child(conn) -> None:  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        list(memory.query(query.text, initBindings=bindings))
        once = (time.perf_counter() - t0) * 1000
        if once > 2000:
            conn.send((once, ", one run"))
            return
        _, r50, _ = _latencies(lambda: list(memory.query(query.text, initBindings=bindings)), runs)
        conn.send((r50, ""))

    ctx = mp.get_context("fork")
    parent, conn = ctx.Pipe()
    proc = ctx.Process(target=child, args=(conn,))
    proc.start()
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:  # a child that dies sends nothing: do not wait the whole limit for it
        if parent.poll(min(1.0, max(0.0, deadline - time.monotonic()))):
            result = parent.recv()
            proc.join()
            return result
        if not proc.is_alive():
            return None, f"rdflib's run failed (exit code {proc.exitcode})"
    proc.kill()
    proc.join()
    return None, f"rdflib stopped after {limit:.0f} s"


def _params(samples: dict[str, str]) -> dict[str, dict[str, str]]:
    unit = samples.get("unit", "")
    battalion = unit.rsplit("-", 1)[0]
    event = battalion.replace("unit:", "event:")
    return {
        "command-chain": {"unit": unit, "date": "1938-07-20"},
        "order-of-battle": {"root": samples.get("root", "")},
        "participants": {"event": event},
        "place-events": {"place": event.replace("event:", "place:")},
        "statement-sources": {"subject": samples.get("root", "")},
        "unit-events": {"unit": samples.get("root", "")},
    }


REAL_PARAMS = {
    "command-chain": {"unit": "unit:su-40th-rifle-division"},
    "order-of-battle": {"root": "actor:ussr"},
    "participants": {"event": "event:battle-of-lake-khasan"},
    "place-events": {"place": "place:lake-khasan"},
    "statement-sources": {"subject": "event:battle-of-lake-khasan"},
    "unit-events": {"unit": "unit:su-40th-rifle-division"},
}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--sizes", default="real,10000,100000,1000000")
    parser.add_argument("--plain-cap", type=int, default=100000, help="largest size the plain pipeline runs at")
    parser.add_argument("--plain-timeout", type=float, default=900)
    parser.add_argument("--rdflib-cap", type=int, default=100000,
                        help="largest size whose named queries are also timed in rdflib's Memory store")
    parser.add_argument("--rdflib-limit", type=float, default=120.0,
                        help="seconds an rdflib query may run before it is stopped")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "RESULTS.md")
    parser.add_argument("--skip-queries", default="", help="named queries not to time (comma-separated)")
    parser.add_argument("--child")
    parser.add_argument("--reference", action="store_true")
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.reference)
        return
    lines = [f"Measured {time.strftime('%Y-%m-%d')} on {platform.processor() or platform.machine()}, "
             f"{_cores()} cores, {_memory_gib():.0f} GiB, Python {platform.python_version()}, "
             f"{_versions()}.", ""]
    print("\n".join(lines), flush=True)
    totals: dict[str, tuple[int, float, float]] = {}
    for size in args.sizes.split(","):
        if size == "real":
            project, _samples, params = ROOT, {}, REAL_PARAMS
        else:
            project = WORK / size
            generated = make_project(project, int(size))
            _samples, params = generated.samples, _params(generated.samples)
        fast = _measure_build(project, False, 3600)
        assert fast is not None
        n = int(size) if size != "real" else fast.get("triples", 0)
        plain = _measure_build(project, True, args.plain_timeout) if n <= args.plain_cap else None
        section = _build_rows(size, fast, plain, n)
        section += ["", "| query | rows | first ms | p50 ms | p95 ms | rdflib Memory p50 / Oxigraph p50 |",
                    "| --- | --- | --- | --- | --- | --- |"]
        section += _query_table(project, params, 5 if n <= args.rdflib_cap else 0, args.rdflib_limit,
                                set(filter(None, args.skip_queries.split(","))))
        section.append("")
        if size != "real":
            totals[size] = (fast["triples"], fast["timings"]["total"], fast["tree_peak_mib"])
        print("\n".join(section), flush=True)
        lines += section
        args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    growth = _growth(totals)
    print("\n".join(growth), flush=True)
    args.out.write_text("\n".join(lines + growth) + "\n", encoding="utf-8")


def _growth(totals: dict[str, tuple[int, float, float]]) -> list[str]:
    """How build time grows with size, beside what n·log n would allow."""
    import math

    sizes = sorted(totals.values())
    if len(sizes) < 2:
        return []
    out = ["### growth of the whole build", "", "| from | to | triples × | time × | n·log n allows × |",
           "| --- | --- | --- | --- | --- |"]
    for (n0, t0, _), (n1, t1, _) in zip(sizes, sizes[1:], strict=False):
        allowed = (n1 * math.log(n1)) / (n0 * math.log(n0))
        out.append(f"| {n0} | {n1} | {n1 / n0:.1f} | {t1 / t0:.1f} | {allowed:.1f} |")
    (n0, t0, _), (n1, t1, _) = sizes[0], sizes[-1]
    allowed = (n1 * math.log(n1)) / (n0 * math.log(n0))
    out += [f"| {n0} | {n1} | {n1 / n0:.1f} | {t1 / t0:.1f} | {allowed:.1f} |", ""]
    return out


def _memory_gib() -> float:
    import os

    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30


def _versions() -> str:
    from importlib.metadata import version

    return ", ".join(f"{name} {version(name)}" for name in ("pyoxigraph", "rdflib", "owlrl", "pyshacl"))


def _build_rows(size: str, fast: dict, plain: dict | None, n: int) -> list[str]:  # type: ignore[type-arg]
    head = [f"### {size} ({fast.get('triples', '?')} triples in khasan.ttl: data, provenance, ontology; "
            f"{fast.get('inferred', '?')} entailments kept)",
            "",
            "| phase | fast s | plain s | plain / fast |", "| --- | --- | --- | --- |"]
    names = {"reason": "reason (fast: in a thread from the load on, beside validate and export)"}
    for phase in ("parse", "validate", "reason", "export", "total"):
        f = fast["timings"].get(phase, 0.0)
        if plain:
            p = plain["timings"].get(phase, 0.0)
            head.append(f"| {names.get(phase, phase)} | {f:.2f} | {p:.2f} | {p / f if f else 0:.1f}× |")
        else:
            head.append(f"| {names.get(phase, phase)} | {f:.2f} | skipped (above --plain-cap) | — |")
    if "reason_wait" in fast["timings"]:
        head.append(f"| of which the build waited for the reasoner | {fast['timings']['reason_wait']:.2f} | | |")
    wall_plain = f"{plain['wall']:.2f}" if plain else "skipped"
    ratio = f"{plain['wall'] / fast['wall']:.1f}×" if plain else "—"
    head.append(f"| wall (process start to exit) | {fast['wall']:.2f} | {wall_plain} | {ratio} |")
    peak_plain = f"{plain['tree_peak_mib']:.0f}" if plain else "skipped"
    head.append(f"| peak memory MiB (the build and its file writers together) | {fast['tree_peak_mib']:.0f} "
                f"| {peak_plain} | |")
    alone_plain = f"{plain['peak_mib']:.0f}" if plain else "skipped"
    head.append(f"| the build process alone, its own peak (ru_maxrss) | {fast['peak_mib']:.0f} | {alone_plain} | |")
    return head


def _cores() -> int:
    import os

    return os.cpu_count() or 0


if __name__ == "__main__":
    main()

"""Is the benchmark's synthetic data a fair stand-in for the real graph?

It must conform to the ontology and the shapes (else the benchmark would time a refused build), and every named
query must find something in it (else a latency figure would time an empty answer).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.__main__ import _params
from benchmarks.generate import generate, make_project
from khasan_kg import api
from khasan_kg.build import run
from khasan_kg.paths import Project
from khasan_kg.queries import bind_params, library


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, dict[str, str]]:
    out = tmp_path_factory.mktemp("generated") / "project"
    made = make_project(out, 3000)
    return Project(out), made.samples


def test_a_generated_graph_builds_clean(generated: tuple[Project, dict[str, str]]) -> None:
    project, _ = generated
    result = run(project)
    assert result.report.conforms, result.report.text()
    assert result.inferred_count > 0


def test_every_named_query_finds_rows_in_generated_data(generated: tuple[Project, dict[str, str]]) -> None:
    project, samples = generated
    store = api.store_from_build(run(project))
    params = _params(samples)
    empty = []
    for name, query in sorted(library(project.queries_dir).items()):
        bindings = bind_params(store, query, params.get(name, {}))
        if not len(store.select(query.text, bindings)):
            empty.append(name)
    assert not empty, f"named queries with no rows in generated data: {empty}"


def test_the_generator_reaches_the_size_asked_for_and_is_reproducible() -> None:
    small, again, larger = generate(2000), generate(2000), generate(20000)
    assert small.text == again.text
    assert 2000 <= small.triples < 2000 * 3
    assert 20000 <= larger.triples < 20000 * 1.5
    assert larger.fronts > small.fronts


def test_generated_passages_lie_inside_a_part_of_the_source() -> None:
    import re

    sources = (Path(__file__).resolve().parent.parent / "graph" / "sources.ttl").read_text(encoding="utf-8")
    starts = [int(x) for x in re.findall(r"kh:startOffset (\d+)", sources)]
    ends = [int(x) for x in re.findall(r"kh:endOffset (\d+)", sources)]
    parts = list(zip(starts, ends, strict=True))
    for start, end in ((int(a), int(b)) for a, b in re.findall(r"psg:(\d+)-(\d+)", generate(3000).text)):
        assert start < end
        assert any(lo <= start and end <= hi for lo, hi in parts), f"psg:{start}-{end} outside every part"

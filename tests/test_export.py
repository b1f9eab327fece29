"""Does every export re-parse to the graph that was built, and do independent parsers accept the Turtle?"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from rdflib import Dataset, Graph
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

from khasan_kg.build import OUTPUT_FILES
from khasan_kg.export import INFERRED_GRAPH, ONTOLOGY_GRAPH
from khasan_kg.load import new_dataset, stable_blank_nodes

from .conftest import require_tool


def isomorphic(a: Graph, b: Graph) -> bool:
    """Graph equality up to blank-node labels: both sides relabelled from content (load.stable_blank_nodes),
    then compared as sets — the same verdict as rdflib.compare.isomorphic, in seconds instead of minutes."""
    def canon(g: Graph) -> set:  # type: ignore[type-arg]
        ds = new_dataset()
        default = ds.graph(DATASET_DEFAULT_GRAPH_ID)
        for t in g:
            default.add(t)
        return {q[:3] for q in stable_blank_nodes(ds).quads((None, None, None, None))}
    return len(a) == len(b) and canon(a) == canon(b)


def test_build_writes_every_file(built) -> None:  # type: ignore[no-untyped-def]
    _, out = built
    for name in OUTPUT_FILES:
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name


@pytest.mark.parametrize("name,fmt", [("khasan.ttl", "turtle"), ("khasan.nt", "nt"), ("khasan.jsonld", "json-ld")])
def test_each_format_re_parses_to_the_built_graph(built, name: str, fmt: str) -> None:  # type: ignore[no-untyped-def]
    result, out = built
    parsed = Graph().parse(out / name, format=fmt)
    assert isomorphic(parsed, result.asserted)


def test_the_inferred_turtle_holds_the_asserted_graph_and_the_entailments(built) -> None:  # type: ignore[no-untyped-def]
    result, out = built
    parsed = Graph().parse(out / "khasan-inferred.ttl", format="turtle")
    assert isomorphic(parsed, result.with_inferred)
    assert len(parsed) > len(result.asserted)


def test_trig_keeps_one_named_graph_per_passage_plus_ontology_and_entailments(built) -> None:  # type: ignore[no-untyped-def]
    result, out = built
    parsed = Dataset()
    parsed.parse(out / "khasan.trig", format="trig")
    names = {g.identifier for g in parsed.graphs()}
    assert ONTOLOGY_GRAPH in names and INFERRED_GRAPH in names
    passages = [n for n in names if "/passage/" in str(n)]
    assert len(passages) >= 1
    expected = result.dataset()
    for name in passages + [ONTOLOGY_GRAPH, INFERRED_GRAPH]:
        assert isomorphic(parsed.graph(name), expected.graph(name)), name


def test_jsonld_is_compacted_with_our_context_not_a_flat_dump(built) -> None:  # type: ignore[no-untyped-def]
    _, out = built
    doc = json.loads((out / "khasan.jsonld").read_text(encoding="utf-8"))
    assert doc["@context"]["kh"] == "https://w3id.org/khasan/ontology#"
    ids = [node.get("@id", "") for node in doc["@graph"]]
    assert any(i.startswith("unit:") for i in ids), "instance IRIs should be compacted to CURIEs"


def test_thai_labels_survive_every_format(built) -> None:  # type: ignore[no-untyped-def]
    _, out = built
    for name in ("khasan.ttl", "khasan.nt", "khasan.jsonld", "khasan.trig"):
        text = (out / name).read_text(encoding="utf-8")
        assert "ทะเลสาบ" in text or "กอง" in text, f"no Thai text in {name}"


@pytest.mark.parametrize("tool,args", [("rapper", ["-i", "turtle", "-c"]), ("serdi", ["-i", "turtle", "-o", "ntriples"])])
def test_independent_parsers_accept_the_turtle(built, tool: str, args: list[str]) -> None:  # type: ignore[no-untyped-def]
    exe = require_tool(tool)
    _, out = built
    for name in ("khasan.ttl", "khasan-inferred.ttl"):
        run = subprocess.run([exe, *args, str(out / name)], capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, f"{tool} rejected {name}: {run.stderr[-2000:]}"


def test_two_builds_of_the_same_input_write_the_same_ntriples(built, project, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from khasan_kg import api

    _, out = built
    again = tmp_path / "again"
    api.build(again, project)
    assert (again / "khasan.nt").read_bytes() == (out / "khasan.nt").read_bytes()


def test_line_chunks_cut_only_at_line_ends_and_lose_nothing() -> None:
    import random

    from khasan_kg.export import line_chunks

    rng = random.Random(1938)
    for _ in range(300):
        data = b"".join(b"x" * rng.randrange(0, 20) + b"\n" for _ in range(rng.randrange(0, 50)))
        chunks = list(line_chunks(data, rng.randrange(1, 40)))
        assert b"".join(chunks) == data
        assert all(chunk.endswith(b"\n") for chunk in chunks)


def test_files_converted_in_a_second_process_are_the_same_bytes(built, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # a large graph has its Turtle, TriG and JSON-LD written by child processes (export.Conversions): the
    # real graph, written that way on purpose, must give exactly what the in-process writers gave
    result, out = built
    again = tmp_path / "parallel"
    result.write(again, parallel=True)
    for name in OUTPUT_FILES:
        if name != "build-info.json":
            assert (again / name).read_bytes() == (out / name).read_bytes(), name
    assert sorted(p.name for p in again.iterdir()) == sorted(OUTPUT_FILES), "intermediate files left behind"


def test_a_conversion_that_fails_in_its_process_names_the_file(tmp_path: Path) -> None:
    from khasan_kg.export import Conversions, write_turtle

    broken = tmp_path / "broken.nt"
    broken.write_text("<https://example.org/s> <https://example.org/p> .\n", encoding="utf-8")
    with Conversions(parallel=True) as conversions:
        conversions.submit(write_turtle, broken, tmp_path / "out.ttl")
        with pytest.raises(OSError, match=r"writing out\.ttl from broken\.nt failed in its process: .*"):
            conversions.wait()


@pytest.mark.parametrize("size", [1, 5, 7, 1000])
def test_a_file_read_a_slice_at_a_time_comes_back_whole_in_whole_lines(tmp_path: Path, size: int) -> None:
    """The reasoner's entailments are read back from its files this way: no line may be cut or lost, whatever
    the slice size (a line longer than a slice included)."""
    from khasan_kg.export import file_line_chunks

    text = b"<a> <b> <c> .\n" + b"<long> <line> \"" + b"x" * 20 + b"\" .\n" + b"\n" + b"<d> <e> <f> .\n" + b"no end"
    path = tmp_path / "lines.nt"
    path.write_bytes(text)
    chunks = list(file_line_chunks(path, size))
    assert b"".join(chunks) == text
    assert all(chunk.endswith(b"\n") for chunk in chunks[:-1])
    assert chunks[-1].endswith(b"no end")
    path.write_bytes(b"")
    assert list(file_line_chunks(path, size)) == []


def test_the_inferred_turtle_and_the_trig_say_where_the_entailments_begin(built) -> None:  # type: ignore[no-untyped-def]
    """The entailments are converted once and appended: khasan-inferred.ttl starts as khasan.ttl does, byte for
    byte, and a comment line marks where the entailments begin there and in the TriG."""
    _, out = built
    asserted, inferred = (out / "khasan.ttl").read_bytes(), (out / "khasan-inferred.ttl").read_bytes()
    assert inferred.startswith(asserted) and b"\n# Below: the entailments kept by the OWL 2 RL reasoner" in inferred
    trig = (out / "khasan.trig").read_text(encoding="utf-8")
    assert f"# The entailments kept by the OWL 2 RL reasoner (also in khasan-inferred.ttl, with the asserted graph).\n<{INFERRED_GRAPH}> {{\n" in trig
    assert trig.count(f"<{INFERRED_GRAPH}>") == 1


def test_a_build_without_reasoning_writes_the_asserted_graph_as_the_inferred_one(project, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from khasan_kg.build import run

    run(project, reason=False).write(tmp_path, parallel=True)
    assert (tmp_path / "khasan-inferred.ttl").read_bytes() == (tmp_path / "khasan.ttl").read_bytes()
    parsed = Dataset()
    parsed.parse(tmp_path / "khasan.trig", format="trig")
    assert INFERRED_GRAPH not in {g.identifier for g in parsed.graphs()}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(OUTPUT_FILES), "intermediate files left behind"


def test_a_failure_making_the_entailments_lines_stops_the_write(project, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # on the parallel path the entailments' lines are made in a thread of their own, which takes the reasoner's
    # text as it starts: what fails there must fail the write, not leave khasan-inferred.ttl without entailments
    import khasan_kg.build as build

    result = build.run(project)

    def broken(chunk: bytes, types: dict[str, str]) -> bytes:
        raise RuntimeError("cannot read the entailments")

    monkeypatch.setattr(build, "restore_integer_types", broken)
    with pytest.raises(RuntimeError, match="cannot read the entailments"):
        result.write(tmp_path / "out", parallel=True)
    assert not (tmp_path / "out").exists()
    assert not any(tmp_path.iterdir()), "staging files left behind"

"""The command line: a thin layer over the Python API (khasan_kg.api). Each command is a few lines; errors become
one clear message on stderr and an exit code: 0 fine, 1 the graph does not conform, 2 usage or input error."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import NoReturn

from .errors import KhasanError, NotConforming, UsageError


def _params(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--param wants KEY=VALUE, got {pair!r}")
        out[key.strip()] = value.strip()
    return out


def _phases(timings: dict[str, float]) -> str:
    """Phase times, as "parse 0.07 s, validate 0.43 s, …"; the fast reasoner runs beside validation and the first
    exports, so its time overlaps theirs."""
    parts = []
    for phase in ("parse", "validate", "reason", "export"):
        if phase not in timings:
            continue
        part = f"{phase} {timings[phase]:.2f} s"
        if phase == "reason" and "reason_wait" in timings:
            part += f" (beside validate and export; waited {timings['reason_wait']:.2f} s)"
        parts.append(part)
    return ", ".join(parts)


def cmd_build(args: argparse.Namespace) -> int:
    """Example: khasan-kg build --out dist"""
    from . import api

    t0 = time.perf_counter()
    try:
        result = api.build(args.out, store=args.store)
    except NotConforming as exc:
        print(str(exc), file=sys.stderr)
        print(f"khasan-kg: build refused: the graph does not conform; {args.out}/ was left as it was", file=sys.stderr)
        return 1
    counts = result.entity_counts()
    print(
        f"Built {args.out}/ in {time.perf_counter() - t0:.2f} s: {result.triple_count} triples asserted, "
        f"{result.inferred_count} entailments kept"
    )
    print("Validation: conforms")
    print("Time per phase: " + _phases(result.timings))
    print("Entities per class: " + ", ".join(f"{k} {v}" for k, v in counts.most_common(12)))
    for name in ("khasan.ttl", "khasan-inferred.ttl", "khasan.nt", "khasan.jsonld", "khasan.trig"):
        print(f"  {Path(args.out) / name}")
    if args.store:
        print(f"  store: {args.store}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """Example: khasan-kg validate graph/units/core.trig --format json"""
    from . import api

    report = api.validate(files=[Path(f) for f in args.files] if args.files else None)
    print({"text": report.text, "json": report.json, "turtle": report.turtle}[args.format]())
    return 0 if report.conforms else 1


def cmd_query(args: argparse.Namespace) -> int:
    """Example: khasan-kg query command-chain --param unit="32nd Rifle Division" """
    from . import api
    from .paths import Project
    from .queries import library
    from .render import render

    project = Project.locate()
    if args.list or not args.name:
        for q in library(project.queries_dir).values():
            params = " ".join(f"[{p.name}=…]" if not p.required else f"{p.name}=…" for p in q.params)
            print(f"{q.name:22} {q.question}" + (f"  ({params})" if params else ""))
        return 0
    store = _store(args)
    results = api.query(args.name, store=store, project=project, params=_params(args.param))
    print(render(results, args.format))
    return 0


def cmd_sparql(args: argparse.Namespace) -> int:
    """Example: khasan-kg sparql 'SELECT * WHERE { ?s a kh:Battle }' --inferred"""
    from . import api
    from .namespaces import PREFIXES
    from .render import render
    from .store import Results

    text = args.query
    if text.startswith("@"):
        path = Path(text[1:])
        if not path.is_file():
            raise UsageError(f"{path}: no such query file")
        text = path.read_text(encoding="utf-8")
    declared = {line.split()[1].rstrip(":") for line in text.splitlines() if line.strip().upper().startswith("PREFIX ")}
    header = "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items() if p not in declared)
    result = api.sparql(header + text, store=_store(args), inferred=args.inferred)
    if isinstance(result, Results):
        print(render(result, args.format))
    elif isinstance(result, bool):
        print("true" if result else "false")
    else:
        from rdflib import Graph

        from .namespaces import bind_prefixes

        g = Graph()
        bind_prefixes(g)
        for t in result:
            g.add(t)
        print(g.serialize(format="turtle"))
    return 0


def cmd_describe(args: argparse.Namespace) -> int:
    """Example: khasan-kg describe "39th Rifle Corps" """
    from . import api

    d = api.describe(args.term, store=_store(args))
    if not d.exists:
        raise UsageError(f"{args.term!r}: nothing is known about it")
    print(d.text())
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    from . import api

    s = api.stats(store=_store(args))
    if args.format == "json":
        print(json.dumps(s, indent=2))
        return 0
    print(f"quads: {s['quads']}\nnamed graphs (passages and others): {s['named_graphs']}")
    print("entities per class (after reasoning):")
    for cls, n in s["entities_per_class"].items():  # type: ignore[union-attr]
        print(f"  kh:{cls:28} {n}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Example: khasan-kg serve --port 8000 (Linked Data pages, SPARQL endpoint, downloads)"""
    from .server import serve

    return int(
        serve(host=args.host, port=args.port, store=args.store, endpoint=args.endpoint, timeout=args.timeout) or 0
    )


def cmd_push(args: argparse.Namespace) -> int:
    """Example: khasan-kg push --endpoint http://127.0.0.1:8890/sparql-graph-crud --graph https://w3id.org/khasan/id/graph/all"""
    from .remote import push

    pushed = push(
        endpoint=args.endpoint,
        graph=args.graph,
        user=args.user,
        password=args.password,
        update_endpoint=args.update_endpoint,
    )
    return int(pushed or 0)


def cmd_links(args: argparse.Namespace) -> int:
    """Example: khasan-kg links"""
    from .links import report

    print(report(fmt=args.format))
    return 0


def _store(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from . import api
    from .store import GraphStore

    if getattr(args, "endpoint", None):
        from .remote import RemoteStore

        return RemoteStore(args.endpoint)
    if getattr(args, "store", None):
        return GraphStore.open(Path(args.store))
    return api.open_store(dist=getattr(args, "dist", None))


def _store_options(p: argparse.ArgumentParser) -> None:
    """Where a reading command finds the graph: the build (default), a persistent store, or a remote endpoint."""
    p.add_argument("--store", help="read a persistent store (written by build --store) instead of the build")
    p.add_argument("--dist", help="the build folder to read (default: dist)")
    p.add_argument("--endpoint", help="read a remote SPARQL endpoint instead")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="khasan-kg", description="Build, check, query and serve the Lake Khasan (1938) knowledge graph."
    )
    parser.add_argument("--version", action="version", version=f"khasan-kg {__import__('khasan_kg').__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("build", help="validate, reason and write the exports (Turtle, N-Triples, JSON-LD, TriG)")
    p.add_argument("--out", default="dist", help="output folder (default: dist)")
    p.add_argument("--store", help="also write a persistent Oxigraph store at this path")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("validate", help="check the graph files against the ontology and the SHACL shapes")
    p.add_argument("files", nargs="*", help="graph files to check (default: all of graph/)")
    p.add_argument("--format", choices=["text", "turtle", "json"], default="text")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("query", help="run a named query from queries/ (--list to see them)")
    p.add_argument("name", nargs="?", help="the query's name, e.g. command-chain")
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a parameter: an IRI, a CURIE (unit:…), an English label, or a date",
    )
    p.add_argument("--format", choices=["table", "csv", "tsv", "json", "xml"], default="table")
    p.add_argument("--list", action="store_true", help="list the named queries")
    _store_options(p)
    p.set_defaults(func=cmd_query)

    p = sub.add_parser("sparql", help="run any SPARQL 1.1 query over the built graph")
    p.add_argument("query", help="the query text, or @FILE")
    p.add_argument("--format", choices=["table", "csv", "tsv", "json", "xml"], default="table")
    p.add_argument("--inferred", action="store_true", help="include the kept OWL 2 RL entailments")
    _store_options(p)
    p.set_defaults(func=cmd_sparql)

    p = sub.add_parser("describe", help="everything about one entity, each fact with its source passage")
    p.add_argument("term", help="an IRI, a CURIE (unit:su-39th-rifle-corps) or a label")
    _store_options(p)
    p.set_defaults(func=cmd_describe)

    p = sub.add_parser("stats", help="triples, named graphs and entities per class")
    p.add_argument("--format", choices=["text", "json"], default="text")
    _store_options(p)
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser("serve", help="serve the graph as Linked Data with a SPARQL 1.1 endpoint")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--store", help="serve a persistent store written by build --store, without rebuilding")
    p.add_argument("--endpoint", help="serve from a remote SPARQL endpoint instead")
    p.add_argument("--timeout", type=float, default=5.0, help="query timeout in seconds (default 5)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("push", help="load the graph into a store speaking the SPARQL 1.1 Graph Store Protocol")
    p.add_argument("--endpoint", required=True, help="the Graph Store Protocol URL")
    p.add_argument("--graph", default="https://w3id.org/khasan/id/graph/all", help="the named graph to replace")
    p.add_argument("--update-endpoint", help="a SPARQL Update URL: swap the uploaded graphs in with one MOVE request")
    p.add_argument("--user")
    p.add_argument("--password")
    p.set_defaults(func=cmd_push)

    p = sub.add_parser("links", help="report the links to Wikidata and DBpedia per class")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.set_defaults(func=cmd_links)
    return parser


def entry() -> NoReturn:
    """The khasan-kg command: ``main``, then ``exit_now``."""
    exit_now(main())


def exit_now(code: int) -> NoReturn:
    """End the process as ``sys.exit`` would (exit handlers run: temporary files go, logs are flushed) but
    without freeing the heap object by object: after a 1M build that took seconds, for memory the operating
    system takes back at once."""
    import atexit
    import os

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a reader gone away, a stream closed: nothing more to say there
            pass
    os._exit(code)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except KhasanError as exc:
        print(f"khasan-kg: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("khasan-kg: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (khasan-kg query … | head): stop quietly, as Unix tools do
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0

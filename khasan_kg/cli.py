"""The command line: a thin layer over the Python API. Each command is a few lines; errors become one clear
message on stderr and an exit code (0 fine, 1 the graph does not conform, 2 usage or input error)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import KhasanError


def _cmd_validate(args: argparse.Namespace) -> int:
    from . import api

    report = api.validate(files=[Path(f) for f in args.files] or None)
    print(getattr(report, args.format if args.format != "text" else "text")())
    return 0 if report.conforms else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="khasan-kg", description="Build, check and query the Lake Khasan knowledge graph.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("validate", help="check the graph files against the ontology and the SHACL shapes")
    p.add_argument("files", nargs="*", help="graph files to check (default: all of graph/)")
    p.add_argument("--format", choices=["text", "turtle", "json"], default="text")
    p.set_defaults(func=_cmd_validate)
    return parser


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

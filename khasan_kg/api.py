"""The Python API a notebook user calls; the CLI and the server are thin layers over it."""

from __future__ import annotations

from pathlib import Path

from .load import load
from .paths import Project
from .validate import Report, validate_loaded


def validate(files: list[Path] | None = None, project: Project | None = None) -> Report:
    """Check the graph (all of graph/, or ``files`` with graph/sources.ttl and the core files)."""
    project = project or Project.locate()
    if files:
        base = [p for p in project.graph_files() if p.name in ("sources.ttl", "core.trig")]
        files = base + [f for f in files if f.resolve() not in {b.resolve() for b in base}]
    loaded = load(project, files)
    return validate_loaded(loaded)

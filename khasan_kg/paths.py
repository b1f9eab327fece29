"""Where the project's files are: the ontology, the graph, the queries and the source document."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

SOURCE_NAME = "000_4b84ee11cead879a.txt"
SOURCE_SHA256 = "55b7544520aa93f3bc14eefba1672908d4ec8c366056d59d91a1e34389655710"


def _looks_like_root(path: Path) -> bool:
    return (path / "ontology" / "khasan.ttl").is_file() and (path / "graph").is_dir()


def find_root(start: Path | None = None) -> Path:
    """The project root: $KHASAN_KG_HOME, else the nearest folder up from ``start`` (or the working directory)
    holding ``ontology/khasan.ttl``, else the checkout this package was imported from."""
    env = os.environ.get("KHASAN_KG_HOME")
    if env:
        return Path(env).resolve()
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if _looks_like_root(candidate):
            return candidate
    package_parent = Path(__file__).resolve().parent.parent
    if _looks_like_root(package_parent):
        return package_parent
    return here


@dataclass(frozen=True)
class Project:
    """The files one build reads."""

    root: Path

    @classmethod
    def locate(cls, start: Path | None = None) -> Project:
        return cls(find_root(start))

    @property
    def ontology(self) -> Path:
        return self.root / "ontology" / "khasan.ttl"

    @property
    def shapes(self) -> Path:
        return self.root / "ontology" / "shapes.ttl"

    @property
    def graph_dir(self) -> Path:
        return self.root / "graph"

    @property
    def queries_dir(self) -> Path:
        return self.root / "queries"

    @property
    def context(self) -> Path:
        return self.root / "khasan_kg" / "context.jsonld"

    def graph_files(self) -> list[Path]:
        """Every data file under graph/, in a stable order."""
        files = [p for p in self.graph_dir.rglob("*") if p.suffix in (".ttl", ".trig") and p.is_file()]
        return sorted(files, key=lambda p: p.relative_to(self.graph_dir).as_posix())

    def source_document(self) -> Path | None:
        """The source text, if it can be found: $KHASAN_SOURCE, or ../shared/sources/ beside the checkout."""
        env = os.environ.get("KHASAN_SOURCE")
        candidates = [Path(env)] if env else []
        candidates.append(self.root.parent / "shared" / "sources" / SOURCE_NAME)
        for candidate in candidates:
            if candidate.is_file():
                return candidate
        return None

"""The persistent embedded store: the build written into an on-disk Oxigraph database.

Written into a fresh folder beside the target and swapped in only when complete, so a failed or interrupted write
leaves the previous store as it was; `serve --store PATH` opens it read-only without rebuilding.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyoxigraph as ox

from .build import Build
from .export import staging_dir, swap_in
from .store import STORE_INFO, merge_all


def write_store(result: Build, path: Path) -> Path:
    path = path.resolve()
    staging = staging_dir(path)
    try:
        store = ox.Store(str(staging))
        store.bulk_load(result.nquads(), format=ox.RdfFormat.N_QUADS)
        published = len(store)
        merge_all(store)
        store.optimize()
        store.flush()
        del store
        (staging / STORE_INFO).write_text(json.dumps({"published_quads": published}) + "\n", encoding="utf-8")
        swap_in(staging, path)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return path

"""The persistent embedded store: the build written into an on-disk Oxigraph database.

Written into a fresh folder beside the target and swapped in only when complete, so a failed or interrupted write
leaves the previous store as it was; `serve --store PATH` opens it read-only without rebuilding.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pyoxigraph as ox

from .build import Build
from .store import dataset_to_nquads


def write_store(result: Build, path: Path) -> Path:
    path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.staging-", dir=path.parent))
    try:
        store = ox.Store(str(staging))
        store.bulk_load(dataset_to_nquads(result.dataset()), format=ox.RdfFormat.N_QUADS)
        store.optimize()
        store.flush()
        del store
        old = None
        if path.exists():
            old = path.parent / f".{path.name}.old-{os.getpid()}"
            os.replace(path, old)
        os.replace(staging, path)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return path

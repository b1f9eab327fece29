"""Helpers for the server tests: a real uvicorn server on a free 127.0.0.1 port, in a thread of the test process.

The graph served is one build of the real data (conftest's ``built``), or the build folder named by
$KHASAN_TEST_DIST (handy while curators are mid-edit and graph/ does not build).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from khasan_kg.server import create_app

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def dist_folder(request: pytest.FixtureRequest) -> Path:
    env = os.environ.get("KHASAN_TEST_DIST")
    if env:
        return Path(env)
    return Path(request.getfixturevalue("built")[1])


@contextlib.contextmanager
def running_server(dist: Path, **options: object) -> Iterator[str]:
    """Serve ``dist``'s khasan.trig (and its files as downloads); yields the base URL, e.g. http://127.0.0.1:PORT/."""
    app = create_app(trig=dist / "khasan.trig", dist=dist, project_root=ROOT, **options)  # type: ignore[arg-type]
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.should_exit = True
        thread.join(15)


def require_chromium() -> str:
    """Debian's chromium: skip when absent locally, fail in CI (.ci/run installs it)."""
    path = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if path is None:
        message = "chromium is not installed (apt-get install chromium; .ci/run installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path

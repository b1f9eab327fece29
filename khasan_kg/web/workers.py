"""A small pool of worker processes that run every query, so that a slow one can be cut off.

pyoxigraph cannot cancel a running query from Python, and a thread stuck in Rust cannot be stopped either. So each
worker is a process holding its own copy of the store (in memory from the build's khasan.trig, the persistent store
opened read-only, or a remote endpoint); a query that overruns its time is answered 504 and its worker is killed and
replaced, while the other workers go on answering. Workers are fresh interpreters (``python -m
khasan_kg.web.workers FD``) talking over a socket pair: never a fork of a process that runs an event loop and threads,
and, unlike multiprocessing's "spawn", no re-import of whatever script started the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any


@dataclass(frozen=True)
class Source:
    """Where a worker finds the graph: exactly one of ``trig``, ``store`` or ``endpoint``."""

    trig: str | None = None
    store: str | None = None
    endpoint: str | None = None
    project_root: str | None = None
    max_rows: int = 10_000


class QueryTimeout(Exception):
    """The job ran longer than the time allowed; its worker was killed."""


class PoolBusy(Exception):
    """No worker became free within the time allowed."""


class JobError(Exception):
    """The job failed in the worker with an error meant for the user (status and message)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _worker_main(conn: Connection) -> None:
    # Ctrl-C reaches the whole process group: the parent decides when workers stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from . import tasks

    source = conn.recv()
    try:
        state = tasks.open_state(source)
    except Exception as exc:  # report why the store would not open, then stop
        conn.send(("failed", f"{type(exc).__name__}: {exc}"))
        return
    conn.send(("ready", None))
    while True:
        try:
            name, args = conn.recv()
        except (EOFError, OSError):  # the server went away
            return
        try:
            conn.send(("ok", tasks.run(state, name, args)))
        except JobError as exc:
            conn.send(("error", (exc.status, exc.message)))
        except Exception as exc:  # a bug: say what it was rather than hang the caller
            conn.send(("error", (500, f"{type(exc).__name__}: {exc}")))


class Worker:
    def __init__(self, source: Source, start_timeout: float = 120.0) -> None:
        ours, theirs = socket.socketpair()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "khasan_kg.web.workers", str(theirs.fileno())], pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        theirs.close()
        self.conn = Connection(ours.detach())
        self.conn.send(source)
        if not self.conn.poll(start_timeout):
            self.kill()
            raise RuntimeError(f"a query worker did not start within {start_timeout:.0f} s")
        status, detail = self.conn.recv()
        if status != "ready":
            self.kill()
            raise RuntimeError(f"a query worker could not open the graph: {detail}")

    def kill(self) -> None:
        with contextlib.suppress(Exception):
            self.process.kill()
            self.process.wait(5)
        with contextlib.suppress(Exception):
            self.conn.close()


class WorkerPool:
    """``await pool.call(name, args)`` runs ``tasks.<name>`` in a free worker within ``timeout`` seconds."""

    def __init__(self, source: Source, size: int = 4, timeout: float = 5.0, queue_timeout: float | None = None) -> None:
        self.source = source
        self.size = size
        self.timeout = timeout
        # How long a request may wait for a free worker. Longer than the query limit on purpose: a fast query
        # queued behind slow ones waits until they are cut off (and their workers replaced) instead of failing.
        self.queue_timeout = queue_timeout if queue_timeout is not None else 3 * timeout + 10
        self.idle: asyncio.Queue[Worker] = asyncio.Queue()
        self.all: set[Worker] = set()
        self.killed = 0
        self._replacing: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        workers = await asyncio.gather(*(asyncio.to_thread(Worker, self.source) for _ in range(self.size)))
        for w in workers:
            self.all.add(w)
            self.idle.put_nowait(w)

    async def stop(self) -> None:
        for task in list(self._replacing):
            task.cancel()
        for w in list(self.all):
            w.kill()
        self.all.clear()

    async def call(self, name: str, args: Any = None, *, timeout: float | None = None) -> Any:
        limit = self.timeout if timeout is None else timeout
        try:
            worker = await asyncio.wait_for(self.idle.get(), self.queue_timeout)
        except TimeoutError:
            raise PoolBusy(f"every query worker stayed busy for {self.queue_timeout:g} s") from None
        remaining = limit  # the query's own time starts when a worker takes it
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[None] = loop.create_future()
        fd = worker.conn.fileno()

        def on_readable() -> None:
            if not ready.done():
                ready.set_result(None)

        loop.add_reader(fd, on_readable)
        try:
            worker.conn.send((name, args))
            await asyncio.wait_for(ready, remaining)
        except (TimeoutError, asyncio.CancelledError, OSError, BrokenPipeError) as exc:
            loop.remove_reader(fd)
            self._retire(worker)
            if isinstance(exc, TimeoutError):
                raise QueryTimeout(f"the query ran longer than {limit:g} s and was stopped") from None
            raise
        loop.remove_reader(fd)
        try:
            # a large answer arrives in pieces: read it off the event loop
            status, payload = await asyncio.to_thread(worker.conn.recv)
        except (EOFError, OSError):
            self._retire(worker)
            raise JobError(500, "a query worker died while answering (out of memory?); it has been replaced") from None
        self.idle.put_nowait(worker)
        if status == "error":
            raise JobError(*payload)
        return payload

    def _retire(self, worker: Worker) -> None:
        """Kill a worker whose job overran (the only way to stop a pyoxigraph query) and start another."""
        self.killed += 1
        self.all.discard(worker)
        worker.kill()
        task = asyncio.get_running_loop().create_task(self._replace())
        self._replacing.add(task)
        task.add_done_callback(self._replacing.discard)

    async def _replace(self) -> None:
        worker = await asyncio.to_thread(Worker, self.source)
        self.all.add(worker)
        self.idle.put_nowait(worker)


if __name__ == "__main__":
    # run the module's own copy, not __main__'s: JobError must be the class tasks.py raises
    from khasan_kg.web.workers import _worker_main as main

    main(Connection(int(sys.argv[1])))

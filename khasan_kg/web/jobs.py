"""Running a job in the worker pool from a request handler (pages and the server share these)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request


async def call(request: Request, job: str, *args: Any) -> Any:
    """Run ``tasks.<job>(*args)`` in a free worker, within the pool's time limit."""
    return await request.app.state.pool.call(job, args)


async def cached(request: Request, job: str) -> Any:
    """Answers that cannot change while the server runs (the store is read-only), fetched once."""
    cache = request.app.state.cache
    if job not in cache:
        cache[job] = await call(request, job)
    return cache[job]

"""Where the API's blocking work runs: a small pool of its own, never the event loop.

The services are plain synchronous code (SQLModel sessions, sync Redis). Run in
Starlette's default pool (40 threads), a burst of API calls could hold every
database connection that the Reflex handlers and page loads need. Sized against
the engine's pool: SQLAlchemy's default ``QueuePool`` keeps 5 connections per
process (plus 10 overflow, opened and closed on demand), and an API thread holds
at most one at a time (``deps`` checks the token, then the route runs its
service, one after the other). Two threads can therefore never take the whole
steady pool: connections stay for the pages, and they never wait on the API for
more.

Why two, not more: an API call is CPU-bound Python under one GIL, and the
threads contend for it with the event loop (every SQLite or Redis call releases
it and must win it back). Measured on ``GET /tasks?limit=50`` (one uvicorn
process, wrk with 20 connections, server CPU per request, runs alternated on a
shared 2-core box): inline on the loop 3.1-3.9 ms, one thread 4.5, two 4.3-4.9,
four 4.2-6.6 (median 5.2). The hops and the contention are the API's largest
cost after its own work; fewer threads serve more, as long as one call's wait
(a Redis round trip, a SQLite read) does not hold them all, which two cover.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, TypeVar

API_THREADS = 2
API = ThreadPoolExecutor(max_workers=API_THREADS, thread_name_prefix="clawweb-api")

T = TypeVar("T")


async def run(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)`` in the API pool, with this request's context
    (the audit's API-token ContextVar goes along)."""
    context = contextvars.copy_context()
    call = functools.partial(context.run, fn, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(API, call)

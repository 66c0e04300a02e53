"""Where the API's blocking work runs: a small pool of its own, never the event loop.

The services are plain synchronous code (SQLModel sessions, sync Redis). Run in
Starlette's default pool (40 threads), a burst of API calls could hold every
database connection that the Reflex handlers and page loads need. Sized against
the engine's pool: SQLAlchemy's default ``QueuePool`` keeps 5 connections per
process (plus 10 overflow, opened and closed on demand), and an API thread holds
at most one at a time (``deps`` checks the token, then the route runs its
service, one after the other). Four threads can therefore never take the whole
steady pool: one connection at least stays for the pages, and they never wait
on the API for more. More threads would not serve more: measured, an API call is
CPU-bound Python (the ORM) under one GIL, on two cores with several web processes
(``bench.api_load``); the throughput came from making each call cheaper
(``token_cache``).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, TypeVar

API_THREADS = 4
API = ThreadPoolExecutor(max_workers=API_THREADS, thread_name_prefix="clawweb-api")

T = TypeVar("T")


async def run(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)`` in the API pool, with this request's context
    (the audit's API-token ContextVar goes along)."""
    context = contextvars.copy_context()
    call = functools.partial(context.run, fn, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(API, call)

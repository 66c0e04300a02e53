"""Where the API's blocking work runs: a small pool of its own, never the event loop.

The services are plain synchronous code (SQLModel sessions, sync Redis). Run in
Starlette's default pool (40 threads), a burst of API calls could hold every
database connection (SQLAlchemy's 5 + 10) that the Reflex handlers and page
loads need; four threads bound what the API can take.
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

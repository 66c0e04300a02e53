"""Blocking work of the web process runs in small named thread pools, never on the loop.

Reflex runs every browser's events on one asyncio loop. A handler that blocks
it (argon2, a git subprocess, ``rmtree``, a Redis ping, a SQLite busy wait)
freezes every connected page for as long as it blocks, so the access wrappers
(:mod:`clawweb.state.access`) hand handler bodies to these pools and await
them. Nothing here imports Reflex: the HTTP routes use the pools too.

Two pools, so that password work cannot take the threads everybody else's
events need, page loads and heartbeats included:

- ``PASSWORDS`` runs argon2 (slow, 64 MiB each): the HTTP auth routes of
  :mod:`clawweb.http.auth_routes` (sign-in, first-run setup, invites, and
  sign-out with them, so that no anonymous request holds a database connection
  outside this pool) and the handlers marked ``hashes_passwords`` (the
  account page's password change). A flood of sign-ins queues here, three at
  a time, instead of in Starlette's 40 threads.
- ``HANDLERS`` runs the bodies of every other plain handler.

Their sizes stay, together with the loops' ``asyncio.to_thread`` calls (the
default executor: cores + 4 threads), within the database connection pool
(SQLAlchemy's 5 + 10 overflow) on a two-core host.

Reflex is fine with a pool thread setting state vars: the handler still runs
inside Reflex's per-tab state lock (the loop awaits it there), a tab's events
are dispatched one at a time, and the delta is computed on the loop after the
body returns. The one thing that must not happen is the lock being released
while a thread still writes: a cancelled event (Reflex cancels superseded page
loads) therefore waits for its thread before the cancellation goes through.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from concurrent.futures import ThreadPoolExecutor
from typing import Any, AsyncIterator, Callable

PASSWORD_THREADS = 3
HANDLER_THREADS = 6
PASSWORDS = ThreadPoolExecutor(max_workers=PASSWORD_THREADS,
                               thread_name_prefix="clawweb-passwords")
HANDLERS = ThreadPoolExecutor(max_workers=HANDLER_THREADS, thread_name_prefix="clawweb-handler")


def on_event_loop() -> bool:
    """Whether this thread is running an asyncio loop (Reflex's, when serving)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


async def run(pool: ThreadPoolExecutor, fn: Callable[..., Any], *args, **kwargs) -> Any:
    """``fn(*args, **kwargs)`` in ``pool``, with this task's context variables.

    A cancellation of the awaiting task is held back until ``fn`` has returned,
    so whatever lock the caller holds outlives the thread's work.
    """
    loop = asyncio.get_running_loop()
    call = functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)
    future = loop.run_in_executor(pool, call)
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        await _settled(future)
        raise


async def _settled(future: asyncio.Future) -> None:
    while not future.done():
        try:
            await asyncio.wait([future])
        except asyncio.CancelledError:
            continue  # cancelled again: still wait for the thread
    if not future.cancelled():
        future.exception()  # retrieved: the cancellation is what propagates


async def run_as_events(pool: ThreadPoolExecutor, fn: Callable[..., Any],
                        *args, **kwargs) -> AsyncIterator[Any]:
    """What a wrapped plain handler hands Reflex: an async generator that yields
    the body's return value (the events to chain) once, after running it in ``pool``.

    Reflex drains an async generator returned by a handler exactly like one it
    declared itself, flushing the delta after the yield, under the state lock.
    """
    yield await run(pool, fn, *args, **kwargs)

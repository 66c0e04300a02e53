"""The API's thread pool is bounded below the database pool the pages share."""

from __future__ import annotations


def test_the_api_threads_can_never_take_the_whole_database_pool(engine):
    from clawweb.rest import threads

    assert threads.API._max_workers == threads.API_THREADS
    # One connection per API thread at most: at least one of the steady pool stays
    # for the Reflex handlers and page loads.
    assert threads.API_THREADS < engine.pool.size(), (threads.API_THREADS, engine.pool.size())


def test_at_most_two_api_calls_run_at_once():
    """More threads lost throughput to GIL contention with the loop (see ``threads``)."""
    import asyncio
    import threading
    import time

    from clawweb.rest import threads

    running, most, lock = [0], [0], threading.Lock()

    def call() -> None:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.05)
        with lock:
            running[0] -= 1

    async def burst() -> None:
        await asyncio.gather(*(threads.run(call) for _ in range(6)))

    asyncio.run(burst())
    assert most[0] == 2, most[0]

"""The API's thread pool is bounded below the database pool the pages share."""

from __future__ import annotations


def test_the_api_threads_can_never_take_the_whole_database_pool(engine):
    from clawweb.rest import threads

    assert threads.API._max_workers == threads.API_THREADS
    # One connection per API thread at most: at least one of the steady pool stays
    # for the Reflex handlers and page loads.
    assert threads.API_THREADS < engine.pool.size(), (threads.API_THREADS, engine.pool.size())

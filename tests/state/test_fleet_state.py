"""The no-worker banner: its count comes from the heartbeats, and the task, queue
and admin pages all carry it."""

from __future__ import annotations

import asyncio

import pytest

from clawweb import streams

from tests.support.reflex_state import new_state, run_handler


def poll(state) -> int:
    from clawweb.state import fleet as fleet_state

    fleet_state._cached = (float("-inf"), -1)  # a new tick, not the cached answer
    asyncio.run(run_handler(type(state).event_handlers["poll_workers"], state))
    return state.workers_alive


def test_the_banner_count_follows_the_heartbeats(member_token, fake_redis):
    from clawweb.state.fleet import FleetState

    _, state = new_state(FleetState, member_token)
    assert poll(state) == 0
    fake_redis.set(streams.worker_alive_key("w-1"), "host pid 1", ex=30)
    assert poll(state) == 1
    fake_redis.delete(streams.worker_alive_key("w-1"))
    assert poll(state) == 0


def test_an_anonymous_tab_learns_nothing(engine, fake_redis):
    from clawweb.state.fleet import FleetState

    fake_redis.set(streams.worker_alive_key("w-1"), "host pid 1", ex=30)
    _, state = new_state(FleetState, "")
    poll(state)
    assert state.workers_alive == -1


def test_redis_down_is_not_reported_as_no_worker(member_token, fake_redis, monkeypatch):
    import redis as redis_lib

    from clawweb.state.fleet import FleetState

    def down(*_a, **_k):
        raise redis_lib.ConnectionError("down")

    monkeypatch.setattr(fake_redis, "scan_iter", down)
    _, state = new_state(FleetState, member_token)
    assert poll(state) == -1


@pytest.mark.parametrize("page", ["tasks_page", "task_page", "users_page", "audit_page"])
def test_the_task_queue_and_admin_pages_show_the_banner(page):
    from clawweb.pages import admin, tasks

    module = tasks if page.startswith("task") else admin
    assert "no-worker-banner" in str(getattr(module, page)())

"""The reaper beside the web app (clawweb/services/web_reaper.py), for real: the
last worker is killed mid-task and only the web process is left to end its task.

Short settings (heartbeat 1 s, dead after 5 s); with the defaults (5 s, 30 s)
the same bound is 30 + 2 * 5 + 2 * 5 = 50 s, within the promised 60 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time

import pytest

from clawweb.models import TaskStatus
from clawweb.services import fleet as fleet_service, web_reaper
from tests.conftest import clear_process_caches
from tests.integration.fleet import (  # noqa: F401  (fixtures)
    DEAD_AFTER_SECONDS, HEARTBEAT_SECONDS, containers, finished, fleet,
    started_in_container, submit, task_now, terminal_events, wait_for, world,
)

# The key's TTL, the reaper's grace (2 beats), up to a step either side, and slack.
BOUND_SECONDS = DEAD_AFTER_SECONDS + 2 * HEARTBEAT_SECONDS + 2 * HEARTBEAT_SECONDS + 3


@pytest.fixture
def short_beats(monkeypatch, redis_url):
    """This (the web) process reads the same short heartbeat settings as the workers."""
    monkeypatch.setenv("CLAWWEB_WORKER_HEARTBEAT_SECONDS", str(HEARTBEAT_SECONDS))
    monkeypatch.setenv("CLAWWEB_WORKER_DEAD_AFTER_SECONDS", str(DEAD_AFTER_SECONDS))
    clear_process_caches()


@contextlib.contextmanager
def web_app_lifespan():
    """Run the lifespan task the app registers, in an event loop of its own."""
    ready, done = threading.Event(), threading.Event()

    async def hold():
        async with web_reaper.lifespan():
            ready.set()
            while not done.is_set():
                await asyncio.sleep(0.05)

    thread = threading.Thread(target=asyncio.run, args=(hold(),), daemon=True)
    thread.start()
    assert ready.wait(10), "the lifespan did not start"
    try:
        yield
    finally:
        done.set()
        thread.join(10)


def test_the_app_registers_the_web_reaper_as_a_lifespan_task():
    from clawweb.clawweb import app

    assert web_reaper.lifespan in app.get_lifespan_tasks()


def test_with_every_worker_dead_the_web_reaper_ends_the_running_task(
        session, world, fleet, short_beats):
    alice, project = world
    only = fleet.start("only")
    doomed = submit(session, alice, project, "echo begin; sleep 300")
    started_in_container(session, doomed.id, [only])

    with web_app_lifespan():
        fleet.kill9(only)
        killed_at = time.monotonic()
        assert fleet_service.alive_count() in (0, 1)  # its key may outlive it by the TTL
        lost = finished(session, doomed.id, timeout=BOUND_SECONDS + 30)
        took = time.monotonic() - killed_at
    assert fleet_service.alive_count() == 0, "a worker was alive: this proves nothing"
    assert (lost.status, lost.failure_reason) == (TaskStatus.failed, fleet_service.LOST_STARTED)
    assert took <= BOUND_SECONDS, f"ended {took:.1f} s after the kill"
    assert terminal_events(session, doomed.id) == ["failed"]
    # Containers belong to the worker hosts: the web reaper left it for them...
    assert containers([only], doomed.id), "the web process removed a container"
    # ...and the worker that the supervisor starts next removes it.
    fleet.start("successor")
    wait_for(lambda: containers([only], doomed.id) == [], 30, "the dead worker's container")
    assert task_now(session, doomed.id).status == TaskStatus.failed

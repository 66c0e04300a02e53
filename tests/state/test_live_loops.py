"""Live loops end soon after their tab goes away, and are counted while they run.

Against a real redis-server and database: a task-list loop and a task page's
loop follow while their "tab" is connected, then the tab's socket goes (the
check :func:`clawweb.state.base.client_connected` says no) and each loop must
end within ``GONE_AFTER_SECONDS`` plus a step, leaving no loop counted.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from clawweb.state import live_loops

from tests.state.test_live_access import Loop, _publish_changes, _publish_output, world  # noqa: F401
from tests.support.reflex_state import BackgroundProxy, new_state, run_handler, visit

STEP_SECONDS = 1.0  # one read (≤ 0.5 s) plus a flush, with room for a slow box


def test_presence_counts_a_tab_gone_only_after_the_grace(monkeypatch):
    connected = {"now": True}
    monkeypatch.setattr(live_loops, "client_connected", lambda _state: connected["now"])
    presence = live_loops.Presence(grace=3.0)
    assert not presence.gone(None, now=100.0)
    connected["now"] = False
    assert not presence.gone(None, now=101.0)   # away since 101
    assert not presence.gone(None, now=103.9)
    connected["now"] = True                     # it came back: the clock restarts
    assert not presence.gone(None, now=104.0)
    connected["now"] = False
    assert not presence.gone(None, now=105.0)
    assert presence.gone(None, now=108.0)


def test_counted_counts_while_the_block_runs_even_when_it_fails():
    before = live_loops.running("t")
    with pytest.raises(RuntimeError):
        with live_loops.counted("t"):
            assert live_loops.running("t") == before + 1
            assert live_loops.running() >= 1
            raise RuntimeError("boom")
    assert live_loops.running("t") == before


def _tab(monkeypatch):
    """A switch for "the tab has a socket", as every loop's presence check sees it."""
    tab = {"connected": True}
    monkeypatch.setattr(live_loops, "client_connected", lambda _state: tab["connected"])
    return tab


@pytest.mark.asyncio
async def test_task_list_loop_ends_soon_after_its_tab_goes(world, engine, monkeypatch):  # noqa: F811
    from clawweb.state.task_list import TasksState

    tab = _tab(monkeypatch)
    _, state = new_state(TasksState, world["token"])
    visit(state, f"/projects/{world['project_id']}")
    await run_handler(TasksState.event_handlers["load_project_tasks"], state)
    stop = asyncio.Event()
    publisher = asyncio.create_task(_publish_changes(world["task_id"], world["project_id"],
                                                     stop))
    loop = Loop(TasksState.follow_list.fn(BackgroundProxy(state)))
    try:
        await asyncio.sleep(0.6)
        assert not loop.task.done(), "the list loop stopped while its tab was there"
        assert live_loops.running("list") == 1
        tab["connected"] = False
        gone_at = time.monotonic()
        assert await loop.ended_within(live_loops.GONE_AFTER_SECONDS + STEP_SECONDS), \
            "the list loop still runs after its tab went away"
        assert time.monotonic() - gone_at >= live_loops.GONE_AFTER_SECONDS - 0.1
    finally:
        stop.set()
        await loop.close()
        await publisher
    assert live_loops.running() == 0
    # A tab that comes back finds its loop ended: the next watchdog tick restarts it.
    restart = await run_handler(TasksState.event_handlers["ensure_list"], state)
    assert restart is not None and "follow_list" in repr(restart)


@pytest.mark.asyncio
async def test_task_page_loop_ends_soon_after_its_tab_goes(world, engine, monkeypatch):  # noqa: F811
    from clawweb.state import task_live
    from clawweb.state.task_live import TaskLiveState

    tab = _tab(monkeypatch)
    monkeypatch.setattr(task_live, "_script", lambda gen, op: ("op", gen, op))
    _, state = new_state(TaskLiveState, world["token"])
    stop = asyncio.Event()
    publisher = asyncio.create_task(_publish_output(world["task_id"], stop))
    loop = Loop(TaskLiveState.start_live.fn(BackgroundProxy(state), world["task_id"]))
    try:
        deadline = time.monotonic() + 10
        while state.line_count < 5:
            assert time.monotonic() < deadline, "the task loop never streamed"
            await asyncio.sleep(0.02)
        assert live_loops.running("task") == 1
        tab["connected"] = False
        assert await loop.ended_within(live_loops.GONE_AFTER_SECONDS + STEP_SECONDS), \
            "the task page loop still runs after its tab went away"
    finally:
        stop.set()
        await loop.close()
        await publisher
    assert live_loops.running() == 0
    # A tab that comes back finds its loop ended: the next watchdog tick restarts it.
    restart = await run_handler(TaskLiveState.event_handlers["ensure_live"], state)
    assert restart is not None and "start_live" in repr(restart)

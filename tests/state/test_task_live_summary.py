"""The task page header's elapsed and phone summary row say only what is true and known."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import reflex  # noqa: F401 - a missing Reflex must fail these tests, never skip them

from tests.support.reflex_state import new_state


def _state():
    from clawweb.state.task_live import TaskLiveState

    return new_state(TaskLiveState)[1]


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).isoformat()


def _detail(**over) -> dict:
    base = {"id": 7, "project_name": "P", "kind": "shell", "status": "running",
            "queued_at": _iso(time.time() - 30), "started_ts": 0.0, "finished_ts": 0.0,
            "exit_code": "", "finished": False}
    return {**base, **over}


def test_a_queued_task_shows_how_long_it_has_waited():
    state = _state()
    state._show(7, _detail(status="queued", queued_at=_iso(time.time() - 12)))
    assert state.elapsed == state.tr("ui_tasks.elapsed_queued", time="0:12")
    assert "0:12" in state.elapsed


def test_a_task_that_never_started_shows_a_dash_not_a_blank():
    state = _state()
    state._show(7, _detail(status="cancelled", finished=True, finished_ts=time.time()))
    assert state.elapsed == "—"
    assert state.summary == []  # the summary row leaves the unknown out


def test_a_running_task_shows_its_clock_and_exit_code_when_done():
    state = _state()
    start = time.time() - 65
    state._show(7, _detail(started_ts=start))
    assert state.elapsed == "1:05" and state.summary == ["1:05"]
    state._show(7, _detail(started_ts=start, finished_ts=start + 65, finished=True,
                           status="failed", exit_code="3"))
    assert state.summary == ["1:05", state.tr("ui_tasks.summary_exit", code="3")]


def test_the_summary_shows_cost_only_when_known_and_nonzero():
    state = _state()
    start = time.time() - 5
    state._show(7, _detail(kind="claude", started_ts=start, finished_ts=start + 5))
    assert state.conv_cost == "—" and state.conv_tokens == "—"  # no usage yet: no zeros
    assert state.summary == ["0:05"]
    state._set({"conv_cost": "$0.0123"})
    assert state.summary == ["0:05", "$0.0123"]

"""Run's answer: the task's live loop and its page first, then the toast and the cleared box.

The browser applies a handler's events in order, so whatever comes before the
redirect (a toast to draw, a box to clear) is drawn on the page being left while
the person waits for the task's. The loop is started by the submit itself, so
the task's first line is already on its way while the browser draws its page;
that page's load keeps the loop instead of starting it again.
"""

from __future__ import annotations

import asyncio
import time
import uuid

import reflex  # noqa: F401 - a missing Reflex must fail these tests, never skip them
from sqlmodel import Session, select

from clawweb import routes
from clawweb.models import Task
from tests.state.test_agent_ui_state import _state, world  # noqa: F401
from tests.state.test_authorization import _events, _redirect_path
from tests.support.reflex_state import visit


def _submit(world, engine):
    from clawweb.state.task_list import TasksState
    from clawweb.state.task_live import TaskLiveState

    token, _user_id, project_id = world
    root, state = _state(TasksState, token, f"/projects/{project_id}")
    state.list_project, state.submit_mode = project_id, "shell"
    result = asyncio.run(TasksState.event_handlers["submit_task"].fn(
        state, {"command": "echo hi", "idempotency_key": uuid.uuid4().hex}))
    assert state.submit_error == ""
    with Session(engine) as s:
        task_id = s.exec(select(Task.id)).one()
    live = root.get_substate(TaskLiveState.get_full_name().split("."))
    return root, live, task_id, _events(result)


def _names(events) -> list[str]:
    return [e.handler.fn.__qualname__ for e in events]


def test_run_answers_with_the_loop_and_the_task_page_before_anything_else(world, engine):
    _root, live, task_id, events = _submit(world, engine)
    assert _names(events[:1]) == ["TaskLiveState.start_live"], _names(events)
    assert {str(k): v._var_value for k, v in events[0].args} == {"task_id": task_id}
    assert _redirect_path(events[1:2]) == routes.task(task_id), _names(events)
    assert len(events) == 4  # and the toast and the cleared box still come
    # The task page's header is there before the browser has left the project page.
    assert (live.task["id"], live.task["command"]) == (task_id, "echo hi")


def test_the_task_page_keeps_the_loop_its_submit_started(world, engine):
    from clawweb.state.task_page import TaskPageState

    root, live, task_id, _ = _submit(world, engine)
    page = root.get_substate(TaskPageState.get_full_name().split("."))
    gen = page._gen
    visit(page, f"/tasks/{task_id}")
    assert asyncio.run(TaskPageState.event_handlers["load_task"].fn(page)) is None
    assert page._gen == gen  # the running loop was not stopped
    assert page.rerun_key and page.task["id"] == task_id
    # A reload of the page (nothing submitted since) starts a loop of its own.
    result = asyncio.run(TaskPageState.event_handlers["load_task"].fn(page))
    assert _names(_events(result)) == ["TaskLiveState.start_live"]
    assert page._gen == gen + 1


def test_a_submitted_loop_waits_on_the_page_it_came_from_and_nowhere_else(world, engine):
    _root, live, task_id, _ = _submit(world, engine)
    path = routes.task(task_id).rstrip("/")
    here = live.router.url.path
    assert live._on_page(path)  # still on the project page, its task page on the way
    visit(live, "/account")
    assert not live._on_page(path)  # went elsewhere instead
    visit(live, here)
    live._opening_until = time.time() - 1
    assert not live._on_page(path)  # the task page never came
    visit(live, f"/tasks/{task_id}")
    assert live._on_page(path)

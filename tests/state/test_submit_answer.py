"""Run's answer: the task page first, then the toast and the cleared box.

The browser applies a handler's events in order, so whatever comes before the
redirect (a toast to draw, a box to clear) is drawn on the page being left while
the person waits for the task's.
"""

from __future__ import annotations

import uuid

import reflex  # noqa: F401 - a missing Reflex must fail these tests, never skip them
from sqlmodel import Session, select

from clawweb import routes
from clawweb.models import Task
from tests.state.test_agent_ui_state import _state, world  # noqa: F401
from tests.state.test_authorization import _events, _redirect_path


def test_run_answers_with_the_task_page_before_anything_else(world, engine):
    from clawweb.state.task_list import TasksState

    token, _user_id, project_id = world
    _, state = _state(TasksState, token, f"/projects/{project_id}")
    state.list_project, state.submit_mode = project_id, "shell"
    result = TasksState.event_handlers["submit_task"].fn(
        state, {"command": "echo hi", "idempotency_key": uuid.uuid4().hex})
    assert state.submit_error == ""
    with Session(engine) as s:
        task_id = s.exec(select(Task.id)).one()
    events = _events(result)
    assert _redirect_path(events[:1]) == routes.task(task_id), \
        [e.handler.fn.__qualname__ for e in events]
    assert len(events) == 3  # and the toast and the cleared box still come

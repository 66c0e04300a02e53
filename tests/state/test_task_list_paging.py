"""The project page's task list pages: newest first, a page at a time, the count of all."""

from __future__ import annotations

import reflex  # noqa: F401 - a missing Reflex must fail these tests, never skip them
from sqlmodel import Session

from clawweb.models import Project, Task, TaskStatus
from tests.state.test_agent_ui_state import _state, world  # noqa: F401


def _tasks(engine, project_id: int, user_id: int, n: int) -> list[int]:
    with Session(engine) as s:
        rows = [Task(project_id=project_id, created_by=user_id, command=f"echo {i}",
                     status=TaskStatus.succeeded if i % 2 else TaskStatus.failed)
                for i in range(n)]
        s.add_all(rows)
        other = Project(name="Other", slug="other")  # its tasks count nowhere here
        s.add(other)
        s.flush()
        s.add(Task(project_id=other.id, created_by=user_id, command="elsewhere"))
        s.commit()
        return [t.id for t in rows]


def test_the_project_list_pages_newest_first_with_the_count_of_all(world, engine):
    from clawweb.state.task_list import PAGE_SIZE, TasksState

    token, user_id, project_id = world
    ids = _tasks(engine, project_id, user_id, PAGE_SIZE * 2 + 5)
    _, state = _state(TasksState, token, f"/projects/{project_id}")
    handlers = TasksState.event_handlers
    handlers["load_project_tasks"].fn(state)
    newest = sorted(ids, reverse=True)
    assert [r["id"] for r in state.rows] == newest[:PAGE_SIZE]
    assert (state.task_total, state.page_first, state.has_older, state.has_newer) == (
        len(ids), 1, True, False)
    handlers["older_tasks"].fn(state)
    assert [r["id"] for r in state.rows] == newest[PAGE_SIZE:PAGE_SIZE * 2]
    assert (state.page_first, state.has_older, state.has_newer) == (PAGE_SIZE + 1, True, True)
    handlers["older_tasks"].fn(state)
    assert [r["id"] for r in state.rows] == newest[PAGE_SIZE * 2:]
    assert (state.page_first, state.has_older) == (PAGE_SIZE * 2 + 1, False)
    handlers["older_tasks"].fn(state)  # nothing older: stays
    assert state.page_first == PAGE_SIZE * 2 + 1
    handlers["newer_tasks"].fn(state)
    handlers["newer_tasks"].fn(state)
    assert [r["id"] for r in state.rows] == newest[:PAGE_SIZE] and not state.has_newer


def test_a_filter_counts_and_pages_its_own_tasks_from_the_newest(world, engine):
    from clawweb.state.task_list import PAGE_SIZE, TasksState

    token, user_id, project_id = world
    ids = _tasks(engine, project_id, user_id, PAGE_SIZE * 2 + 5)
    _, state = _state(TasksState, token, f"/projects/{project_id}")
    handlers = TasksState.event_handlers
    handlers["load_project_tasks"].fn(state)
    handlers["older_tasks"].fn(state)
    handlers["set_status_filter"].fn(state, "failed")
    failed = sorted(ids[0::2], reverse=True)
    assert [r["id"] for r in state.rows] == failed[:PAGE_SIZE]
    assert (state.task_total, state.page_first) == (len(failed), 1)

"""The task page's load: its own state's on_load, the header read once, the loop chained.

Against a real redis-server and database, no browser: the handler the app
registered for ``/tasks/[task_id]`` runs as Reflex would run it, then the loop
it chains starts as a background event.
"""

from __future__ import annotations

import pytest
import reflex  # noqa: F401 - a missing Reflex must fail these tests, never skip them
from sqlmodel import Session

from clawweb import routes
from clawweb.models import Project, ProjectMember, ProjectRole, Task, TaskStatus, User, utcnow

from tests.support.reflex_state import BackgroundProxy, new_state, run_handler, visit


@pytest.fixture
def world(engine, redis_url, fast_hashing):
    from clawweb.services.accounts import auth_sessions, passwords

    with Session(engine) as s:
        user = User(username="alice", password_hash=passwords.hash_password("alice pw 12345"))
        project = Project(name="P", slug="p")
        s.add_all([user, project])
        s.flush()
        s.add(ProjectMember(project_id=project.id, user_id=user.id, role=ProjectRole.owner))
        task = Task(project_id=project.id, created_by=user.id, command="seq 1 5",
                    status=TaskStatus.running, started_at=utcnow())
        s.add(task)
        s.commit()
        _, token = auth_sessions.sign_in(session=s, username="alice",
                                         password="alice pw 12345", ip="", user_agent="")
        s.commit()
        return token, task.id


def _page_load():
    """The task page's own on_load handler (besides sign-in and the attachments' list)."""
    from clawweb import clawweb as app_module

    route = routes.TASK.strip("/")
    [load] = [h for h in app_module.app._load_events[route] if h.fn.__name__ == "load_task"]
    return load


def _state_class(name: str):
    from clawweb.state.base import AppState

    def walk(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from walk(sub)
    [cls] = [c for c in walk(AppState) if c.__name__ == name]
    return cls


def test_the_task_page_loads_on_the_task_page_state():
    """Not on the list's state: the page's load belongs to the page, over the live loop."""
    from clawweb.state.task_live import TaskLiveState

    owner = _state_class(_page_load().fn.__qualname__.split(".")[0])
    assert owner.__name__ == "TaskPageState"
    assert owner.get_parent_state() is TaskLiveState


@pytest.mark.asyncio
async def test_a_page_load_reads_the_header_once(world, monkeypatch):
    from clawweb.services.tasks import views
    from clawweb.state.task_live import TaskLiveState

    token, task_id = world
    calls = []
    real = views.task_detail

    def counted(session, task, **kw):
        calls.append(task.id)
        return real(session, task, **kw)

    monkeypatch.setattr(views, "task_detail", counted)
    load = _page_load()
    root, state = new_state(_state_class(load.fn.__qualname__.split(".")[0]), token)
    visit(state, routes.task(task_id))
    chained = await run_handler(load, state)
    live = root.get_substate(TaskLiveState.get_full_name().split("."))
    assert live.task["id"] == task_id and live.task_error == ""
    assert "start_live" in repr(chained)
    loop = TaskLiveState.start_live.fn(BackgroundProxy(live), task_id)
    try:
        first = await loop.__anext__()  # the terminal's reset: the loop is running
    finally:
        await loop.aclose()
    assert "reset" in repr(first)
    assert calls == [task_id], f"the header was read {len(calls)} times for one page load"


@pytest.mark.asyncio
async def test_a_restarted_loop_reads_a_fresh_header(world, monkeypatch):
    """A resync or watchdog restart does not trust a header it showed long ago."""
    from clawweb.services.tasks import views
    from clawweb.state.task_live import TaskLiveState

    token, task_id = world
    load = _page_load()
    root, state = new_state(_state_class(load.fn.__qualname__.split(".")[0]), token)
    visit(state, routes.task(task_id))
    await run_handler(load, state)
    live = root.get_substate(TaskLiveState.get_full_name().split("."))
    for _ in range(2):  # the page's own start, then a restart
        calls = []
        real = views.task_detail
        monkeypatch.setattr(views, "task_detail",
                            lambda s, t, real=real, **kw: calls.append(t.id) or real(s, t, **kw))
        loop = TaskLiveState.start_live.fn(BackgroundProxy(live), task_id)
        try:
            await loop.__anext__()
        finally:
            await loop.aclose()
        monkeypatch.setattr(views, "task_detail", real)
    assert calls == [task_id]

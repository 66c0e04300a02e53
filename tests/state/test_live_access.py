"""Background loops end, on the server, when their caller loses access.

The page's heartbeat is the client's courtesy; these tests send none. A task's
output loop and a task-list loop run against a real redis-server and database
while output and task changes keep arriving; then the caller loses access
(session revoked, user disabled, membership removed, password reset to
must-change) and the loop must clear what it put in state and stop within 2 s.
"""

from __future__ import annotations

import asyncio
import inspect
import time

import pytest
from sqlmodel import Session, select

from clawweb import streams
from clawweb.models import (AuthSession, Project, ProjectMember, ProjectRole, Role, Task,
                            TaskStatus, User, utcnow)

from tests.support.reflex_state import BackgroundProxy, new_state, run_handler, visit

LOSSES = ["session_revoked", "user_disabled", "membership_removed", "must_change_password"]
BOUND_SECONDS = 2.0


@pytest.fixture
def world(engine, redis_url, fast_hashing):
    """alice (member, editor of P) with a running task in P; her session token."""
    from clawweb.services.accounts import auth_sessions, passwords

    with Session(engine) as s:
        user = User(username="alice", password_hash=passwords.hash_password("alice pw 12345"))
        project = Project(name="P", slug="p")
        s.add_all([user, project])
        s.flush()
        s.add(ProjectMember(project_id=project.id, user_id=user.id, role=ProjectRole.editor))
        task = Task(project_id=project.id, created_by=user.id, command="yes",
                    status=TaskStatus.running, started_at=utcnow())
        s.add(task)
        s.commit()
        _, token = auth_sessions.sign_in(session=s, username="alice",
                                         password="alice pw 12345", ip="", user_agent="")
        s.commit()
        return {"token": token, "user_id": user.id, "project_id": project.id,
                "task_id": task.id}


def lose_access(engine, world, loss: str) -> None:
    """Take access away the way an admin or the user would, straight in the database."""
    with Session(engine) as s:
        user = s.get(User, world["user_id"])
        if loss == "session_revoked":
            for row in s.exec(select(AuthSession).where(AuthSession.user_id == user.id)):
                row.revoked_at = utcnow()
                s.add(row)
        elif loss == "user_disabled":
            user.disabled = True  # alone, without revoking the sessions
        elif loss == "must_change_password":
            user.must_change_password = True
        else:
            member = s.exec(select(ProjectMember).where(
                ProjectMember.user_id == user.id,
                ProjectMember.project_id == world["project_id"])).one()
            s.delete(member)
        s.add(user)
        s.commit()


async def _publish_output(task_id: int, stop: asyncio.Event) -> None:
    from clawweb import redis_conn

    seq = 0
    while not stop.is_set():
        seq += 1
        event = streams.Event(seq=seq, type="output",
                              data={"stream": "stdout", "text": f"line-{seq}\n"})
        await asyncio.to_thread(streams.publish, redis_conn.get_redis(), task_id, [event])
        await asyncio.sleep(0.05)


async def _publish_changes(task_id: int, project_id: int, stop: asyncio.Event) -> None:
    from clawweb import redis_conn

    while not stop.is_set():
        await asyncio.to_thread(streams.publish_task_change, redis_conn.get_redis(),
                                task_id, project_id, "running")
        await asyncio.sleep(0.1)


async def _until(predicate, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "the loop never started streaming"
        await asyncio.sleep(0.02)


class Loop:
    """Runs a background handler's generator and records what it yields, and when."""

    def __init__(self, agen):
        self.agen = agen
        self.yielded: list[tuple[float, object]] = []
        self.result = None
        self.task = asyncio.create_task(self._drain())

    async def _drain(self):
        if not inspect.isasyncgen(self.agen):
            self.result = await self.agen  # a loop that yields nothing (it only sets vars)
            return
        async for item in self.agen:
            self.yielded.append((time.monotonic(), item))

    async def ended_within(self, seconds: float) -> bool:
        done, _ = await asyncio.wait({self.task}, timeout=seconds)
        if self.task in done:
            self.task.result()  # a crash is not a clean stop
            return True
        return False

    async def close(self):
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


def _with_path(state, path: str):
    visit(state, path)


@pytest.mark.asyncio
@pytest.mark.parametrize("loss", LOSSES)
async def test_task_output_loop_stops_within_2s_of_losing_access(world, engine, monkeypatch,
                                                                 loss):
    from clawweb.state import task_live
    from clawweb.state.task_live import TaskLiveState

    monkeypatch.setattr(task_live, "_script", lambda gen, op: ("op", gen, op))
    _, state = new_state(TaskLiveState, world["token"])
    stop = asyncio.Event()
    publisher = asyncio.create_task(_publish_output(world["task_id"], stop))
    loop = Loop(TaskLiveState.start_live.fn(BackgroundProxy(state), world["task_id"]))
    try:
        await _until(lambda: state.line_count >= 5, 10)
        assert state.task.get("id") == world["task_id"]
        await asyncio.to_thread(lose_access, engine, world, loss)
        lost_at = time.monotonic()
        assert await loop.ended_within(BOUND_SECONDS), \
            f"the output loop still runs {BOUND_SECONDS}s after {loss}"
    finally:
        stop.set()
        await loop.close()
        await publisher
    # What the loop put in state is gone, and the browser's terminal is told to clear.
    assert state.task == {} and state.line_count == 0 and state.conv_items == []
    ops = [(t, item[2]) for t, item in loop.yielded if isinstance(item, tuple)]
    assert ops and ops[-1][1].get("reset") and not ops[-1][1].get("append")
    late = [op for t, op in ops if t > lost_at + BOUND_SECONDS]
    assert not late, f"ops sent more than {BOUND_SECONDS}s after {loss}: {late[:2]}"
    signed_out = loss in ("session_revoked", "user_disabled")
    assert ("/login" in repr(loop.yielded[-1][1])) is signed_out
    assert state.task_error  # the page says why it is empty


@pytest.mark.asyncio
@pytest.mark.parametrize("loss", LOSSES)
async def test_project_task_list_loop_stops_within_2s_of_losing_access(world, engine, loss):
    from clawweb.state.task_list import TasksState

    _, state = new_state(TasksState, world["token"])
    _with_path(state, f"/projects/{world['project_id']}")
    follow = await run_handler(TasksState.event_handlers["load_project_tasks"], state)
    assert [r["id"] for r in state.rows] == [world["task_id"]]
    assert follow is TasksState.follow_list or "follow_list" in repr(follow)
    stop = asyncio.Event()
    publisher = asyncio.create_task(_publish_changes(world["task_id"], world["project_id"],
                                                     stop))
    loop = Loop(TasksState.follow_list.fn(BackgroundProxy(state)))
    try:
        await asyncio.sleep(0.6)  # following: reloading on every change
        assert not loop.task.done(), "the list loop stopped before access was lost"
        await asyncio.to_thread(lose_access, engine, world, loss)
        assert await loop.ended_within(BOUND_SECONDS), \
            f"the list loop still runs {BOUND_SECONDS}s after {loss}"
    finally:
        stop.set()
        await loop.close()
        await publisher
    assert state.rows == []
    assert ("/login" in repr(loop.result)) is (loss in ("session_revoked", "user_disabled"))


@pytest.mark.asyncio
async def test_list_of_every_project_drops_a_lost_project_within_2s(world, engine):
    """/tasks: losing one project shrinks the list at once (other projects stay)."""
    from clawweb.state.task_list import TasksState

    with Session(engine) as s:
        other = Project(name="Q", slug="q")
        s.add(other)
        s.flush()
        s.add(ProjectMember(project_id=other.id, user_id=world["user_id"],
                            role=ProjectRole.viewer))
        kept = Task(project_id=other.id, created_by=world["user_id"], command="true",
                    status=TaskStatus.succeeded)
        s.add(kept)
        s.commit()
        kept_id = kept.id
    _, state = new_state(TasksState, world["token"])
    _with_path(state, "/tasks")
    await run_handler(TasksState.event_handlers["load_tasks"], state)
    assert {r["id"] for r in state.rows} == {world["task_id"], kept_id}
    loop = Loop(TasksState.follow_list.fn(BackgroundProxy(state)))
    try:
        await asyncio.sleep(0.3)
        await asyncio.to_thread(lose_access, engine, world, "membership_removed")
        deadline = time.monotonic() + BOUND_SECONDS
        while time.monotonic() < deadline and len(state.rows) != 1:
            await asyncio.sleep(0.05)
        assert [r["id"] for r in state.rows] == [kept_id], \
            f"rows of the lost project still shown {BOUND_SECONDS}s later"
        assert not loop.task.done()  # the list itself is still the user's
    finally:
        await loop.close()


def test_lists_across_projects_honour_disabled(world, engine):
    """A disabled user's (even an admin's) cross-project lists are refused."""
    from clawweb.services import approvals
    from clawweb.services.tasks import service as tasks
    from clawweb.services.errors import ServiceError

    with Session(engine, expire_on_commit=False) as s:
        user = s.get(User, world["user_id"])
        user.role, user.disabled = Role.admin, True
        s.add(user)
        s.commit()
        with pytest.raises(ServiceError):
            tasks.list_tasks(session=s, user=user, project_id=None)
        assert tasks.visible_project_ids(s, user) == []
        assert approvals.pending_for(session=s, user=user) == []


@pytest.mark.parametrize("loss", LOSSES)
def test_every_loss_of_access_raises_the_access_signal(world, engine, loss):
    """The loops re-check at once because each kind of loss moves one Redis counter."""
    from clawweb import redis_conn

    r = redis_conn.get_redis()
    before = r.get(streams.access_version_key())
    lose_access(engine, world, loss)
    assert r.get(streams.access_version_key()) != before


def test_a_session_seen_again_raises_no_access_signal(world, engine):
    """The heartbeat's ``last_seen_at`` touch is no access change (the loops stay quiet)."""
    from clawweb import redis_conn

    r = redis_conn.get_redis()
    before = r.get(streams.access_version_key())
    with Session(engine) as s:
        for row in s.exec(select(AuthSession).where(AuthSession.user_id == world["user_id"])):
            row.last_seen_at = utcnow()
            s.add(row)
        s.commit()
    assert r.get(streams.access_version_key()) == before


def test_a_bulk_update_of_a_watched_table_raises_the_access_signal(world, engine):
    """``update(User)`` skips the flush: the statement hook raises the signal instead."""
    from sqlalchemy import update

    from clawweb import redis_conn

    r = redis_conn.get_redis()
    before = r.get(streams.access_version_key())
    with Session(engine) as s:
        s.exec(update(User).where(User.id == world["user_id"]).values(disabled=True))
        s.commit()
    assert r.get(streams.access_version_key()) != before

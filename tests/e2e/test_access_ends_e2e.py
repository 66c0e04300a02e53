"""Access ends on the server, within 2 s, for a client that ignores the heartbeat.

The client here is a raw event WebSocket (``EventSocket``): it hydrates a task
page (or the task list) with a valid session, as a browser would, and then
sends nothing at all, no heartbeat, no watchdog. While the task keeps
producing output, the session is revoked (or the user disabled, or their
membership removed) through the services; from 2 s later on, the server must
send this client nothing more about the task.
"""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from tests.e2e.conftest import make_user
from tests.e2e.harness import EventSocket, TaskFeeder, state_delta

PASSWORD = "access ends e2e pw 1"
BOUND_SECONDS = 2.0
QUIET_SECONDS = 4.0  # how long after the bound we listen for stray updates


@pytest.fixture
def member(app_env, admin_account):
    """A member with a signed-in session, an editor of a project with a running task."""
    from clawweb.db import session_scope
    from clawweb.models import ProjectMember, ProjectRole, Task, TaskStatus, User, utcnow
    from clawweb.services.accounts import auth_sessions
    from clawweb.services.projects import members, service as projects
    from sqlmodel import select

    name = f"gone-{uuid.uuid4().hex[:6]}"
    user_id = make_user(name, PASSWORD)
    with session_scope() as s:
        admin = s.exec(select(User).where(User.username == admin_account[0])).one()
        project = projects.create_project(session=s, user=admin, name=f"Access {name}")
        s.add(ProjectMember(project_id=project.id, user_id=user_id, role=ProjectRole.editor))
        task = Task(project_id=project.id, created_by=user_id, command="yes line",
                    status=TaskStatus.running, started_at=utcnow())
        s.add(task)
        s.flush()
        ids = {"user_id": user_id, "project_id": project.id, "task_id": task.id,
               "admin_id": admin.id}
    with session_scope() as s:
        _, token = auth_sessions.sign_in(session=s, username=name, password=PASSWORD,
                                         ip="127.0.0.1", user_agent="raw socket")
    return {**ids, "token": token}


def _take_access(member: dict, how: str) -> None:
    """The real service calls an admin or the user would make."""
    from clawweb.db import session_scope
    from clawweb.models import AuthSession, User
    from clawweb.services.accounts import auth_sessions, users as accounts
    from clawweb.services.projects import members, service as projects
    from sqlmodel import select

    with session_scope() as s:
        admin = s.get(User, member["admin_id"])
        if how == "session_revoked":
            row = s.exec(select(AuthSession).where(
                AuthSession.token_hash == auth_sessions.hash_token(member["token"]))).one()
            auth_sessions.revoke(session=s, actor=admin, session_id=row.id)
        elif how == "user_disabled":
            accounts.set_disabled(session=s, actor=admin, user_id=member["user_id"],
                                  disabled=True)
        else:
            members.remove_member(session=s, user=admin, project_id=member["project_id"],
                                  user_id=member["user_id"])


def _about_the_task(update: dict) -> bool:
    """An update carrying the task page's vars or a terminal op."""
    from clawweb.state.task_live import TaskLiveState

    ops = [e for e in update.get("events") or []
           if e.get("name") == "_call_script"
           and "clawwebTerm" in str((e.get("payload") or {}).get("javascript_code", ""))]
    return bool(state_delta(update, TaskLiveState) or ops)


def _shows_output(update: dict) -> bool:
    return any("line-" in str(e.get("payload")) for e in update.get("events") or [])


@pytest.mark.parametrize("how", ["session_revoked", "user_disabled", "membership_removed"])
def test_task_stream_stops_within_2s_for_a_client_that_sends_no_heartbeat(app_env, member,
                                                                          how):
    feeder = TaskFeeder([member["task_id"]])
    sock = EventSocket(app_env, f"/tasks/{member['task_id']}/", member["token"])
    try:
        first = sock.wait_for(_shows_output, timeout=60)  # the page's loop streams to us
        sock.wait_for(_shows_output, timeout=10, since=first + 1)  # and keeps streaming
        _take_access(member, how)
        lost_at, seq_at_loss = time.monotonic(), feeder.seq[member["task_id"]]
        time.sleep(BOUND_SECONDS + QUIET_SECONDS)
        late = [u for t, u in sock.updates if t > lost_at + BOUND_SECONDS and _about_the_task(u)]
        assert feeder.seq[member["task_id"]] - seq_at_loss >= 30  # the task kept writing
        assert not late, (f"{len(late)} updates about the task reached the client more than "
                          f"{BOUND_SECONDS}s after {how}; first: {str(late[0])[:300]}")
    finally:
        feeder.stop()
        sock.close()


def test_task_list_stops_within_2s_for_a_client_that_sends_no_heartbeat(app_env, member):
    """/tasks follows task changes; a revoked session ends that too."""
    from clawweb import redis_conn, streams
    from clawweb.db import session_scope
    from clawweb.models import Task, TaskStatus
    from clawweb.state.task_list import TasksState

    redis = redis_conn.get_redis()
    stop = threading.Event()

    def churn():  # the task's status flips, so every reload is a real change
        flip = False
        while not stop.is_set():
            flip = not flip
            with session_scope() as s:
                task = s.get(Task, member["task_id"])
                task.status = TaskStatus.awaiting_approval if flip else TaskStatus.running
                s.add(task)
            streams.publish_task_change(redis, member["task_id"], member["project_id"],
                                        task.status.value)
            stop.wait(0.4)

    feeder = TaskFeeder([member["task_id"]], per_second=2)  # its worker, alive
    sock = EventSocket(app_env, "/tasks/", member["token"])
    thread = threading.Thread(target=churn, daemon=True)
    thread.start()
    try:
        listed = sock.wait_for(lambda u: "rows" in state_delta(u, TasksState), timeout=60)
        sock.wait_for(lambda u: "rows" in state_delta(u, TasksState), timeout=10,
                      since=listed + 1)  # it follows the changes
        _take_access(member, "session_revoked")
        lost_at = time.monotonic()
        time.sleep(BOUND_SECONDS + QUIET_SECONDS)
        late = [u for t, u in sock.updates
                if t > lost_at + BOUND_SECONDS and state_delta(u, TasksState)]
        assert not late, f"the task list kept updating after the revocation: {late[0]}"
    finally:
        stop.set()
        thread.join(5)
        feeder.stop()
        sock.close()

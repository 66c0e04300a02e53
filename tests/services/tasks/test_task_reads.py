"""Task reads: how many SQL statements they cost, and that folding the access check
into the query neither leaks a task nor serves a stale one."""

from __future__ import annotations

import contextlib

import pytest
from sqlalchemy import event, update

from clawweb.models import Project, ProjectMember, ProjectRole, Role, Task, TaskStatus, User
from clawweb.services.errors import NotFound, PermissionDenied
from clawweb.services.tasks import reads, service as tasks


@contextlib.contextmanager
def statements(engine):
    """The SQL statements the block sent to ``engine``."""
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


@pytest.fixture
def world(session):
    users = {n: User(username=n) for n in ("alice", "vera", "mallory")}
    users["root"] = User(username="root", role=Role.admin)
    session.add_all(users.values())
    mine, other = Project(name="P", slug="p"), Project(name="Q", slug="q")
    session.add_all([mine, other])
    session.flush()
    session.add_all([
        ProjectMember(project_id=mine.id, user_id=users["alice"].id, role=ProjectRole.editor),
        ProjectMember(project_id=mine.id, user_id=users["vera"].id, role=ProjectRole.viewer),
        ProjectMember(project_id=other.id, user_id=users["mallory"].id,
                      role=ProjectRole.owner)])
    session.commit()
    for user in users.values():
        # Callers hold a user of their own (the REST caller's copy, the page's), not this
        # session's: expire_all here must not turn reading its role into a statement.
        session.expunge(user)
    return users, mine, other


def _add_tasks(session, project, n, **values):
    rows = [Task(project_id=project.id, command=f"echo {i}", title=f"echo {i}", **values)
            for i in range(n)]
    session.add_all(rows)
    session.commit()
    return [t.id for t in rows]


def test_get_task_is_one_statement(engine, session, world):
    users, mine, _ = world
    task_id = _add_tasks(session, mine, 1)[0]
    session.expire_all()
    with statements(engine) as seen:
        assert tasks.get_task(session=session, user=users["vera"], task_id=task_id).id == task_id
    assert len(seen) == 1, seen


@pytest.mark.parametrize("project_filter", [False, True])
def test_a_list_is_one_statement_whatever_its_length(engine, session, world, project_filter):
    users, mine, _ = world
    project_id = mine.id if project_filter else None
    counts = []
    for n in (1, 30):
        _add_tasks(session, mine, n)
        for list_fn in (tasks.list_tasks, reads.list_task_rows):
            with statements(engine) as seen:
                found = list_fn(session=session, user=users["vera"], project_id=project_id,
                                limit=500)
            assert len(found) == (1 if n == 1 else 31)
            counts.append(len(seen))
    assert counts == [1, 1, 1, 1], counts


def test_get_task_reads_the_row_as_it_is_now(session, world):
    """What the dropped ``refresh`` did: a task this session already holds is read again."""
    users, mine, _ = world
    task_id = _add_tasks(session, mine, 1)[0]
    held = tasks.get_task(session=session, user=users["alice"], task_id=task_id)
    assert held.status == TaskStatus.queued
    with session.get_bind().begin() as conn:  # another writer (the worker), not this session
        conn.execute(update(Task).where(Task.id == task_id).values(status=TaskStatus.running,
                                                                   exit_code=3))
    again = tasks.get_task(session=session, user=users["alice"], task_id=task_id)
    assert (again.status, again.exit_code) == (TaskStatus.running, 3)


def test_strangers_get_not_found_and_an_empty_list(session, world):
    users, mine, other = world
    secret = _add_tasks(session, other, 2)
    visible = _add_tasks(session, mine, 2)
    for fn in (tasks.list_tasks, reads.list_task_rows):
        assert sorted(_ids(fn(session=session, user=users["vera"]))) == visible
        assert sorted(_ids(fn(session=session, user=users["mallory"]))) == secret
        assert sorted(_ids(fn(session=session, user=users["root"]))) == sorted(secret + visible)
        with pytest.raises(NotFound):  # not even an empty page: that would say it exists
            fn(session=session, user=users["vera"], project_id=other.id)
        with pytest.raises(NotFound):
            fn(session=session, user=users["root"], project_id=10_000)
        assert fn(session=session, user=users["root"], project_id=other.id)
    for task_id in secret:
        with pytest.raises(NotFound):
            tasks.get_task(session=session, user=users["alice"], task_id=task_id)
        with pytest.raises(NotFound):
            reads.get_task_row(session=session, user=users["alice"], task_id=task_id)
        assert tasks.get_task(session=session, user=users["root"], task_id=task_id).id == task_id
    with pytest.raises(NotFound):
        tasks.get_task(session=session, user=users["alice"], task_id=10_000)


def test_an_empty_project_of_a_member_is_an_empty_list(session, world):
    users, mine, _ = world
    for fn in (tasks.list_tasks, reads.list_task_rows):
        assert fn(session=session, user=users["vera"], project_id=mine.id) == []


def test_a_disabled_user_reads_nothing(session, world):
    users, mine, _ = world
    task_id = _add_tasks(session, mine, 1)[0]
    vera = users["vera"]
    vera.disabled = True
    for fn in (tasks.list_tasks, reads.list_task_rows):
        with pytest.raises(PermissionDenied):
            fn(session=session, user=vera)
    for fn in (tasks.get_task, reads.get_task_row):
        with pytest.raises(PermissionDenied):
            fn(session=session, user=vera, task_id=task_id)


def test_rows_carry_the_filters_of_the_list(session, world):
    users, mine, _ = world
    done = _add_tasks(session, mine, 3, status=TaskStatus.succeeded)
    _add_tasks(session, mine, 2, status=TaskStatus.running)
    rows = reads.list_task_rows(session=session, user=users["vera"], status=["succeeded"],
                                limit=2)
    assert _ids(rows) == [done[2], done[1]]
    rows = reads.list_task_rows(session=session, user=users["vera"], status="succeeded",
                                before_id=done[1])
    assert _ids(rows) == [done[0]]
    assert _ids(rows) == _ids(tasks.list_tasks(session=session, user=users["vera"],
                                               status="succeeded", before_id=done[1]))


def _ids(found) -> list[int]:
    return [r.id if isinstance(r, Task) else r["id"] for r in found]

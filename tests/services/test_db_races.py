"""Races that SQLite's single writer hides, closed by constraints, not by the checks.

Each test runs the same service call from two threads, each on its own
database connection, and holds both at a barrier right after the service's own
check passed (nobody there yet), so both go on to write: only a constraint can
stop the second. Under CLAWWEB_TEST_DATABASE=postgres they race on a real
PostgreSQL, where the second insert waits on the first's uncommitted row.
"""

from __future__ import annotations

import threading
import uuid

import pytest
from rq import Queue
from rq.serializers import JSONSerializer
from sqlalchemy import func
from sqlmodel import Session, select

from clawweb import streams
from clawweb.models import Project, ProjectMember, ProjectRole, Role, Task, User
from clawweb.services.accounts import setup, users as accounts
from clawweb.services.tasks import service as tasks
from clawweb.services.errors import InvalidInput

pytestmark = pytest.mark.usefixtures("fast_hashing", "fake_redis")

PW = "violet-tractor-sings"


def race(engine, monkeypatch, module, checker: str, call):
    """Run ``call(session, i)`` for i in (0, 1) at once, both past ``module.checker``.

    Returns:
        Per thread: the call's result, or the ServiceError it raised.
    """
    barrier = threading.Barrier(2, timeout=20)
    original = getattr(module, checker)
    passed: dict[str, object] = {}

    def checked(*args, **kwargs):
        result = original(*args, **kwargs)
        me = threading.current_thread().name
        if me.startswith("racer-") and me not in passed:
            passed[me] = result
            barrier.wait()           # both have checked before either writes
        return result

    monkeypatch.setattr(module, checker, checked)
    results: list = [None, None]

    def run(i: int) -> None:
        with Session(engine, expire_on_commit=False) as s:
            try:
                results[i] = call(s, i)
                s.commit()
            except InvalidInput as exc:
                s.rollback()
                results[i] = exc

    threads = [threading.Thread(target=run, args=(i,), name=f"racer-{i}") for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(passed) == 2, "both calls must have passed the service's own check"
    return results


def test_two_first_run_setups_at_once_make_one_admin(session, engine, monkeypatch):
    code = setup.ensure_setup_code(session=session)
    session.commit()

    def first_admin(s, i):
        return setup.create_first_admin(session=s, code=code, username=f"admin{i}",
                                        password=PW, ip=f"127.0.0.{i + 1}")

    results = race(engine, monkeypatch, setup, "needs_setup", first_admin)
    session.expire_all()
    admins = session.exec(select(User).where(User.role == Role.admin)).all()
    assert len(admins) == 1, [a.username for a in admins]
    refused = [r for r in results if isinstance(r, InvalidInput)]
    assert [r.key for r in refused] == ["setup.already_done"]


def test_two_users_whose_names_differ_only_in_case_cannot_both_exist(
        session, engine, monkeypatch):
    admin = User(username="root-admin", role=Role.admin)
    session.add(admin)
    session.commit()

    def create(s, i):
        actor = s.get(User, admin.id)
        return accounts.create_user(session=s, actor=actor, username=("Alice", "alice")[i])[0]

    results = race(engine, monkeypatch, accounts, "ensure_username_free", create)
    session.expire_all()
    names = session.exec(select(User.username).where(
        func.lower(User.username) == "alice")).all()
    assert len(names) == 1, names
    assert [r.key for r in results if isinstance(r, InvalidInput)] == \
        ["accounts.username_taken"]


def test_two_writes_of_names_differing_in_case_are_refused_by_the_database(session):
    """No service check at all: the unique index on lower(username) alone refuses it."""
    from sqlalchemy.exc import IntegrityError

    session.add(User(username="Bob"))
    session.commit()
    session.add(User(username="bOB"))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()


def test_a_double_submit_at_once_makes_one_task_and_one_job(
        session, engine, monkeypatch, fake_redis):
    alice = User(username="alice")
    project = Project(name="P", slug="p", max_concurrent_tasks=5)
    session.add_all([alice, project])
    session.flush()
    session.add(ProjectMember(project_id=project.id, user_id=alice.id, role=ProjectRole.editor))
    session.commit()
    key = uuid.uuid4().hex

    def submit(s, _i):
        user = s.get(User, alice.id)
        return tasks.submit_task(session=s, user=user, project_id=project.id,
                                 command="echo once", idempotency_key=key).id

    results = race(engine, monkeypatch, tasks, "_replayed", submit)
    session.expire_all()
    rows = session.exec(select(Task).where(Task.idempotency_key == key)).all()
    assert len(rows) == 1
    assert results == [rows[0].id, rows[0].id]
    jobs = [j for p in streams.QUEUE_ORDER for j in Queue(
        streams.queue_name(p), connection=fake_redis, serializer=JSONSerializer).job_ids]
    assert len(jobs) == 1, jobs

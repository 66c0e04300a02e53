"""Backup while a real worker runs a shell task, restore onto a fresh data dir.

Everything goes through the operator's commands (``python -m clawweb.manage
backup`` / ``restore`` as subprocesses) against a live system: redis-server,
dockerd with clawweb-runner, git and ``python -m worker``. The restored
installation is then run by a worker of its own (on another Redis database):
the task that was mid-run at backup time is ended by the reaper, and a
follow-up continues the restored task branch.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import uuid

import pytest
from sqlmodel import Session, select

from clawweb.models import Project, Task, TaskStatus, User
from clawweb.services import git
from clawweb.services.accounts import passwords
from clawweb.services.agents import credentials
from clawweb.services.projects import service as projects
from clawweb.services.tasks import service as tasks
from tests.backup.support import API_KEY, PASSPHRASE, use_data_dir
from tests.conftest import ON_POSTGRES
from tests.integration.fleet import (
    ROOT, Fleet, fleet, finished, started_in_container, stdout, submit, task_now,  # noqa: F401
    wait_for, worker_env, world,  # noqa: F401
)


def manage(*args, data_dir, redis_url=None, passphrase=PASSPHRASE, database_url=None,
           timeout=180):
    env = worker_env(redis_url, data_dir)
    if database_url:
        env["CLAWWEB_DATABASE_URL"] = database_url
    env.pop("CLAWWEB_BACKUP_PASSPHRASE", None)
    if passphrase is not None:
        env["CLAWWEB_BACKUP_PASSPHRASE"] = passphrase
    return subprocess.run([sys.executable, "-m", "clawweb.manage", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


@pytest.fixture
def empty_database(request):
    """A new empty database per restore target on PostgreSQL (restore refuses one with
    tables, as on a real fresh machine); on SQLite the target's data dir holds it (None)."""
    if not ON_POSTGRES:
        yield lambda: None
        return
    server, made = request.getfixturevalue("postgres_server"), []

    def make() -> str:
        made.append(server.create_database())
        return server.url(made[-1])

    yield make
    for name in made:
        server.drop_database(name)


def flip_byte_in(archive, prefix: str):
    with tarfile.open(archive) as tar:
        member = next(m for m in tar.getmembers() if m.name.startswith(prefix))
    with open(archive, "r+b") as f:
        f.seek(member.offset_data + member.size // 2)
        byte = f.read(1)
        f.seek(-1, 1)
        f.write(bytes([byte[0] ^ 0x40]))


def test_backup_mid_task_restores_onto_a_fresh_data_dir(  # noqa: F811 (fixtures)
        fleet, world, session, settings, redis_url, tmp_path, monkeypatch, empty_database):
    alice, project = world
    # The fixtures made the tables with create_all; scripts/up's database is migrated.
    from alembic import command
    from clawweb.manage import alembic_config
    command.stamp(alembic_config(), "head")
    alice.password_hash = passwords.hash_password("alice-password-123")
    session.add(alice)
    session.commit()
    credentials.set_user_credential(session=session, user=alice, kind="api_key", secret=API_KEY)
    fleet.start("a")

    first = finished(session, submit(session, alice, project,
                                     "echo saved > work.txt; echo first-task-output").id)
    assert first.status == TaskStatus.succeeded and first.commit_sha
    running = submit(session, alice, project, "echo second-started; sleep 40; echo never")
    started_in_container(session, running.id, fleet.procs)
    wait_for(lambda: "second-started" in stdout(session, running.id), 30, "output stored")

    out = manage("backup", str(tmp_path / "backups"), data_dir=settings.data_dir,
                 redis_url=redis_url)
    assert out.returncode == 0, out.stderr
    assert task_now(session, running.id).status == TaskStatus.running, "not mid-task"
    [archive] = list((tmp_path / "backups").iterdir())
    tasks.cancel_task(session=session, user=alice, task_id=running.id)

    wrong = manage("restore", str(archive), data_dir=tmp_path / "wrong", passphrase="nope",
                   database_url=empty_database())
    assert wrong.returncode != 0 and "passphrase" in wrong.stderr
    assert not (tmp_path / "wrong").exists() or not list((tmp_path / "wrong").iterdir())

    tampered = tmp_path / "tampered.tar"
    tampered.write_bytes(archive.read_bytes())
    flip_byte_in(tampered, "database/")
    bad = manage("restore", str(tampered), data_dir=tmp_path / "bad",
                 database_url=empty_database())
    assert bad.returncode != 0 and "checksum" in bad.stderr
    assert not (tmp_path / "bad").exists() or not list((tmp_path / "bad").iterdir())

    fresh = tmp_path / "restored"
    restored_url = empty_database()
    done = manage("restore", str(archive), data_dir=fresh, database_url=restored_url)
    assert done.returncode == 0, done.stderr
    assert str(running.id) in done.stdout  # named as in flight at backup time

    if restored_url:
        monkeypatch.setenv("CLAWWEB_DATABASE_URL", restored_url)
    use_data_dir(monkeypatch, fresh)
    from clawweb import db
    with Session(db.get_engine(), expire_on_commit=False) as s:
        _check_restored(s, first, running)
        # The restored installation runs: its own worker on another Redis database.
        other_redis = redis_url.rsplit("/", 1)[0] + "/1"
        restored_fleet = Fleet(tmp_path / "w2", other_redis, fresh)
        (tmp_path / "w2").mkdir()
        monkeypatch.setenv("CLAWWEB_REDIS_URL", other_redis)
        from tests.conftest import clear_process_caches
        clear_process_caches()
        try:
            restored_fleet.start("b")
            ended = finished(s, running.id, timeout=60)
            assert ended.status == TaskStatus.failed  # its worker is gone: the reaper decides
            alice2 = s.get(User, alice.id)
            follow = tasks.submit_task(session=s, user=alice2, project_id=project.id,
                                       command="cat work.txt", parent_id=first.id,
                                       branch=first.branch, idempotency_key=uuid.uuid4().hex)
            follow = finished(s, follow.id)
            assert follow.status == TaskStatus.succeeded, follow.failure_reason
            assert "saved" in stdout(s, follow.id)
        finally:
            restored_fleet.stop()
        assert restored_fleet.containers() == []


def _check_restored(s: Session, first: Task, running: Task) -> None:
    alice = s.exec(select(User).where(User.username == "alice")).one()
    assert passwords.verify_password("alice-password-123", alice.password_hash)
    assert credentials.resolve(session=s, user_id=alice.id).secret == API_KEY
    project = s.get(Project, first.project_id)
    repo = projects.project_repo_path(project)
    assert first.branch in git.branches(repo)
    assert git.resolve(repo, first.branch) == first.commit_sha
    again = s.get(Task, first.id)
    assert again.status == TaskStatus.succeeded and again.commit_sha == first.commit_sha
    assert "first-task-output" in stdout(s, first.id)
    mid = s.get(Task, running.id)
    assert mid.status == TaskStatus.running  # as it was when the backup was taken
    text = stdout(s, running.id)
    assert "second-started" in text and "never" not in text


@pytest.fixture(autouse=True)
def _fast(fast_hashing):
    return fast_hashing

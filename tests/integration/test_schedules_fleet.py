"""Schedules for real: redis-server, one SQLite file, `python -m worker` processes (each
runs the schedule loop), web processes (the Reflex app under uvicorn, as `reflex run`
starts its backend, with CLAWWEB_SCHEDULE_LOOP_IN_WEB) and a stand-alone loop.

- Two workers, two web processes and a stand-alone loop racing for 50 due times fire
  each exactly once.
- A nightly-style schedule whose command fails is retried once, then its owner is
  notified; neither attempt's work is merged (real dockerd and runner image).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import redis as redis_lib
from sqlalchemy import update
from sqlmodel import select

from clawweb.models import (AuditEvent, Project, ProjectMember, ProjectRole, Schedule,
                            ScheduleRun, Task, User, utcnow)
from clawweb.services import git
from clawweb.services.projects import service as projects
from clawweb.services.schedules import store, timing
from tests.integration.test_task_engine import Fleet, wait_for
from tests.support.git_servers import make_bare_repo
from tests.support.services import free_port, need_docker
from worker import heartbeat

ROOT = Path(__file__).resolve().parents[2]
DUE_TIMES = 50


# The web processes' log: the schedule loop's debug lines (who fired, who lost a race).
WEB_LOG_CONFIG = {
    "version": 1, "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"out": {"class": "logging.StreamHandler", "formatter": "plain",
                         "stream": "ext://sys.stdout"}},
    "root": {"level": "INFO", "handlers": ["out"]},
    "loggers": {"clawweb.services.schedules": {"level": "DEBUG"}},
}


def _app_copy(dest: Path) -> Path:
    """The app in a private directory: Reflex compiles into .web/ (and rewrites
    reflex.lock) in its working directory, which must not be the repository."""
    ignore = shutil.ignore_patterns(".web", ".states", "__pycache__", "data")
    for name in ("clawweb", "worker", "assets", "reflex.lock"):
        shutil.copytree(ROOT / name, dest / name, ignore=ignore)
    shutil.copy2(ROOT / "rxconfig.py", dest / "rxconfig.py")
    return dest


class Loops:
    """Web processes and ``python -m clawweb.services.schedules.loop`` processes, stopped
    at teardown."""

    def __init__(self, tmp: Path):
        self.tmp, self.procs, self.ports = tmp, [], []

    def start(self, n: int) -> None:
        for i in range(n):
            self.procs.append(subprocess.Popen(
                [sys.executable, "-m", "clawweb.services.schedules.loop"], cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
                stdout=(self.tmp / f"loop-{i}.log").open("wb"), stderr=subprocess.STDOUT))

    def start_web(self, n: int, loop_in_web: bool = True) -> None:
        """``n`` web backends (``uvicorn --factory clawweb.clawweb:app``, what ``reflex
        run`` runs), each from its own copy of the app."""
        config = self.tmp / "web-logging.json"
        config.write_text(json.dumps(WEB_LOG_CONFIG))
        for i in range(n):
            app = _app_copy(self.tmp / f"web-app-{i}")
            port = free_port()
            self.ports.append(port)
            env = {**os.environ, "PYTHONPATH": str(app), "CLAWWEB_PORT": str(port),
                   "CLAWWEB_HOST": "127.0.0.1", "PYTHONUNBUFFERED": "1",
                   "CLAWWEB_SCHEDULE_LOOP_IN_WEB": "1" if loop_in_web else "0"}
            self.procs.append(subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "--factory", "clawweb.clawweb:app",
                 "--host", "127.0.0.1", "--port", str(port), "--log-config", str(config)],
                cwd=app, env=env, stdout=(self.tmp / f"web-{i}.log").open("wb"),
                stderr=subprocess.STDOUT))

    def wait_web(self, timeout: float) -> None:
        """Until every web process answers (its lifespan tasks, the loop among them, run)."""
        def up(port: int) -> bool:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=2) as r:
                    return r.status == 200
            except OSError:
                return False

        for port in self.ports:
            wait_for(lambda port=port: up(port) or None, timeout, f"web process on {port}")

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


@pytest.fixture
def fast_loops(monkeypatch, settings):
    # Read by every process this test starts (they copy this environment).
    for name, value in (("CLAWWEB_SCHEDULE_LOOP_SECONDS", "0.2"),
                        ("CLAWWEB_SCHEDULE_MIN_INTERVAL_SECONDS", "1"),
                        ("CLAWWEB_LOG_LEVEL", "DEBUG"), ("CLAWWEB_TASK_DISK_MB", "0"),
                        ("CLAWWEB_DATA_DIR", str(settings.data_dir))):
        monkeypatch.setenv(name, value)
    from clawweb import settings as settings_mod
    settings_mod.get_settings.cache_clear()


@pytest.fixture
def owner(session, engine):
    alice = User(username="alice")
    project = Project(name="P", slug="p", max_concurrent_tasks=2, memory_mb=512)
    session.add_all([alice, project])
    session.flush()
    session.add(ProjectMember(project_id=project.id, user_id=alice.id, role=ProjectRole.owner))
    session.commit()
    git.init_empty(projects.project_repo_path(project), branch="main")
    return alice, project


def _logs(tmp: Path) -> dict[str, str]:
    return {p.name: p.read_text(errors="replace") for p in tmp.glob("*.log")}


def test_two_workers_and_two_web_processes_fire_each_of_50_due_times_once(
        tmp_path, redis_url, fast_loops, session, owner, monkeypatch):
    monkeypatch.setenv("CLAWWEB_REDIS_URL", redis_url)
    alice, project = owner
    schedule = store.create(session=session, user=alice, project_id=project.id, values={
        "command": "true", "interval_seconds": 1, "overlap_policy": "skip",
        "max_retries": 0, "missed_policy": "each", "missed_cap": 100})
    store.set_paused(session=session, user=alice, schedule_id=schedule.id, paused=True)
    fleet, loops = Fleet(tmp_path, redis_url, Path(os.environ["CLAWWEB_DATA_DIR"]),
                         module="tests.support.worker_fake_sandbox"), Loops(tmp_path)
    try:
        loops.start_web(2)
        fleet.start(2)
        loops.start(1)
        loops.wait_web(300)  # each compiles the app first (tens of seconds)
        time.sleep(2)  # every loop has stepped at least once
        first = (utcnow() + timedelta(seconds=2)).replace(microsecond=0)
        session.execute(update(Schedule).where(Schedule.id == schedule.id)
                        .values(paused=False, next_run_at=first))
        session.commit()
        last = first + timedelta(seconds=DUE_TIMES - 1)
        wait_for(lambda: utcnow() > last + timedelta(seconds=3), DUE_TIMES + 30,
                 "the 50 due times to pass")
        store.set_paused(session=session, user=alice, schedule_id=schedule.id, paused=True)
        time.sleep(1)
    finally:
        loops.stop()
        fleet.stop()
    session.expire_all()
    runs = session.exec(select(ScheduleRun).where(ScheduleRun.schedule_id == schedule.id)).all()
    due = sorted(timing.as_utc(r.due_at) for r in runs if timing.as_utc(r.due_at) <= last)
    assert due == [first + timedelta(seconds=k) for k in range(DUE_TIMES)], \
        "every due time exactly once, none missing"
    assert all(r.attempt == 1 and r.trigger == "schedule" for r in runs)
    started = [r for r in runs if r.task_id]
    assert started and len({r.task_id for r in started}) == len(started)
    tasks = session.exec(select(Task).where(Task.project_id == project.id)).all()
    assert sorted(t.id for t in tasks) == sorted(r.task_id for r in started)
    assert all(t.idempotency_key == f"schedule-run-{r.id}" for r in started
               for t in tasks if t.id == r.task_id)
    logs = _logs(tmp_path)
    assert not [n for n, text in logs.items() if "Traceback" in text or "IntegrityError" in text], \
        {n: t[-2000:] for n, t in logs.items() if "Traceback" in t}
    firers = {n for n, text in logs.items() if re.search(r"fired due", text)}
    losers = {n for n, text in logs.items() if "taken by another loop" in text}
    # The race really happened: several processes fired, and lost, due times; both web
    # processes took part.
    assert len(firers) >= 2 and losers, (firers, losers)
    assert {"web-0.log", "web-1.log"} <= firers | losers, (firers, losers)


def test_a_failing_schedule_is_retried_once_then_notifies_and_nothing_is_merged(
        tmp_path, redis_url, fast_loops, session, owner, monkeypatch):
    need_docker()
    monkeypatch.setenv("CLAWWEB_REDIS_URL", redis_url)
    alice, project = owner
    repo = projects.project_repo_path(project)
    shutil.rmtree(repo)
    make_bare_repo(repo, {"README.md": "hi\n"})
    tip = git.resolve(repo, "refs/heads/main")
    schedule = store.create(session=session, user=alice, project_id=project.id, values={
        "name": "nightly", "command": "echo half-done > half.txt; exit 3",
        "interval_seconds": 86400, "max_retries": 1, "retry_delay_seconds": 1})
    fleet = Fleet(tmp_path, redis_url, Path(os.environ["CLAWWEB_DATA_DIR"]))
    try:
        fleet.start(1)
        session.execute(update(Schedule).where(Schedule.id == schedule.id)
                        .values(next_run_at=utcnow()))
        session.commit()

        def notified():
            session.expire_all()
            return session.exec(select(AuditEvent).where(
                AuditEvent.action == "schedule.failed_notice")).all()

        (notice,) = wait_for(notified, 240, "the failure notice")
    finally:
        fleet.stop()
    runs = session.exec(select(ScheduleRun).where(ScheduleRun.schedule_id == schedule.id)
                        .order_by(ScheduleRun.attempt)).all()
    assert [(r.attempt, r.trigger, r.status) for r in runs] == [
        (1, "schedule", "failed"), (2, "retry", "failed")]
    tasks = [session.get(Task, r.task_id) for r in runs]
    assert [(t.status.value, t.exit_code, t.trigger) for t in tasks] == [
        ("failed", 3, "schedule")] * 2
    assert notice.after["user_id"] == alice.id and notice.after["params"]["attempts"] == 2
    assert notice.after["task_id"] == tasks[1].id
    # Each attempt's work is on its own branch; the default branch did not move.
    assert git.resolve(repo, "refs/heads/main") == tip
    for task in tasks:
        assert task.merge_state == "" and task.commit_sha
        assert git.resolve(repo, f"refs/heads/{task.branch}") == task.commit_sha
    assert fleet.containers() == []

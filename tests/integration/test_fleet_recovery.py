"""The fleet after faults, for real: a Redis outage longer than the heartbeat TTL, and
a crash of every process of a deployment (redis-server, dockerd + clawweb-runner, git,
``python -m worker`` started the way scripts/up starts them).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis as redis_lib

from clawweb import redis_conn
from clawweb.models import TaskStatus
from tests.conftest import clear_process_caches
from tests.integration.fleet import (  # noqa: F401  (fixtures)
    DEAD_AFTER_SECONDS, HEARTBEAT_SECONDS, ROOT, containers, finished, fleet,
    started_in_container, statuses, stdout, submit, task_now, terminal_events, wait_for,
    worker_env, world,
)
from tests.support.services import free_port, need_docker, own_redis
from worker import recovery
from worker.heartbeat import name_of_pid

# Longer than a heartbeat key lives plus the reaper's grace (2 heartbeats), so every
# key has expired when Redis is back; long enough that a loop backing off by
# doubling waits well past the grace after Redis returns.
OUTAGE_SECONDS = 20
assert OUTAGE_SECONDS > DEAD_AFTER_SECONDS + 2 * HEARTBEAT_SECONDS + 10

@pytest.fixture
def redis_server(tmp_path):
    """Tests here stop Redis on purpose: each has a server of its own (see own_redis)."""
    yield from own_redis(tmp_path / "redis")



def redis_is_down(url: str) -> bool:
    try:
        redis_lib.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1,
                                 retry=None).ping()
        return False
    except redis_lib.RedisError:
        return True


def test_a_redis_outage_longer_than_the_ttl_reaps_only_the_dead_worker(
        session, world, fleet, redis_server):
    alice, project = world
    # One task each, so one worker can die with one task while the other keeps its own.
    fleet.start("a", tasks_per_worker=1)
    fleet.start("b", tasks_per_worker=1)
    healthy = submit(session, alice, project, "echo begin; sleep 45; echo end")
    doomed = submit(session, alice, project, "echo begin; sleep 300")
    runner = started_in_container(session, healthy.id, fleet.procs).worker_name
    victim = started_in_container(session, doomed.id, fleet.procs).worker_name
    assert runner != victim

    redis_server.stop()                  # clean stop: the AOF keeps every key
    down_at = time.monotonic()
    assert redis_is_down(redis_server.url)
    fleet.kill9(victim)                  # one worker really dies meanwhile
    time.sleep(OUTAGE_SECONDS)
    redis_server.start()
    assert time.monotonic() - down_at > DEAD_AFTER_SECONDS + 2 * HEARTBEAT_SECONDS
    redis_conn.get_redis().connection_pool.disconnect()
    # Its supervisor restarts the dead worker as soon as Redis is back: a reaper
    # that has just started sees the live worker's expired key too.
    fleet.start("replacement")

    lost = finished(session, doomed.id, timeout=60)
    assert (lost.status, lost.failure_reason) == (TaskStatus.failed, recovery.LOST_STARTED)
    wait_for(lambda: fleet.containers(doomed.id) == [], 30, "the dead worker's container to go")
    done = finished(session, healthy.id, timeout=60)
    assert done.status == TaskStatus.succeeded, done.failure_reason
    assert (done.worker_name, done.attempt) == (runner, 1)
    assert stdout(session, healthy.id) == "begin\nend\n"
    assert statuses(session, healthy.id) == ["queued", "running", "succeeded"]
    assert terminal_events(session, doomed.id) == ["failed"]
    assert fleet.procs[runner].poll() is None, "the live worker died in the outage"
    # The fleet still takes work.
    after = finished(session, submit(session, alice, project, "echo after").id, timeout=60)
    assert (after.status, stdout(session, after.id)) == (TaskStatus.succeeded, "after\n")


class Deployment:
    """redis-server and workers started by scripts/lib.sh, as scripts/up starts them.

    Everything runs in one session (process group), so ``crash()`` can SIGKILL
    every process at once, as a power loss or the OOM killer would.
    """

    def __init__(self, tmp: Path, data_dir: Path, workers: int = 2):
        self.tmp, self.data_dir, self.workers = tmp, data_dir, workers
        self.port = free_port()
        self.password = "deployment-pw"
        self.url = f"redis://:{self.password}@127.0.0.1:{self.port}/0"
        data_dir.mkdir(parents=True, exist_ok=True)
        (data_dir / "redis.password").write_text(self.password)
        self.shell: subprocess.Popen | None = None
        self.runs = 0
        self.seen: set[str] = set()     # every worker name this deployment had

    def start(self) -> list[str]:
        """Start Redis (unless running) and the workers; returns the workers' names."""
        self.runs += 1
        env = {**worker_env(None, self.data_dir), "CLAWWEB_REDIS_PORT": str(self.port),
               "CLAWWEB_VENV": sys.prefix}
        script = f"source scripts/lib.sh; ensure_redis; start_workers {self.workers}; wait"
        log = (self.tmp / f"deployment-{self.runs}.log").open("wb")
        self.shell = subprocess.Popen(["bash", "-c", script], cwd=ROOT, env=env, stdout=log,
                                      stderr=subprocess.STDOUT, start_new_session=True)
        names = wait_for(lambda: n if len(n := self._live_names()) == self.workers
                         else None, 90, f"{self.workers} workers to beat")
        self.seen.update(names)
        return names

    def _live_names(self) -> list[str]:
        if self.shell.poll() is not None:
            raise AssertionError(f"the deployment's shell exited: {self.log_tail()}")
        r = redis_lib.Redis.from_url(self.url)
        try:
            names = [name_of_pid(r, pid) for pid in self.worker_pids()]
        except redis_lib.RedisError:
            return []
        return sorted(n for n in names if n)

    def pids(self) -> list[int]:
        """Every live process of this deployment's session."""
        out = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                fields = stat.rsplit(")", 1)[1].split()
                if fields[0] != "Z" and int(fields[3]) == self.shell.pid:
                    out.append(int(entry.name))
        return out

    def worker_pids(self) -> list[int]:
        return [p for p in self.pids() if b"-m\0worker\0" in _cmdline(p)]

    def crash(self) -> None:
        """SIGKILL every process of the deployment, Redis included."""
        os.killpg(self.shell.pid, signal.SIGKILL)
        self.shell.wait(10)
        wait_for(lambda: self.pids() == [], 10, "every process to die")

    def stop(self) -> None:
        if self.shell is None:
            return
        for pid in self.worker_pids():       # workers first: they need Redis to finish
            os.kill(pid, signal.SIGTERM)
        try:
            wait_for(lambda: self.worker_pids() == [], 30, "the workers to stop")
        finally:
            if self.pids():
                os.killpg(self.shell.pid, signal.SIGTERM)
                wait_for(lambda: self.pids() == [], 15, "the deployment to stop")

    def log_tail(self) -> str:
        logs = sorted(self.tmp.glob("deployment-*.log")) + sorted(
            (self.data_dir / "logs").glob("*.log"))
        return "\n".join(f"--- {p.name}\n{p.read_text()[-2000:]}" for p in logs)


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


@pytest.fixture
def deployment(tmp_path, settings, engine, monkeypatch):
    need_docker()
    d = Deployment(tmp_path, settings.data_dir)
    monkeypatch.setenv("CLAWWEB_REDIS_URL", d.url)
    clear_process_caches()
    yield d
    d.stop()
    assert containers(d.seen) == [], "containers left behind"
    ws = settings.workspaces_dir
    assert not ws.exists() or list(ws.iterdir()) == [], "working copies left behind"


def test_after_kill_9_of_every_process_a_restart_gives_working_workers(
        session, world, deployment):
    alice, project = world
    first = deployment.start()
    running = submit(session, alice, project, "echo begin; sleep 300")
    lost_on = started_in_container(session, running.id, first).worker_name

    time.sleep(1.5)                      # appendfsync everysec: the AOF has the running task
    deployment.crash()
    assert redis_is_down(deployment.url)
    redis_conn.get_redis().connection_pool.disconnect()

    again = deployment.start()           # the same command lines, at once
    assert not set(again) & set(first)
    fresh = finished(session, submit(session, alice, project, "echo fresh").id, timeout=60)
    assert (fresh.status, stdout(session, fresh.id)) == (TaskStatus.succeeded, "fresh\n"), \
        deployment.log_tail()
    assert fresh.worker_name in again
    lost = finished(session, running.id, timeout=60)
    assert (lost.status, lost.failure_reason) == (TaskStatus.failed, recovery.LOST_STARTED)
    assert terminal_events(session, running.id) == ["failed"]
    wait_for(lambda: containers([lost_on], running.id) == [], 30,
             "the dead worker's container to go")
    assert sorted(deployment._live_names()) == sorted(again), "a worker died after its start"
    assert task_now(session, running.id).attempt == 1

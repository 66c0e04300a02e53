"""A throwaway deployment for a benchmark: redis-server, database, a project, real workers.

Everything is real (redis-server, dockerd with the clawweb-runner image, git,
``python -m worker`` processes); nothing is faked, so the numbers include what
a user waits for.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMAGE = "clawweb-runner"


class Deployment:
    def __init__(self, workers: int = 1, output_cap_bytes: int | None = None,
                 extra_env: dict[str, str] | None = None):
        self.extra_env = extra_env or {}
        self.tmp = Path(tempfile.mkdtemp(prefix="clawweb-bench-"))
        self.n_workers = workers
        self.output_cap = output_cap_bytes
        self.procs: list[subprocess.Popen] = []
        self.prefix = f"bench{uuid.uuid4().hex[:5]}"

    def __enter__(self) -> "Deployment":
        from tests.support.services import RedisServer

        self.redis = RedisServer(self.tmp / "redis").start()
        self.env = {**os.environ, "CLAWWEB_DATA_DIR": str(self.tmp / "data"),
                    "CLAWWEB_REDIS_URL": self.redis.url, "PYTHONPATH": str(ROOT),
                    "CLAWWEB_LOG_LEVEL": "WARNING"}
        self.env.update(self.extra_env)
        os.environ.update(self.extra_env)
        if self.output_cap:
            self.env["CLAWWEB_OUTPUT_CAP_BYTES"] = str(self.output_cap)
        self.env.pop("CLAWWEB_DATABASE_URL", None)
        os.environ.update({k: self.env[k] for k in ("CLAWWEB_DATA_DIR", "CLAWWEB_REDIS_URL")})
        os.environ.pop("CLAWWEB_DATABASE_URL", None)
        from clawweb import db, redis_conn, settings

        for cached in (settings.get_settings, db.get_engine, redis_conn.get_redis,
                       redis_conn.get_async_redis):
            cached.cache_clear()
        subprocess.run([sys.executable, "-m", "clawweb.manage", "migrate"], env=self.env,
                       cwd=ROOT, check=True, capture_output=True)
        self._world()
        self._start_workers()
        return self

    def _world(self) -> None:
        from clawweb.db import session_scope
        from clawweb.models import Project, User
        from clawweb.services.projects import service as projects

        with session_scope() as s:
            user = User(username="bench", password_hash="!")
            s.add(user)
            s.flush()
            project = projects.create_project(session=s, user=user, name="bench")
            self.user_id, self.project_id = user.id, project.id
        with session_scope() as s:
            p = s.get(Project, self.project_id)
            p.max_concurrent_tasks = 100
            s.add(p)

    def _start_workers(self) -> None:
        import redis

        from worker.heartbeat import name_of_pid

        names = [f"{self.prefix}-w{i}" for i in range(self.n_workers)]
        for name in names:
            log = (self.tmp / f"{name}.log").open("wb")
            self.procs.append(subprocess.Popen([sys.executable, "-m", "worker", "--name", name],
                                               env=self.env, cwd=ROOT, stdout=log,
                                               stderr=subprocess.STDOUT))
        r = redis.Redis.from_url(self.redis.url)
        deadline = time.monotonic() + 120
        # --name is only the start of a worker's name: find each by its pid.
        while not all(name_of_pid(r, p.pid) for p in self.procs):
            if time.monotonic() > deadline:
                raise RuntimeError(f"workers did not start; logs in {self.tmp}")
            time.sleep(0.2)

    def __exit__(self, *exc) -> None:
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
        self.redis.stop()

    def user(self):
        from clawweb.db import session_scope
        from clawweb.models import User

        with session_scope() as s:
            user = s.get(User, self.user_id)
            s.expunge(user)
            return user

    def submit(self, command: str) -> int:
        from clawweb.db import session_scope
        from clawweb.services.tasks import service as tasks

        with session_scope() as s:
            task = tasks.submit_task(session=s, user=self.user(), project_id=self.project_id,
                                     command=command, idempotency_key=uuid.uuid4().hex)
            return task.id


async def follow(task_id: int, on_event, stop_when_done: bool = True) -> None:
    """Read a task's events as the task page does (history, then Redis from the last seq)."""
    from clawweb.services.tasks import output as task_output

    after = 0
    while True:
        events = await task_output.read_after(task_id, after, block_ms=500, limit=2000)
        for ev in events:
            after = ev.seq
            if on_event(ev) is False:
                return
            if stop_when_done and ev.type == "status" and ev.data.get("status") in (
                    "succeeded", "failed", "cancelled", "timed_out"):
                return


def docker_run(command: str) -> subprocess.Popen:
    return subprocess.Popen(["docker", "run", "--rm", "--network", "none", "--init", IMAGE,
                             "bash", "-lc", command], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)


def hardened_docker_run(command: str, workdir: Path) -> subprocess.Popen:
    """``docker run`` with the hardening of a task container (worker/sandbox/docker.py).

    Defaults of ``Limits``; ``workdir`` is bind-mounted at /workspace like a working copy.
    """
    tmpfs = "rw,exec,nosuid,nodev,size=256m"
    argv = ["docker", "run", "--rm", "--network", "none", "--init", "--user", "1000:1000",
            "--read-only", "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
            "--memory", "1024m", "--memory-swap", "1024m", "--cpus", "1", "--pids-limit", "256",
            "--ulimit", "nofile=4096:4096", "--shm-size", "64m", "--oom-score-adj", "500",
            "--tmpfs", f"/tmp:{tmpfs},mode=1777",
            "--tmpfs", f"/home/runner:{tmpfs},uid=1000,gid=1000,mode=0700",
            "--log-driver", "none", "--hostname", "sandbox",
            "--mount", f"type=bind,source={workdir},target=/workspace", "-w", "/workspace",
            IMAGE, "bash", "-lc", command]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def run(coro):
    return asyncio.run(coro)


@contextmanager
def timer():
    box = {}
    t0 = time.perf_counter()
    yield box
    box["s"] = time.perf_counter() - t0

"""The real web backend on loopback, for tests that speak HTTP to it (REST API, CLI).

``ApiServer`` serves the app's own ASGI stack: ``clawweb.clawweb:app`` (the
``rx.App``) called as a factory by uvicorn, which is how ``reflex run --env prod``
starts the backend (``reflex/utils/exec.py`` ``run_uvicorn_backend_prod``):
Reflex's backend with our ``api_transformer`` routes, the REST API mounted at
/api/v1, and the security-headers middleware. Only the built frontend is left
out (no browser needs it), so it starts in seconds instead of minutes. It runs
in a private copy of the tree (Reflex writes .web/ where it starts), against
its own data dir and the given redis-server; workers are started on demand.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.support.services import free_port

ROOT = Path(__file__).resolve().parents[2]


class ApiServer:
    def __init__(self, base: Path, redis_url: str, extra_env: dict[str, str] | None = None):
        self.base = base
        self.data_dir = base / "data"
        self.port = free_port()
        self.env = {
            **os.environ,
            "CLAWWEB_DATA_DIR": str(self.data_dir),
            "CLAWWEB_REDIS_URL": redis_url,
            "CLAWWEB_PORT": str(self.port),
            "CLAWWEB_HOST": "127.0.0.1",
            "CLAWWEB_WORKER_HEARTBEAT_SECONDS": "1",
            "CLAWWEB_WORKER_DEAD_AFTER_SECONDS": "5",
            "CLAWWEB_PASSWORD_HASH_FAST": "1",
            # Nothing listens on port 9: a model call can never leave the machine.
            "CLAWWEB_ANTHROPIC_BASE_URL": "http://127.0.0.1:9",
            "PYTHONUNBUFFERED": "1",
        }
        self.env.pop("CLAWWEB_DATABASE_URL", None)
        self.env.update(extra_env or {})
        self.cwd = base / "app"
        self.proc: subprocess.Popen | None = None
        self.workers: list[subprocess.Popen] = []
        self.log_path = base / "web.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api(self) -> str:
        return f"{self.url}/api/v1"

    def _copy_tree(self) -> None:
        ignore = shutil.ignore_patterns(".web", ".states", "__pycache__", "data")
        for name in ("clawweb", "worker", "assets"):
            shutil.copytree(ROOT / name, self.cwd / name, ignore=ignore)
        shutil.copy2(ROOT / "rxconfig.py", self.cwd / "rxconfig.py")

    def start(self) -> "ApiServer":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._copy_tree()
        subprocess.run([sys.executable, "-m", "clawweb.manage", "migrate"], env=self.env,
                       cwd=self.cwd, check=True, capture_output=True)
        self.start_web()
        return self

    def start_web(self, timeout: float = 180) -> None:
        """(Re)start the backend on this server's port."""
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "clawweb.clawweb:app",
             "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "info"],
            env=self.env, cwd=self.cwd, stdout=self.log_path.open("ab"),
            stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"backend exited; log:\n{self.log_path.read_text()[-4000:]}")
            try:
                # proxy-free: straight to loopback whatever the environment says.
                opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
                with opener.open(f"{self.url}/api/health", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.3)
        raise TimeoutError(f"backend not ready; log:\n{self.log_path.read_text()[-4000:]}")

    def kill_web(self) -> None:
        """``kill -9`` the backend (as the OOM killer would)."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(20)

    def start_worker(self, name: str) -> subprocess.Popen:
        """A real worker (``python -m worker``), counted as started once it beats."""
        import redis

        from worker.heartbeat import name_of_pid

        log = (self.base / f"worker-{name}.log").open("wb")
        proc = subprocess.Popen([sys.executable, "-m", "worker", "--name", name],
                                env=self.env, cwd=self.cwd, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        self.workers.append(proc)
        r = redis.Redis.from_url(self.env["CLAWWEB_REDIS_URL"])
        deadline = time.monotonic() + 60
        while not name_of_pid(r, proc.pid):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker {name} did not start; see {log.name}")
            time.sleep(0.2)
        return proc

    def stop(self) -> None:
        procs = [p for p in (*self.workers, self.proc) if p is not None]
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)


def point_process_at(server: ApiServer):
    """Point this test process's settings at the server's database and Redis.

    Returns a function that puts the previous environment back.
    """
    from tests.conftest import clear_process_caches

    keys = ("CLAWWEB_DATA_DIR", "CLAWWEB_REDIS_URL", "CLAWWEB_PORT", "CLAWWEB_HOST",
            "CLAWWEB_DATABASE_URL", "CLAWWEB_PASSWORD_HASH_FAST")
    saved = {k: os.environ.get(k) for k in keys}
    for key in keys:
        if key in server.env:
            os.environ[key] = server.env[key]
        else:
            os.environ.pop(key, None)
    clear_process_caches()

    def restore() -> None:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        clear_process_caches()

    return restore

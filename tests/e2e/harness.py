"""The real app for browser tests: built and started once per test session.

``AppServer`` runs ``reflex run --env prod --single-port`` against a fresh data
dir and the session's real redis-server, plus worker processes on demand.
Browsers are Debian's Chromium driven by Playwright (never ``playwright install``).
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

from tests.support.services import free_port, need

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
    "--disable-dev-shm-usage",
]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}


def artifacts_dir() -> Path:
    path = Path(os.environ.get("CLAWWEB_TEST_ARTIFACTS", ROOT / "test-artifacts")) / "screens"
    path.mkdir(parents=True, exist_ok=True)
    return path


class AppServer:
    def __init__(self, data_dir: Path, redis_url: str, extra_env: dict[str, str] | None = None):
        self.data_dir = data_dir
        self.port = free_port()
        self.env = {
            **os.environ,
            "CLAWWEB_DATA_DIR": str(data_dir),
            "CLAWWEB_REDIS_URL": redis_url,
            "CLAWWEB_PORT": str(self.port),
            "CLAWWEB_HOST": "127.0.0.1",
            "CLAWWEB_WORKER_HEARTBEAT_SECONDS": "1",
            "CLAWWEB_WORKER_DEAD_AFTER_SECONDS": "5",
            "REFLEX_USE_SYSTEM_BUN": "1",
            "PYTHONUNBUFFERED": "1",
        }
        # Members may clone local repositories from here (tests put theirs here).
        self.local_repos = data_dir.parent / "local-repos"
        self.local_repos.mkdir(parents=True, exist_ok=True)
        self.env["CLAWWEB_LOCAL_CLONE_ROOTS"] = str(self.local_repos)
        self.env.pop("CLAWWEB_DATABASE_URL", None)
        self.env.update(extra_env or {})  # e.g. the fake model API's loopback URL
        # The model endpoint stays on loopback (nothing listens on port 9), so a
        # "Test credential" click can never leave the machine.
        if not self.env.get("CLAWWEB_ANTHROPIC_BASE_URL", "").startswith("http://127.0.0.1:"):
            self.env["CLAWWEB_ANTHROPIC_BASE_URL"] = "http://127.0.0.1:9"
        self.proc: subprocess.Popen | None = None
        self.cwd = ROOT
        self.workers: list[subprocess.Popen] = []
        self.log_path = data_dir / "web.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def python(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, *args], env=self.env, cwd=self.cwd,
                              check=True, capture_output=True, text=True)

    def _copy_tree(self) -> Path:
        """Build in a private copy: Reflex writes .web/ into its working directory,
        and concurrent runs (or a running ./scripts/up) must not share one."""
        dest = self.data_dir.parent / "app"
        ignore = shutil.ignore_patterns(".web", ".states", "__pycache__", "data")
        for name in ("clawweb", "worker", "assets"):
            shutil.copytree(ROOT / name, dest / name, ignore=ignore)
        shutil.copy2(ROOT / "rxconfig.py", dest / "rxconfig.py")
        return dest

    def start(self) -> "AppServer":
        need(shutil.which("bun") is not None, "bun", "run ./scripts/test (npm install -g bun)")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.cwd = self._copy_tree()
        self.python("-m", "clawweb.manage", "migrate")
        self.python("-m", "clawweb.manage", "setup-code")
        reflex = str(Path(sys.executable).parent / "reflex")
        self.proc = subprocess.Popen(
            [reflex, "run", "--env", "prod", "--single-port", "--loglevel", "info"],
            env=self.env, cwd=self.cwd, stdout=self.log_path.open("wb"),
            stderr=subprocess.STDOUT, start_new_session=True)
        self._wait_ready(timeout=900)
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"web app exited; log:\n{self.log_path.read_text()[-4000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/login/", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                pass
            time.sleep(1)
        raise TimeoutError(f"web app not ready; log:\n{self.log_path.read_text()[-4000:]}")

    def setup_code(self) -> str:
        return (self.data_dir / "setup-code").read_text().strip()

    def start_worker(self, name: str) -> subprocess.Popen:
        log = (self.data_dir / f"worker-{name}.log").open("wb")
        proc = subprocess.Popen([sys.executable, "-m", "worker", "--name", name],
                                env=self.env, cwd=self.cwd, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        self.workers.append(proc)
        self._wait_alive(name, proc)
        return proc

    def _wait_alive(self, name: str, proc: subprocess.Popen, timeout: float = 60) -> None:
        """A worker counts as started once its heartbeat key is in Redis."""
        import redis

        from worker.heartbeat import name_of_pid

        r = redis.Redis.from_url(self.env["CLAWWEB_REDIS_URL"])
        deadline = time.monotonic() + timeout
        while not name_of_pid(r, proc.pid):  # --name is only its start
            if proc.poll() is not None:
                raise RuntimeError(f"worker {name} exited; see {self.data_dir}/worker-{name}.log")
            if time.monotonic() > deadline:
                raise TimeoutError(f"worker {name} sent no heartbeat in {timeout:.0f}s")
            time.sleep(0.2)

    def stop(self) -> None:
        for proc in [*self.workers, self.proc]:
            if proc and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in [*self.workers, self.proc]:
            if proc:
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)

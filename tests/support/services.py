"""Real services for integration tests, started by the tests themselves.

A missing service skips locally with instructions; under CI (``CI=true``) it
fails instead, so CI always runs every integration test.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path


IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def need(condition: bool, what: str, how: str) -> None:
    """Skip (locally) or fail (CI) when a real service is missing."""
    if condition:
        return
    # pytest only here: the benchmarks start these servers from a venv without it.
    import pytest

    message = f"{what} is not available: {how}"
    if IN_CI:
        pytest.fail(f"CI requires it. {message}")
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 20.0, host: str = "127.0.0.1") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on {host}:{port} after {timeout}s")


class RedisServer:
    """A throwaway redis-server on loopback, configured like production."""

    def __init__(self, workdir: Path, password: str = "test-redis-pw"):
        need(shutil.which("redis-server") is not None, "redis-server",
             "run ./scripts/test (it installs it) or apt-get install redis-server")
        self.workdir = workdir
        self.password = password
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://:{self.password}@127.0.0.1:{self.port}/0"

    @property
    def log_path(self) -> Path:
        return self.workdir / "redis-server.log"

    def start(self) -> "RedisServer":
        self.workdir.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                 "--requirepass", self.password, "--appendonly", "yes",
                 "--maxmemory-policy", "noeviction", "--dir", str(self.workdir),
                 "--save", "", "--daemonize", "no"],
                stdout=log, stderr=subprocess.STDOUT,
            )
        self._wait_loaded()
        return self

    def _wait_loaded(self, timeout: float = 30) -> None:
        # After a restart redis-server accepts connections while it replays its
        # AOF, answering every command with LOADING until it is done. A server
        # that exited (its port taken, its AOF unreadable) is reported with its
        # own words at once, not as a refused connection in some later test.
        import redis

        client = redis.Redis(host="127.0.0.1", port=self.port, password=self.password,
                             socket_connect_timeout=1, socket_timeout=2)
        deadline = time.monotonic() + timeout
        try:
            while True:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"redis-server on port {self.port} exited with "
                                       f"{self.proc.returncode}: {self._log_tail()}")
                try:
                    client.ping()
                    return
                except (redis.BusyLoadingError, redis.ConnectionError, redis.TimeoutError):
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
        finally:
            client.close()

    def _log_tail(self, lines: int = 8) -> str:
        try:
            return " | ".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()


def own_redis(workdir: Path):
    """A redis-server for one test (a fixture body: ``yield from own_redis(tmp_path)``).

    Tests that stop or kill Redis on purpose take one of their own, so an outage
    that goes wrong ends with that test instead of refusing every later test that
    shares the session's server.
    """
    server = RedisServer(workdir).start()
    try:
        yield server
    finally:
        server.stop()


def docker_ready() -> bool:
    if not Path("/var/run/docker.sock").exists():
        return False
    return subprocess.run(["docker", "info"], capture_output=True).returncode == 0


def need_docker(image: str = "clawweb-runner") -> None:
    need(docker_ready(), "dockerd", "run ./scripts/test, which installs and starts it")
    ok = subprocess.run(["docker", "image", "inspect", image], capture_output=True).returncode == 0
    need(ok, f"the {image} image", "run worker/runner/build-image.sh (./scripts/test does)")

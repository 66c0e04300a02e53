"""HTTP load on loopback: 200 concurrent clients against the real app, with wrk.

    python -m bench.api_load [--connections 200] [--seconds 15]

Starts the real app (``reflex run --env prod --single-port`` in a private copy,
as the browser tests do) with its own redis-server and SQLite, fills it with a
project of 200 tasks, and drives with ``wrk`` (Debian package ``wrk``):

* with the REST API (``/api/v1``, when this checkout has it): the task list and
  one task, with a ``read`` token (its per-minute limit raised for the run);
* always: the sign-in page (the built frontend through every middleware) and
  ``/api/health`` (a database and a Redis round trip).

Each route gets two passes with the same 200 connections: flat out (the most
requests per second it serves; latency is then just the queue) and paced (each
client waits a random 0.5-1.5 x ``--think-ms`` between its requests, 250
requests/s offered in all, as 200 people clicking independently would; without
the jitter the 200 clients stay in lock-step bursts): the p99 that counts is
the paced one. The baseline is a bare Starlette route (``bench.bare_app``)
under the same server as the app (granian, as many workers as ``reflex run
--env prod`` starts), both passes, in the same run.
Target per route: at least 200 requests/s, and p99 under 500 ms at 200 req/s.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_RPS, TARGET_P99_MS = 200.0, 500.0
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


@dataclass
class Result:
    name: str
    rps: float
    p99_ms: float
    non_2xx: int
    errors: str


@dataclass
class Route:
    flat: Result
    paced: Result

    def meets_target(self) -> bool:
        return (self.flat.rps >= TARGET_RPS and self.paced.rps >= TARGET_RPS
                and self.paced.p99_ms < TARGET_P99_MS
                and not self.flat.non_2xx and not self.paced.non_2xx)


def parse_wrk(name: str, out: str) -> Result:
    """Requests/s, p99 and failures from ``wrk --latency`` output."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    value, unit = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M).groups()
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    return Result(name, rps, float(value) * _UNITS[unit], int(bad.group(1)) if bad else 0,
                  errors.group(0) if errors else "")


def wrk(name: str, url: str, connections: int, seconds: int,
        headers: dict[str, str] | None = None, think_ms: int = 0) -> Result:
    """One wrk pass; with ``think_ms`` each connection waits that long between requests."""
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    for key, value in (headers or {}).items():
        cmd += ["-H", f"{key}: {value}"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        if think_ms:
            # wrk calls delay() before each request of a connection: its think time,
            # jittered so that the connections do not fire in lock-step.
            low, high = think_ms // 2, think_ms * 3 // 2
            script.write(f"function delay() return math.random({low}, {high}) end\n")
            script.flush()
            cmd += ["-s", script.name]
        out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout
    return parse_wrk(name, out)


def both(name: str, url: str, opts, headers: dict[str, str] | None = None) -> Route:
    return Route(wrk(name, url, opts.connections, opts.seconds, headers),
                 wrk(name, url, opts.connections, opts.seconds, headers, opts.think_ms))


def _wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - loopback
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer")


def app_workers() -> int:
    """The worker count ``reflex run --env prod`` picks with Redis configured."""
    from reflex.utils.processes import MAX_BACKEND_WORKERS

    return min((os.cpu_count() or 1) * 2 + 1, MAX_BACKEND_WORKERS)


def baseline(opts) -> Route:
    from tests.support.services import free_port

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "granian", "--interface", "asgi",
                             "--host", "127.0.0.1", "--port", str(port),
                             "--workers", str(app_workers()),
                             "--log-level", "warning", "bench.bare_app:app"], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_http(f"http://127.0.0.1:{port}/")
        wrk("warm-up", f"http://127.0.0.1:{port}/", opts.connections, 2)
        return both("bare Starlette route", f"http://127.0.0.1:{port}/", opts)
    finally:
        proc.terminate()
        proc.wait(20)


def _fill() -> tuple[int, str | None]:
    """A project with 200 finished tasks; a read token when the REST API exists."""
    from sqlmodel import select

    from clawweb.db import session_scope
    from clawweb.models import Project, ProjectMember, ProjectRole, Task, TaskStatus, User

    with session_scope() as s:
        user = User(username="bench", password_hash="!")
        project = Project(name="bench", slug="bench")
        s.add_all([user, project])
        s.flush()
        s.add(ProjectMember(project_id=project.id, user_id=user.id, role=ProjectRole.owner))
        s.add_all([Task(project_id=project.id, created_by=user.id, command=f"echo {i}",
                        title=f"echo {i}", status=TaskStatus.succeeded, exit_code=0)
                   for i in range(200)])
        s.flush()
        task_id = s.exec(select(Task.id)).first()
        token = None
        if importlib.util.find_spec("clawweb.rest") and \
                importlib.util.find_spec("clawweb.services.accounts.api_tokens"):
            from clawweb.services.accounts import api_tokens

            _row, token = api_tokens.create_token(session=s, user=user, name="bench",
                                                  scopes=["read"])
    return task_id, token


def _clear_process_caches() -> None:
    """Settings and the engine are cached per process: read the app's env again."""
    from clawweb import db, settings

    settings.get_settings.cache_clear()
    db.get_engine.cache_clear()


def app_routes(opts) -> list[Route]:
    from tests.e2e.harness import AppServer
    from tests.support.services import RedisServer

    tmp = Path(tempfile.mkdtemp(prefix="clawweb-load-"))
    redis = RedisServer(tmp / "redis").start()
    app = AppServer(tmp / "data", redis.url,
                    extra_env={"CLAWWEB_API_RATE_LIMIT_PER_MINUTE": str(10 ** 9)})
    try:
        print("building and starting the app (the frontend build takes minutes)...",
              flush=True)
        app.start()
        os.environ.update({k: app.env[k] for k in ("CLAWWEB_DATA_DIR", "CLAWWEB_REDIS_URL")})
        _clear_process_caches()
        task_id, token = _fill()
        targets = [("sign-in page", f"{app.url}/login/", None),
                   ("/api/health", f"{app.url}/api/health", None)]
        if token:
            auth = {"Authorization": f"Bearer {token}"}
            targets = [("REST task list", f"{app.url}/api/v1/tasks?limit=50", auth),
                       ("REST task read", f"{app.url}/api/v1/tasks/{task_id}", auth)] + targets
        wrk("warm-up", targets[0][1], opts.connections, 2, targets[0][2])
        return [both(name, url, opts, headers) for name, url, headers in targets]
    finally:
        app.stop()
        redis.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--connections", type=int, default=200)
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--think-ms", type=int, default=800,
                    help="paced pass: each client's wait between requests")
    opts = ap.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install wrk", file=sys.stderr)
        return 2
    base = baseline(opts)
    routes = app_routes(opts)
    print(f"\n{opts.connections} concurrent clients, {opts.seconds} s per pass, "
          f"{os.cpu_count()} cores (load average {os.getloadavg()[0]:.1f}), "
          f"{app_workers()} server workers, loopback; paced: {opts.think_ms} ms (+-50%) "
          "between a client's requests")
    print(f"{'route':22} {'max req/s':>9} {'vs bare':>7} {'p99 ms':>7} | {'paced req/s':>11} "
          f"{'p99 ms':>7} | {'failed':>6}  target")
    for r in [base, *routes]:
        ratio = r.flat.rps / base.flat.rps if base.flat.rps else 0.0
        mark = "" if r is base else ("ok" if r.meets_target() else "MISSED")
        failed = r.flat.non_2xx + r.paced.non_2xx
        print(f"{r.flat.name:22} {r.flat.rps:9.0f} {ratio:7.2f} {r.flat.p99_ms:7.0f} | "
              f"{r.paced.rps:11.0f} {r.paced.p99_ms:7.0f} | {failed:6d}  {mark}"
              + "".join(f"  ({e})" for e in (r.flat.errors, r.paced.errors) if e))
    print(f"target: >= {TARGET_RPS:.0f} req/s flat out and paced, paced p99 < "
          f"{TARGET_P99_MS:.0f} ms, no failures")
    return 0 if all(r.meets_target() for r in routes) else 1


if __name__ == "__main__":
    sys.exit(main())

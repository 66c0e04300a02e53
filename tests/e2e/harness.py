"""The real app for browser tests: built and started once per test session.

``AppServer`` runs ``reflex run --env prod --single-port`` against a fresh data
dir and the session's real redis-server, plus worker processes on demand.
Browsers are Debian's Chromium driven by Playwright (never ``playwright install``).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
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


# React Router's message when a page's prerender overran its 10 s.
PRERENDER_TIMEOUT = "Prerender: Request"
PRERENDER_ATTEMPTS = 3


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
        # The committed frontend lock: the same packages the suite was run with,
        # not whatever the registry holds today.
        shutil.copytree(ROOT / "reflex.lock", dest / "reflex.lock")
        return dest

    def start(self) -> "AppServer":
        need(shutil.which("bun") is not None, "bun", "run ./scripts/test (npm install -g bun)")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.cwd = self._copy_tree()
        self.python("-m", "clawweb.manage", "migrate")
        self.python("-m", "clawweb.manage", "setup-code")
        self.start_web()
        return self

    def start_web(self, timeout: float = 900) -> None:
        """(Re)start the web backend on this server's port, as ``scripts/up`` does.

        React Router gives each prerendered page a fixed 10 s; on a machine busy
        with other tests the build can miss it once, and only that is tried again.
        """
        reflex = str(Path(sys.executable).parent / "reflex")
        for attempt in range(1, PRERENDER_ATTEMPTS + 1):
            mark = self.log_path.stat().st_size if self.log_path.exists() else 0
            self.proc = subprocess.Popen(
                [reflex, "run", "--env", "prod", "--single-port", "--loglevel", "info"],
                env=self.env, cwd=self.cwd, stdout=self.log_path.open("ab"),
                stderr=subprocess.STDOUT, start_new_session=True)
            try:
                return self._wait_ready(timeout=timeout)
            except RuntimeError:
                since = self.log_path.read_bytes()[mark:].decode(errors="replace")
                if attempt == PRERENDER_ATTEMPTS or PRERENDER_TIMEOUT not in since:
                    raise

    def kill_web(self) -> None:
        """``kill -9`` every process of the web backend (as the OOM killer would)."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(20)

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

    def stop_workers(self, keep: int = 0) -> None:
        """Stop every worker but the first ``keep`` started (warm: SIGTERM, then SIGKILL)."""
        ending, self.workers = self.workers[keep:], self.workers[:keep]
        for proc in ending:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in ending:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

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
        self.stop_workers()
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)


NAMESPACE = "/_event"  # Reflex's socket.io namespace (Config.get_event_namespace)


class EventSocket:
    """A client of the app's event WebSocket that does only what a test tells it to.

    It speaks socket.io over Engine.IO v4 the way Reflex's frontend does
    (``.web/utils/state.js``): the hydrate event rides in the CONNECT packet
    (``40/_event,{"event": ...}``), events go out as ``42/_event,["event", {...}]``
    and state updates come back as ``42/_event,["event", {"delta": ..., "events": [...]}]``. Unlike a browser it sends
    no heartbeat and no watchdog ticks: whatever it keeps receiving, the server
    alone decided to send. A ``session_token`` travels as a browser's would: the
    session cookie in the handshake's Cookie header. Received updates are kept
    in ``updates`` as ``(time.monotonic(), update)``.
    """

    def __init__(self, server: AppServer, path: str, session_token: str = ""):
        from websockets.sync.client import connect

        self.path = path
        self.updates: list[tuple[float, dict]] = []
        self.closed = False
        self._cond = threading.Condition()
        url = (f"ws://127.0.0.1:{server.port}/_event/?EIO=4&transport=websocket"
               f"&token={uuid.uuid4()}")
        cookie = {"Cookie": f"{_names()['cookie']}={session_token}"} if session_token else {}
        # proxy=None: straight to loopback, whatever the environment says.
        self.ws = connect(url, origin=server.url, additional_headers=cookie, proxy=None,
                          max_size=None, open_timeout=10, ping_interval=None)
        opening = self.ws.recv(timeout=10)
        if not str(opening).startswith("0{"):
            raise RuntimeError(f"not an Engine.IO open packet: {opening!r}")
        boot = self._event(_names()["hydrate"], {})
        self.ws.send(f"40{NAMESPACE}," + json.dumps({"event": boot}))
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _event(self, name: str, payload: dict) -> dict:
        # As a browser's router sends it: the page's route arguments in the query
        # (clawweb.state.base.route_id reads them there).
        return {"name": name, "payload": payload,
                "router_data": {"pathname": self.path, "asPath": self.path,
                                "query": route_query(self.path)}}

    def send(self, handler, **payload) -> None:
        """Send one event for ``handler`` (e.g. ``AppState.event_handlers["heartbeat"]``)."""
        from reflex_base.utils.format import format_event_handler

        frame = ["event", self._event(format_event_handler(handler), payload)]
        self.ws.send(f"42{NAMESPACE}," + json.dumps(frame))

    def _read(self) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            while True:
                frame = str(self.ws.recv())
                if frame == "2":
                    self.ws.send("3")  # Engine.IO ping/pong keeps the transport, nothing more
                elif frame.startswith(f"42{NAMESPACE},"):
                    name, *args = json.loads(frame[len(NAMESPACE) + 3:])
                    if name == "event" and args:
                        with self._cond:
                            self.updates.append((time.monotonic(), args[0]))
                            self._cond.notify_all()
        except (ConnectionClosed, OSError):
            pass
        finally:
            with self._cond:
                self.closed = True
                self._cond.notify_all()

    def wait_for(self, predicate, timeout: float, since: int = 0) -> int:
        """Index of the first update at or after ``since`` that ``predicate`` accepts."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for i in range(since, len(self.updates)):
                    if predicate(self.updates[i][1]):
                        return i
                since = len(self.updates)
                left = deadline - time.monotonic()
                if left <= 0 or self.closed:
                    raise TimeoutError(f"no matching update in {timeout}s "
                                       f"({len(self.updates)} received, closed={self.closed})")
                self._cond.wait(left)

    def close(self) -> None:
        self.ws.close()
        self._reader.join(10)


def route_query(path: str) -> dict[str, str]:
    """The dynamic route arguments of ``path`` ("/tasks/7/" -> {"task_id": "7"})."""
    import re

    from clawweb import routes

    for name, pattern in vars(routes).items():
        if not (name.isupper() and isinstance(pattern, str) and "[" in pattern):
            continue
        regex = "^" + re.sub(r"\\\[(\w+)\\\]", r"(?P<\1>[^/]+)", re.escape(pattern.rstrip("/")))
        found = re.match(regex + "/?$", path.split("?")[0])
        if found:
            return found.groupdict()
    return {}


def state_delta(update: dict, state_cls) -> dict:
    """The part of an update's delta for one State class, var names without Reflex's suffix."""
    from reflex_base.constants.state import FIELD_MARKER

    part = (update.get("delta") or {}).get(state_cls.get_full_name()) or {}
    return {k.removesuffix(FIELD_MARKER): v for k, v in part.items()}


def _names() -> dict[str, str]:
    """Names the frontend uses on the wire, from the app's own code."""
    import reflex as rx

    from clawweb.http import session_cookie

    return {"hydrate": f"{rx.State.get_full_name()}.hydrate_and_load",
            "cookie": session_cookie.cookie_name()}


class TaskFeeder:
    """Plays the worker for tasks a test created as running: heartbeat and output.

    Real workers of the session (other test modules start some) reap a running
    task whose worker sends no heartbeat and queue it again. The feeder names
    itself as the tasks' worker, keeps that heartbeat key alive while it writes
    numbered lines into their streams (``text(seq)``), and on ``stop`` ends the
    tasks as succeeded, so no worker ever picks them up.
    """

    def __init__(self, task_ids: list[int], per_second: float = 10, text=None):
        from clawweb import redis_conn

        self.name = f"e2e-feeder-{uuid.uuid4().hex[:6]}"
        self.task_ids, self.every = list(task_ids), 1 / per_second
        self.text = text or (lambda seq: f"line-{seq}\n")
        self.seq = {t: 0 for t in self.task_ids}
        self.redis = redis_conn.get_redis()
        self._stop = threading.Event()
        self._beat()
        self._set_tasks(status=None)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _beat(self) -> None:
        from clawweb import streams

        self.redis.set(streams.worker_alive_key(self.name), "e2e feeder", ex=5)

    def _set_tasks(self, status) -> None:
        from clawweb.db import session_scope
        from clawweb.models import Task, utcnow

        with session_scope() as s:
            for task_id in self.task_ids:
                task = s.get(Task, task_id)
                task.worker_name = self.name
                if status is not None:
                    task.status, task.exit_code, task.finished_at = status, 0, utcnow()
                s.add(task)

    def _run(self) -> None:
        from clawweb import streams

        beat_at = time.monotonic()
        while not self._stop.is_set():
            for task_id in self.task_ids:
                self.seq[task_id] += 1
                n = self.seq[task_id]
                streams.publish(self.redis, task_id, [streams.Event(
                    seq=n, type="output", data={"stream": "stdout", "text": self.text(n)})])
            if time.monotonic() - beat_at > 1:
                self._beat()
                beat_at = time.monotonic()
            self._stop.wait(self.every)

    def stop(self) -> None:
        from clawweb.models import TaskStatus

        self._stop.set()
        self._thread.join(5)
        self._set_tasks(status=TaskStatus.succeeded)


class Heartbeat(TaskFeeder):
    """Only the worker's heartbeat for tasks a test made: the test writes their events
    itself (or none), and the session's real workers do not take them for lost."""

    def _run(self) -> None:
        while not self._stop.wait(1):
            self._beat()

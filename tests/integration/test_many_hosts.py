"""clawweb on several hosts of its own making (network namespaces, tests/integration/netns.py).

    data   Redis + PostgreSQL 15 (TCP on the LAN; unix sockets for this test's checks)
    w1, w2 one `python -m worker` each: only the Redis and database URLs, the secret
           key and the shared repositories (data/repos, as an NFS mount would give)
    web    two Reflex backends sharing tab states through Redis (no reverse proxy:
           the test plays it, sending a tab to one backend and then to the other)
    client this test's event sockets

Both worker hosts use the machine's one dockerd through its unix socket (network
namespaces do not separate files): each worker's containers carry its name, and
it is the surviving worker's reaper that removes the dead one's, as it would on
one machine. A task submitted through backend A is watched live through
backend B with the same tab token; then the host running it loses every
process, and the task ends as on one machine, seen live through B.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
import redis as redis_lib
from sqlmodel import Session, select

from clawweb.models import Project, ProjectMember, ProjectRole, Task, TaskStatus, User
from tests.conftest import clear_process_caches
from tests.e2e.harness import NAMESPACE, _names, state_delta
from tests.integration.fleet import containers, wait_for
from tests.integration import netns
from tests.integration.netns import Hosts
from tests.support.postgres import PostgresServer
from tests.support.services import need_docker

ROOT = Path(__file__).resolve().parents[2]
PW = "violet-tractor-sings"
REDIS_PW = "lan-redis-pw"
ORIGIN = "http://clawweb.invalid"  # the proxy's origin; only ever sent as a header value
WEB_PORTS = (8001, 8002)
HB, DEAD = 1, 5
TICKS = "for i in $(seq 1 600); do echo tick-$i; sleep 0.5; done"


class Lan:
    """The namespaced deployment; ``stop()`` takes every piece down again."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.hosts = Hosts(["data", "w1", "w2", "web", "client"])
        self.procs: dict[str, list[subprocess.Popen]] = {}
        self.pg: PostgresServer | None = None
        self.secret = uuid.uuid4().hex * 2
        self.storage = tmp / "storage"       # what every host mounts from a file server

    # -- pieces -----------------------------------------------------------------
    def host_dir(self, name: str) -> Path:
        """A host's own data dir; only ``repos`` comes from the shared storage."""
        data = self.tmp / "hosts" / name / "data"
        data.mkdir(parents=True, exist_ok=True)
        (self.storage / "repos").mkdir(parents=True, exist_ok=True)
        if not (data / "repos").exists():
            (data / "repos").symlink_to(self.storage / "repos")
        return data

    def env(self, name: str, **extra) -> dict[str, str]:
        db = self.hosts.addr("data")
        env = {k: v for k, v in os.environ.items() if not k.startswith("CLAWWEB_")}
        env["PYTHONPATH"] = str(ROOT)
        env.update(
            CLAWWEB_DATA_DIR=str(self.host_dir(name)),
            CLAWWEB_REDIS_URL=f"redis://:{REDIS_PW}@{db}:6379/0",
            CLAWWEB_DATABASE_URL=self.pg.url(self.db_name, host=db),
            CLAWWEB_SECRET_KEY=self.secret, CLAWWEB_PUBLIC_URL=ORIGIN,
            CLAWWEB_WORKER_HEARTBEAT_SECONDS=str(HB), CLAWWEB_WORKER_DEAD_AFTER_SECONDS=str(DEAD),
            # A task disk is a loop mount made in the worker's mount namespace, which
            # `ip netns exec` makes private: dockerd would not see it. Real hosts do.
            CLAWWEB_TASK_DISK_MB="0", PYTHONUNBUFFERED="1")
        env.update(extra)
        return env

    def spawn(self, name: str, argv: list[str], log: str, cwd: Path = ROOT,
              hostname: str = "", **extra) -> subprocess.Popen:
        out = (self.tmp / f"{log}.log").open("ab")
        proc = self.hosts.run(name, argv, hostname=hostname, cwd=cwd, env=self.env(name, **extra),
                              stdout=out, stderr=subprocess.STDOUT)
        self.procs.setdefault(name, []).append(proc)
        return proc

    def start_data(self) -> None:
        db = self.hosts.addr("data")
        self.redis_sock = self.tmp / "redis.sock"
        (self.tmp / "redis").mkdir()
        self.procs["data"] = [self.hosts.run("data", [
            "redis-server", "--port", "6379", "--bind", db, "--requirepass", REDIS_PW,
            "--unixsocket", str(self.redis_sock), "--unixsocketperm", "700",
            "--appendonly", "yes", "--maxmemory-policy", "noeviction",
            "--dir", str(self.tmp / "redis"), "--save", ""],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
        self.pg = PostgresServer(listen=db, wrap=self.hosts.command("data", [])[:4],
                                 allow_net="10.213.77.0/24").start()
        self.db_name = self.pg.create_database()
        wait_for(lambda: self.redis_sock.exists(), 20, "redis-server's socket")

    @property
    def local_redis_url(self) -> str:
        return f"unix://{self.redis_sock}?password={REDIS_PW}&db=0"

    @property
    def local_db_url(self) -> str:
        return (f"postgresql+psycopg://clawweb@/{self.db_name}?host={self.pg.dir}"
                f"&port={self.pg.port}")

    def app_copy(self, name: str) -> Path:
        """Each backend builds in its own copy: Reflex writes .web/ where it runs."""
        dest = self.tmp / f"app-{name}"
        ignore = shutil.ignore_patterns(".web", ".states", "__pycache__", "data")
        for part in ("clawweb", "worker", "assets", "reflex.lock"):
            shutil.copytree(ROOT / part, dest / part, ignore=ignore)
        shutil.copy2(ROOT / "rxconfig.py", dest / "rxconfig.py")
        return dest

    def migrate(self) -> None:
        """The schema, made by the web host over the LAN as an upgrade would."""
        out = subprocess.run(self.hosts.command("web", [sys.executable, "-m", "clawweb.manage",
                                                        "migrate"]),
                             cwd=ROOT, env=self.env("web"), capture_output=True, text=True)
        assert out.returncode == 0, out.stderr[-2000:]

    def start_web(self) -> None:
        from reflex_base.environment import environment

        # Tab states in Redis database 1, apart from the queues.
        addr, state = self.hosts.addr("web"), self.env("web")["CLAWWEB_REDIS_URL"][:-1] + "1"
        for i, port in enumerate(WEB_PORTS):
            app = self.app_copy(str(i))
            self.spawn("web", [sys.executable, "-m", "granian", "--interface", "asgi",
                               "--factory", "--host", addr, "--port", str(port),
                               "clawweb.clawweb:app"], f"web-{i}", cwd=app,
                       CLAWWEB_STATE_REDIS_URL=state, REFLEX_ENV_MODE="prod",
                       # As `reflex run --env prod` starts its backend: no frontend
                       # compile, so no package manager ever runs (or looks anything up).
                       **{environment.REFLEX_SKIP_COMPILE.name: "true"},
                       DISABLE_TELEMETRY="1", PYTHONPATH=str(app))
        for port in WEB_PORTS:
            wait_for(lambda p=port: self._answers(p), 300, f"the backend on port {port}")

    def _answers(self, port: int) -> bool:
        for p in self.procs.get("web", []):
            assert p.poll() is None, self.log_tail()

        def get():
            try:
                url = f"http://{self.hosts.addr('web')}:{port}/ping"
                with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 - our LAN
                    return resp.status == 200
            except OSError:
                return False

        return self.hosts.inside("client", get)

    def start_worker(self, name: str) -> None:
        self.spawn(name, [sys.executable, "-m", "worker", "--name", name], name,
                   hostname=f"host-{name}")

    def workers(self) -> dict[str, str]:
        """Live worker names by host ("w1" -> "w1-ab12cd")."""
        from clawweb.services import fleet

        alive = fleet.alive_workers(redis_lib.Redis.from_url(self.local_redis_url))
        return {n.rsplit("-", 1)[0]: n for n in alive}

    def state_keys(self) -> list[bytes]:
        """Reflex's tab-state keys (Redis database 1)."""
        r = redis_lib.Redis.from_url(self.local_redis_url.replace("db=0", "db=1"))
        return [k for k in r.scan_iter(count=1000) if b"_reflex___state" in k]

    def keys_holding(self, secret: str) -> list[bytes]:
        """Keys (in every database) whose string value contains ``secret``."""
        hits = []
        for db in (0, 1):
            r = redis_lib.Redis.from_url(self.local_redis_url.replace("db=0", f"db={db}"))
            hits += [k for k in r.scan_iter(count=1000)
                     if r.type(k) == b"string" and secret.encode() in (r.get(k) or b"")]
        return hits

    def stop(self) -> None:
        """Stop every process (politely, then not), PostgreSQL, then the namespaces."""
        try:
            for name in ("web", "w1", "w2"):
                for p in self.procs.get(name, []):
                    if p.poll() is None:
                        p.terminate()
            for name in ("web", "w1", "w2"):
                for p in self.procs.get(name, []):
                    try:
                        p.wait(20)
                    except subprocess.TimeoutExpired:
                        p.kill()
        finally:
            try:
                if self.pg is not None:
                    self.pg.stop()
            finally:
                self.hosts.down()

    def teardown(self) -> list[str]:
        """``stop()``, then remove whatever is still there; returns what that was.

        Runs whether the test passed or not: every namespace, veth and container
        goes, and a non-empty answer fails the test after the fact.
        """
        try:
            names = set(self.workers().values()) | self.worker_names_seen()
        except Exception:  # noqa: BLE001 - Redis may never have come up
            names = self.worker_names_seen()
        self.stop()
        left = self.hosts.leftovers()
        for ns in left:
            netns._remove(ns.split()[0])
        stray = containers(names) if names else []
        if stray:
            subprocess.run(["docker", "rm", "-f", *stray], capture_output=True)
        return left + stray

    def worker_names_seen(self) -> set[str]:
        """Every worker name in the logs (a worker may have died before it beat)."""
        import re

        found = set()
        for host in ("w1", "w2"):
            log = self.tmp / f"{host}.log"
            if log.exists():
                found |= set(re.findall(rf"\b{host}-[0-9a-f]{{6}}\b", log.read_text(errors="replace")))
        return found

    def log_tail(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-2500:]}"
                         for p in sorted(self.tmp.glob("*.log")))


class Tab:
    """A browser tab's event socket on one backend (from the client host)."""

    def __init__(self, lan: Lan, port: int, path: str, session_token: str, tab_token: str,
                 query: dict[str, str]):
        from tests.e2e.harness import EventSocket

        # EventSocket dials 127.0.0.1:<port>; here the backend is on the LAN, reached
        # from the client host: the same client, opened there.
        self.sock = EventSocket.__new__(EventSocket)
        lan.hosts.inside("client", self._open, lan, port, path, session_token, tab_token, query)

    def _open(self, lan, port, path, session_token, tab_token, query):
        import threading

        from websockets.sync.client import connect

        s = self.sock
        s.path, s.updates, s.closed, s._cond = path, [], False, threading.Condition()
        s._event = lambda name, payload: {"name": name, "payload": payload, "router_data": {
            "pathname": path, "asPath": path, "query": query}}  # as a browser's router: route
        # arguments in the query (clawweb.state.base.route_id reads them there)
        url = (f"ws://{lan.hosts.addr('web')}:{port}/_event/?EIO=4&transport=websocket"
               f"&token={tab_token}")
        s.ws = connect(url, origin=ORIGIN, proxy=None, max_size=None, open_timeout=10,
                       ping_interval=None,
                       additional_headers={"Cookie": f"{_names()['cookie']}={session_token}"})
        assert str(s.ws.recv(timeout=10)).startswith("0{")
        boot = s._event(_names()["hydrate"], {})
        s.ws.send(f"40{NAMESPACE}," + json.dumps({"event": boot}))
        s._reader = threading.Thread(target=s._read, daemon=True)
        s._reader.start()


@pytest.fixture
def lan(tmp_path, monkeypatch):
    need_docker()
    lan = Lan(tmp_path)
    try:
        lan.hosts.up()
        lan.start_data()
        # This test's own view: the database and Redis over their unix sockets.
        monkeypatch.setenv("CLAWWEB_DATA_DIR", str(lan.host_dir("test")))
        monkeypatch.setenv("CLAWWEB_DATABASE_URL", lan.local_db_url)
        monkeypatch.setenv("CLAWWEB_REDIS_URL", lan.local_redis_url)
        monkeypatch.setenv("CLAWWEB_SECRET_KEY", lan.secret)
        monkeypatch.setenv("CLAWWEB_PUBLIC_URL", ORIGIN)
        monkeypatch.setenv("CLAWWEB_PASSWORD_HASH_FAST", "1")
        clear_process_caches()
        yield lan
    finally:
        left = lan.teardown()
        clear_process_caches()
        assert left == [], f"left behind (now removed): {left}"


def _world(lan: Lan):
    from clawweb import db
    from clawweb.services import git
    from clawweb.services.accounts import auth_sessions, passwords
    from clawweb.services.projects import service as projects

    with Session(db.get_engine(), expire_on_commit=False) as s:
        ann = User(username="ann", password_hash=passwords.hash_password(PW))
        project = Project(name="P", slug="p", max_concurrent_tasks=3, memory_mb=512)
        s.add_all([ann, project])
        s.flush()
        s.add(ProjectMember(project_id=project.id, user_id=ann.id, role=ProjectRole.editor))
        s.commit()
        git.init_empty(projects.project_repo_path(project), branch="main")
        _, token = auth_sessions.sign_in(session=s, username="ann", password=PW, ip="",
                                         user_agent="")
        s.commit()
    return ann, project, token


def _task(task_id: int) -> Task:
    from clawweb import db

    with Session(db.get_engine()) as s:
        return s.get(Task, task_id)


def _ticks(update: dict) -> bool:
    return any("tick-" in str(e.get("payload")) for e in update.get("events") or [])


def test_a_task_submitted_on_one_backend_is_watched_on_the_other_and_survives_its_host(lan):
    from clawweb.state.task_live import TaskLiveState
    from clawweb.state.task_list import TasksState

    lan.migrate()
    ann, project, token = _world(lan)
    lan.start_worker("w1")
    lan.start_worker("w2")
    lan.start_web()
    wait_for(lambda: {"w1", "w2"} <= set(lan.workers()), 90, "both worker hosts to beat")

    # Tab T on backend A: the project page; mark the tab's state, then submit.
    tab = str(uuid.uuid4())
    on_a = Tab(lan, WEB_PORTS[0], f"/projects/{project.id}/", token, tab,
                {"project_id": str(project.id)}).sock
    on_a.send(TasksState.event_handlers["load_project_tasks"])  # the panel's on_mount
    on_a.wait_for(lambda u: state_delta(u, TasksState).get("list_project") == project.id, 60)
    on_a.send(TasksState.event_handlers["set_status_filter"], value="running")
    on_a.wait_for(lambda u: state_delta(u, TasksState).get("status_filter") == "running", 30)
    key = uuid.uuid4().hex
    on_a.send(TasksState.event_handlers["submit_task"],
              form={"command": TICKS, "idempotency_key": key, "timeout_minutes": "10"})
    from clawweb import db
    task_id = wait_for(lambda: _by_key(db, key), 30, "the task row")
    on_a.close()

    # The same tab, sent by the "proxy" to backend B: its state came along through
    # Redis, and the task's output streams live through B.
    on_b = Tab(lan, WEB_PORTS[1], f"/tasks/{task_id}/", token, tab,
               {"task_id": str(task_id)}).sock
    try:
        on_b.wait_for(lambda u: state_delta(u, TasksState).get("status_filter") == "running",
                      60)
        first = on_b.wait_for(_ticks, 90)
        assert lan.state_keys(), "no tab state in Redis: the backends did not share it"
        held = lan.keys_holding(token)
        assert held == [], f"a raw session token sits in Redis: {held}"
        on_b.wait_for(_ticks, 20, since=first + 1)
        running = _task(task_id)
        assert running.status == TaskStatus.running and running.command_started
        host = running.worker_name.rsplit("-", 1)[0]
        survivor = {"w1": "w2", "w2": "w1"}[host]
        assert containers([running.worker_name], task_id)

        lan.hosts.crash(host)                   # that host loses every process
        crashed_at = time.monotonic()
        on_b.wait_for(lambda u: (state_delta(u, TaskLiveState).get("task") or {})
                      .get("status") == "failed", DEAD + 6 * HB + 30, since=first)
        took = time.monotonic() - crashed_at
        lost = _task(task_id)
        from clawweb.services import fleet
        assert (lost.status, lost.failure_reason) == (TaskStatus.failed, fleet.LOST_STARTED)
        assert lost.attempt == 1 and took < DEAD + 6 * HB + 15, took
        wait_for(lambda: not containers([running.worker_name], task_id), 30,
                 "the dead host's container to be removed by the surviving worker")

        # The fleet goes on: the next task runs on the surviving host.
        from clawweb.services.tasks import service as tasks
        with Session(db.get_engine()) as s:
            after = tasks.submit_task(session=s, user=s.get(User, ann.id),
                                      project_id=project.id, command="echo after",
                                      idempotency_key=uuid.uuid4().hex).id
        done = wait_for(lambda: (t := _task(after)).status == TaskStatus.succeeded and t, 90,
                        "the next task")
        assert done.worker_name.startswith(f"{survivor}-"), lan.log_tail()
    finally:
        on_b.close()


def _by_key(db, key: str) -> int | None:
    with Session(db.get_engine()) as s:
        return s.exec(select(Task.id).where(Task.idempotency_key == key)).first()

"""The CLI end to end: ``python -m clawweb.cli`` against the real backend, a real
worker and dockerd. ``run`` streams the command's output and exits with its code;
``tail`` survives the backend being killed and started again mid-stream.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.support.api_objects import make_project, make_token, make_user
from tests.support.api_server import ApiServer, point_process_at
from tests.support.services import RedisServer, need_docker

ROOT = Path(__file__).resolve().parents[2]
PROXY_VARS = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY",
              "ALL_PROXY")


@pytest.fixture(scope="module")
def system(tmp_path_factory):
    need_docker()
    base = tmp_path_factory.mktemp("cli")
    redis = RedisServer(base / "redis").start()
    server = ApiServer(base, redis.url)
    try:
        server.start()
        server.start_worker("cli-e2e")
    except BaseException:
        server.stop()
        redis.stop()
        raise
    restore = point_process_at(server)
    yield server
    restore()
    server.stop()
    redis.stop()


@pytest.fixture(scope="module")
def signed_in(system, tmp_path_factory):
    """A user with a project, and a CLI home where ``clawweb login`` has run."""
    user = make_user()
    project = make_project(user, name="cli demo")
    home = tmp_path_factory.mktemp("cli-home")
    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARS
           and not k.startswith("CLAWWEB_")}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), PYTHONPATH=str(ROOT),
               NO_PROXY="127.0.0.1,localhost")
    token = make_token(user, ["read", "tasks"], name="laptop")
    done = subprocess.run([sys.executable, "-m", "clawweb.cli", "login", system.url],
                          input=token + "\n", env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    cfg = home / ".config" / "clawweb" / "config"
    assert stat.S_IMODE(cfg.stat().st_mode) == 0o600 and token in cfg.read_text()
    assert token not in done.stdout + done.stderr
    return {"env": env, "project": project, "user": user}


def cli(signed_in, *args, timeout=180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "clawweb.cli", *args], env=signed_in["env"],
                          capture_output=True, text=True, timeout=timeout)


def test_projects_lists_the_users_projects(signed_in):
    done = cli(signed_in, "projects")
    assert done.returncode == 0, done.stderr
    assert "cli-demo" in done.stdout and str(signed_in["project"]) in done.stdout


def test_run_streams_and_exits_with_the_commands_code(signed_in):
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "clawweb.cli", "run", "cli-demo", "--", "sh", "-c",
         "echo first; sleep 4; echo second >&2; echo third; exit 3"],
        env=signed_in["env"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = proc.stdout.readline()
    first_at = time.monotonic()
    out, err = proc.communicate(timeout=180)
    ended_at = time.monotonic()
    assert first == "first\n"
    assert ended_at - first_at > 3, "the first line came only at the end: not streamed"
    assert proc.returncode == 3, err
    assert out == "third\n"  # stdout holds the command's output, nothing of clawweb's
    assert "second" in err and "failed (exit 3)" in err
    assert "\x1b" not in out + err  # a pipe: no colours
    assert ended_at - started < 180


def test_a_green_run_lets_the_script_go_on(signed_in):
    done = subprocess.run(
        [sys.executable, "-m", "clawweb.cli", "-q", "run", "cli-demo", "--",
         "test 1 -eq 1 && echo tests-pass"], env=signed_in["env"], capture_output=True,
        text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "tests-pass\n"


class Reader(threading.Thread):
    """Collects a process's stdout lines with the time each arrived."""

    def __init__(self, stream):
        super().__init__(daemon=True)
        self.stream, self.lines, self.cond = stream, [], threading.Condition()

    def run(self):
        for line in self.stream:
            with self.cond:
                self.lines.append(line.rstrip("\n"))
                self.cond.notify_all()

    def wait_for(self, text, timeout):
        deadline = time.monotonic() + timeout
        with self.cond:
            while text not in self.lines:
                left = deadline - time.monotonic()
                assert left > 0, f"{text!r} not seen; got {self.lines[-5:]}"
                self.cond.wait(left)


def test_tail_survives_the_backend_restarting_mid_stream(system, signed_in):
    from clawweb.db import session_scope
    from clawweb.models import User
    from clawweb.services.tasks import service as tasks

    lines = 70
    with session_scope() as s:
        task = tasks.submit_task(
            session=s, user=s.get(User, signed_in["user"]), project_id=signed_in["project"],
            command=f"for i in $(seq 1 {lines}); do echo line-$i; sleep 0.4; done; exit 5",
            idempotency_key=f"tail-{time.time_ns()}")
    proc = subprocess.Popen([sys.executable, "-m", "clawweb.cli", "tail", str(task.id)],
                            env=signed_in["env"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    reader = Reader(proc.stdout)
    reader.start()
    reader.wait_for("line-5", timeout=120)
    system.kill_web()
    killed_at = len(reader.lines)
    time.sleep(1)
    system.start_web()
    err = proc.stderr.read()
    proc.wait(timeout=180)
    reader.join(10)
    got = [line for line in reader.lines if line.startswith("line-")]
    assert Counter(got) == Counter(f"line-{i}" for i in range(1, lines + 1)), err
    assert got == [f"line-{i}" for i in range(1, lines + 1)]
    assert proc.returncode == 5, err
    assert "connection lost" in err  # the drop really happened, and was ridden out
    assert killed_at < lines, "the backend went down only after the task had finished"

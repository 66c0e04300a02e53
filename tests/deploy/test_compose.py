"""deploy/compose.yml brought up for real with Debian's docker-compose (v1).

The images are the project's own (deploy/build-images.sh, no registry), the
compose network is an internal bridge of this test's own (nothing leaves the
machine), and task containers still run with ``--network none``. A user is
set up and signs in through ``/api/auth/*`` over HTTP; a task goes through
``manage submit`` in the web container (the same service the UI calls) and is
run by the worker container through the host's dockerd. Then the promises of
an upgrade: the migrations ran before web and worker started, and a worker
stopped with SIGTERM (``docker-compose stop``) finishes its running task
before it exits, while a task queued meanwhile waits for the next worker.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import time

import pytest

from tests.deploy.compose_support import (
    Deployment, event_socket_shows, need_compose, post_json, task_containers,
)

PASSWORD = "compose-admin-" + secrets.token_hex(6)


@pytest.fixture
def deployment(tmp_path):
    need_compose()
    dep = Deployment(tmp_path)
    workers: list[str] = []
    try:
        dep.up()
        workers = dep.worker_names()
        yield dep
    finally:
        dep.down()
    left = subprocess.run(["docker", "ps", "-a", "-q", "--filter",
                           f"label=com.docker.compose.project={dep.project}"],
                          capture_output=True, text=True).stdout.split()
    assert left == [], "compose containers left behind"
    assert task_containers(workers) == [], "task containers left behind"


def _task(dep: Deployment, *args: str) -> dict:
    res = dep.manage(*args)
    assert res.stdout.strip(), res.stderr
    return json.loads(res.stdout.strip().splitlines()[-1])


def _wait(cond, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := cond():
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def test_compose_deployment_runs_a_task_and_drains_on_sigterm(deployment):
    dep = deployment
    url = dep.wait_healthy()
    migrate = dep.inspect(dep.container("migrate"))["State"]
    assert (migrate["Status"], migrate["ExitCode"]) == ("exited", 0)

    code = (dep.data / "setup-code").read_text().strip()
    status, body, _ = post_json(f"{url}/api/auth/setup", {
        "code": code, "username": "admin", "password": PASSWORD, "password2": PASSWORD},
        origin=dep.public_url)
    assert (status, body.get("ok")) == (200, True), body
    status, body, _ = post_json(f"{url}/api/auth/sign-in",
                                {"username": "admin", "password": PASSWORD},
                                origin="http://elsewhere.invalid")
    assert status == 403  # the real route, with its Origin check
    status, body, cookie = post_json(f"{url}/api/auth/sign-in",
                                     {"username": "admin", "password": PASSWORD},
                                     origin=dep.public_url)
    assert (status, body.get("ok")) == (200, True) and "HttpOnly" in cookie
    # The live UI's socket answers through compose, as this signed-in user.
    event_socket_shows(url, dep.public_url, cookie.split(";", 1)[0], want='"admin"')
    with pytest.raises(AssertionError, match="no state update"):  # not without the cookie
        event_socket_shows(url, dep.public_url, "", want='"admin"', within=8)

    done = _task(dep, "submit", "--user", "admin", "--project", "demo", "--create-project",
                 "--wait", "240", "--", "echo hello-from-compose; ls /sys/class/net")
    assert done["status"] == "succeeded", done
    lines = done["stdout"].split()
    assert lines[0] == "hello-from-compose"
    assert lines[1:] == ["lo"]  # the task's container has no network but loopback
    first_worker = done["worker"]
    assert any(first_worker.startswith(h) for h in dep.worker_names())

    # Drain: SIGTERM while a task runs lets it finish; the worker then exits cleanly.
    running = _task(dep, "submit", "--user", "admin", "--project", "demo", "--",
                    "sleep 6; echo drained-ok")
    _wait(lambda: subprocess.run(["docker", "ps", "-q", "--filter",
                                  f"label=clawweb.task={running['id']}"],
                                 capture_output=True, text=True).stdout.strip(), 120,
          "the task's container")
    worker_id = dep.container("worker")
    dep.compose("stop", "-t", "120", "worker", timeout=300)
    assert dep.inspect(worker_id)["State"]["ExitCode"] == 0
    ended = _task(dep, "task", str(running["id"]))
    assert ended["status"] == "succeeded" and "drained-ok" in ended["stdout"], ended

    # No worker now: a task waits queued, and the next worker runs it.
    queued = _task(dep, "submit", "--user", "admin", "--project", "demo", "--",
                   "echo picked-up-later")
    time.sleep(3)
    assert _task(dep, "task", str(queued["id"]))["status"] == "queued"
    dep.compose("start", "worker")
    later = _task(dep, "task", str(queued["id"]), "--wait", "240")
    assert later["status"] == "succeeded" and "picked-up-later" in later["stdout"], later


def test_the_web_container_refuses_a_public_url_its_frontend_was_not_built_for(tmp_path):
    need_compose()
    res = subprocess.run(["docker", "run", "--rm", "--network", "none",
                          "-e", "CLAWWEB_PUBLIC_URL=https://not-the-built-one.invalid",
                          "-e", "CLAWWEB_DATA_DIR=/tmp/data", "clawweb-app", "web"],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 2 and "rebuild with CLAWWEB_PUBLIC_URL" in res.stderr

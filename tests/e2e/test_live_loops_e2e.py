"""Closed tabs leave nothing running: live loops end and the backend goes idle.

On a phone viewport, 20 pages (task lists of one project and of every
project, and task pages) are opened in batches and closed again. While a batch
is open the backend counts its live loops (``clawweb_live_loops`` on
``/metrics``); after the last tab closes that count must reach zero within a
few seconds, and the backend's processes must then use almost no CPU (their
``/proc/<pid>/stat`` times sampled over two seconds).
"""

from __future__ import annotations

import os
import re
import time
import urllib.request
import uuid

import pytest

from tests.e2e.conftest import make_user

PASSWORD = "live loops e2e pw 1"
PAGES, BATCH = 20, 5
ENDED_WITHIN_SECONDS = 12.0  # the loops' 3 s grace plus one step each, on a busy box
IDLE_SAMPLE_SECONDS = 2.0
IDLE_CPU_SHARE = 0.10  # of one core, all backend processes together
LOOPS = re.compile(r'^clawweb_live_loops\{kind="(\w+)"\} ([0-9.e+]+)$', re.M)


@pytest.fixture
def world(app_env, admin_account):
    """A member signed in once, owning a project with three finished tasks.

    ``admin_account`` first: the first user of the e2e app must be the setup admin
    (the tests after this one sign in as that admin).
    """
    from clawweb.db import session_scope
    from clawweb.models import Task, TaskStatus, User, utcnow
    from clawweb.services.accounts import auth_sessions
    from clawweb.services.projects import service as projects

    name = f"loops-{uuid.uuid4().hex[:6]}"
    user_id = make_user(name, PASSWORD)
    with session_scope() as s:
        project = projects.create_project(session=s, user=s.get(User, user_id),
                                          name=f"Loops {name}")
        tasks = [Task(project_id=project.id, created_by=user_id, command=f"echo {i}",
                      status=TaskStatus.succeeded, exit_code=0, started_at=utcnow(),
                      finished_at=utcnow()) for i in range(3)]
        s.add_all(tasks)
        s.flush()
        ids = project.id, [t.id for t in tasks]
    with session_scope() as s:
        _, token = auth_sessions.sign_in(session=s, username=name, password=PASSWORD,
                                         ip="127.0.0.1", user_agent="loops test")
    return token, *ids


def live_loops(app_env) -> int:
    """Live loops the backend runs now, every kind together (from ``/metrics``)."""
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(
            f"{app_env.url}/metrics", timeout=10) as resp:
        text = resp.read().decode()
    return int(sum(float(n) for _kind, n in LOOPS.findall(text)))


def _backend_cpu_seconds(app_env) -> float:
    """User + system CPU of every process of the backend's session (reflex and its workers)."""
    tick, total = os.sysconf("SC_CLK_TCK"), 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        if int(fields[3]) == app_env.proc.pid:  # field 6, the session id
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def _wait(predicate, timeout: float, what):
    """Poll ``predicate`` until it holds; ``what()`` says what did not happen."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, what()
        time.sleep(0.2)


@pytest.mark.quiet  # a deadline and a CPU sample: not beside the other test stream
def test_closed_tabs_leave_no_live_loop_and_an_idle_backend(app_env, world, new_context):
    from clawweb.http import session_cookie

    token, project_id, task_ids = world
    ctx = new_context("phone")
    ctx.add_cookies([{"name": session_cookie.cookie_name(), "value": token,
                      "url": app_env.url, "httpOnly": True, "sameSite": "Strict"}])
    urls = [f"/projects/{project_id}/", "/tasks/", *[f"/tasks/{t}/" for t in task_ids]]
    start = time.monotonic()
    for first in range(0, PAGES, BATCH):
        pages = [ctx.new_page() for _ in range(BATCH)]
        for i, page in enumerate(pages):
            page.goto(urls[(first + i) % len(urls)], wait_until="commit")
        for page in pages:
            page.locator("[data-testid=task-list], [data-testid=task-header]").first \
                .wait_for(state="visible")
        # Each open page runs its loops (a list or task loop, and the bell's).
        _wait(lambda: live_loops(app_env) >= BATCH, 10,
              lambda: f"{BATCH} open pages, {live_loops(app_env)} live loops")
        for page in pages:
            page.close()
    closed_at = time.monotonic()
    _wait(lambda: live_loops(app_env) == 0, ENDED_WITHIN_SECONDS,
          lambda: f"{live_loops(app_env)} live loops still run "
                  f"{ENDED_WITHIN_SECONDS}s after the last tab closed")
    print(f"\nlast live loop ended {time.monotonic() - closed_at:.1f}s after the last tab closed")
    before = _backend_cpu_seconds(app_env)
    time.sleep(IDLE_SAMPLE_SECONDS)  # the measurement window itself, not a wait for state
    used = _backend_cpu_seconds(app_env) - before
    print(f"backend CPU with no tab open: {used:.2f}s in {IDLE_SAMPLE_SECONDS}s")
    assert used <= IDLE_CPU_SHARE * IDLE_SAMPLE_SECONDS, \
        f"the backend used {used:.2f}s of CPU in {IDLE_SAMPLE_SECONDS}s with no tab open"
    assert time.monotonic() - start < 60

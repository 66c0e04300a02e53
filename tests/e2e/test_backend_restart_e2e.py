"""The web backend killed mid-stream: the browser reconnects and the page rebuilds.

A real shell task (real worker, real dockerd) prints numbered lines slowly. While
a browser follows it, every process of the web backend gets ``kill -9`` and the
backend is started again on the same port. The same page (no reload) must
reconnect by itself, stay signed in, and end up showing every line exactly
once: nothing lost while the backend was down, nothing doubled by the replay.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter

import pytest

from tests.e2e.conftest import make_user, screenshot, sign_in
from tests.support.services import need_docker

# It times a backend restart against a running task:
# a full run gives it the machine to itself (tests/e2e/conftest.py).
pytestmark = pytest.mark.quiet

PASSWORD = "restart e2e password 1"
LINES = 240
EVERY_SECONDS = 0.5  # two minutes of output: the restart happens well inside it


@pytest.fixture(scope="module")
def owner(app_env, admin_account):
    need_docker()
    name = f"restart-{uuid.uuid4().hex[:6]}"
    app_env.start_worker(name)
    from clawweb.db import session_scope
    from clawweb.models import User
    from clawweb.services.projects import service as projects

    user_id = make_user(name, PASSWORD)
    with session_scope() as s:
        project = projects.create_project(session=s, user=s.get(User, user_id),
                                          name=f"Restart {name}")
        return name, user_id, project.id


def _submit(user_id: int, project_id: int, command: str) -> int:
    from clawweb.db import session_scope
    from clawweb.models import User
    from clawweb.services.tasks import service as tasks

    with session_scope() as s:
        return tasks.submit_task(session=s, user=s.get(User, user_id), project_id=project_id,
                                 command=command, idempotency_key=uuid.uuid4().hex).id


def _status(task_id: int) -> str:
    from clawweb.db import session_scope
    from clawweb.models import Task

    with session_scope() as s:
        return s.get(Task, task_id).status.value


def _lines(page) -> list[str]:
    """What the command printed: the terminal minus the app's own notes (stream "sys")."""
    text = page.locator("#task-term-out").evaluate(
        "el => [...el.children].filter(c => c.dataset.stream !== 'sys')"
        ".map(c => c.textContent).join('')")
    return text.splitlines()


def _wait_text(page, needle: str, timeout: float) -> None:
    try:
        page.wait_for_function(
            "s => ((document.getElementById('task-term-out')||{}).textContent||'').includes(s)",
            arg=needle, timeout=timeout * 1000)
    except Exception:
        screenshot(page, "restart-text-timeout")
        tail = _lines(page)[-3:]
        raise AssertionError(f"{needle!r} never showed; last lines {tail}")


def test_backend_killed_mid_stream_reconnects_with_no_line_lost_or_doubled(
        app_env, owner, new_context):
    name, user_id, project_id = owner
    page = new_context("desktop").new_page()
    sign_in(page, name, PASSWORD)
    task_id = _submit(user_id, project_id,
                      f"for i in $(seq 1 {LINES}); do echo n-$i; sleep {EVERY_SECONDS}; done")
    page.goto(f"/tasks/{task_id}/")
    _wait_text(page, "n-5\n", timeout=120)
    page.evaluate("window.__before_kill = 1")  # gone if the page were reloaded

    app_env.kill_web()
    assert app_env.proc.poll() is not None  # the backend really is gone
    assert _status(task_id) == "running"  # mid-stream: the task goes on without it
    started = time.monotonic()
    app_env.start_web()
    restart_seconds = time.monotonic() - started
    print(f"\nbackend restarted in {restart_seconds:.1f}s")
    assert _status(task_id) == "running", "the task ended before the backend was back"

    # The same document reconnects on its own and the loop replays from the start.
    deadline = time.monotonic() + LINES * EVERY_SECONDS + 120
    while _status(task_id) == "running" and time.monotonic() < deadline:
        time.sleep(1)
    assert _status(task_id) == "succeeded"
    _wait_text(page, f"n-{LINES}\n", timeout=60)
    assert page.evaluate("window.__before_kill") == 1, "the page was reloaded, not reconnected"
    assert "/login" not in page.url
    lines, expected = _lines(page), [f"n-{i}" for i in range(1, LINES + 1)]
    counts = Counter(lines)
    assert lines == expected, (f"{len(lines)} lines; missing {sorted(set(expected) - set(lines))[:5]}, "
                               f"doubled {[ln for ln, c in counts.items() if c > 1][:5]}")
    header = page.get_by_test_id("task-header").get_by_test_id("status-badge")
    assert header.get_attribute("data-status") == "succeeded"
    screenshot(page, "task-after-backend-restart")

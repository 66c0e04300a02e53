"""Tasks in a real browser against the real app and a real worker (dockerd, clawweb-runner):
submit from a phone and watch it stream, cancel from the task page while another tab's
list changes without reload, reload mid-stream without losing or repeating a line."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.e2e.conftest import make_user, no_hscroll, screenshot, sign_in
from tests.support.services import need_docker

PASSWORD = "tasks e2e password 1"
LINES = 3000


@pytest.fixture(scope="module")
def worker(app_env):
    need_docker()
    name = f"tasks-e2e-{uuid.uuid4().hex[:6]}"
    app_env.start_worker(name)
    return name


@pytest.fixture(scope="module")
def owner(app_env, admin_account, worker):
    """A member who owns a fresh empty project (made through the services)."""
    from clawweb.db import session_scope
    from clawweb.models import User
    from clawweb.services.projects import service as projects

    username = f"runner-{uuid.uuid4().hex[:6]}"
    user_id = make_user(username, PASSWORD)
    with session_scope() as s:
        project = projects.create_project(session=s, user=s.get(User, user_id),
                                          name=f"Tasks {username}")
        project_id = project.id
    return username, project_id


def _submit(page, project_id: int, command: str) -> int:
    page.goto(f"/projects/{project_id}/")
    box = page.get_by_test_id("task-command")
    box.wait_for()
    box.fill(command)
    run = page.get_by_test_id("task-run")
    run.wait_for()
    page.wait_for_function("() => !document.querySelector('[data-testid=task-run]').disabled")
    run.click()
    try:
        page.wait_for_url(re.compile(r".*/tasks/\d+/?$"))
    except Exception:
        screenshot(page, "task-submit-failed")
        errors = page.get_by_test_id("form-error")
        raise AssertionError(f"submit did not open the task: "
                             f"{errors.all_inner_texts() if errors.count() else page.url}")
    return int(re.search(r"/tasks/(\d+)", page.url).group(1))


def _status(page) -> str:
    return page.get_by_test_id("task-header").get_by_test_id("status-badge") \
        .get_attribute("data-status") or ""


def _wait_status(page, wanted: str, timeout: float = 90) -> None:
    try:
        page.wait_for_function(
            """s => { const b = document.querySelector('[data-testid=task-header] '
                      + '[data-testid=status-badge]'); return b && b.dataset.status === s; }""",
            arg=wanted, timeout=timeout * 1000)
    except Exception:
        screenshot(page, f"task-status-{wanted}-timeout")
        raise AssertionError(f"status never became {wanted}; header: "
                             f"{page.get_by_test_id('task-header').inner_text()!r}")


def _wait_text(page, needle: str, timeout: float = 60) -> None:
    try:
        page.wait_for_function(
            "s => ((document.getElementById('task-term-out')||{}).textContent||'').includes(s)",
            arg=needle, timeout=timeout * 1000)
    except Exception:
        screenshot(page, "task-text-timeout")
        text = page.locator("#task-term-out").evaluate("el => el.textContent")
        raise AssertionError(f"{needle!r} never showed; {len(text)} chars, "
                             f"head {text[:200]!r} tail {text[-200:]!r}")


# What the command printed: the terminal's chunks minus the app's own notes
# (stream "sys", e.g. "Nothing changed in the working copy...").
OUTPUT_TEXT_JS = ("el => [...el.children].filter(c => c.dataset.stream !== 'sys')"
                  ".map(c => c.textContent).join('')")


def _term_lines(page) -> list[str]:
    return page.locator("#task-term-out").evaluate(OUTPUT_TEXT_JS).splitlines()


# The line-count badge agrees with every line the terminal shows, the app's notes
# included (they can arrive just after the last output line).
COUNT_MATCHES_JS = """n => {
  const badge = document.querySelector('[data-testid=term-line-count]');
  const text = (document.getElementById('task-term-out') || {}).textContent || '';
  const shown = (text.match(/\\n/g) || []).length + (text && !text.endsWith('\\n') ? 1 : 0);
  return badge && shown >= n && parseInt(badge.textContent, 10) === shown;
}"""


def test_phone_submit_watch_stream_and_cancel_with_live_list(owner, new_context):
    username, project_id = owner
    ctx = new_context("phone")
    page = ctx.new_page()
    sign_in(page, username, PASSWORD)
    command = ("for i in 1 2 3; do echo \"hello-$i <b>not bold</b>\"; echo \"warn-$i\" >&2; "
               "sleep 0.5; done; printf '\\033[32mgreen\\033[0m\\n'")
    task_id = _submit(page, project_id, command)
    page.get_by_test_id("task-header").wait_for()
    # Streams: the first line shows before the task is over.
    _wait_text(page, "hello-1")
    _wait_status(page, "succeeded")
    _wait_text(page, "green")
    lines = _term_lines(page)
    assert [ln for ln in lines if ln.startswith("hello-")] == \
        [f"hello-{i} <b>not bold</b>" for i in (1, 2, 3)]
    assert page.locator("#task-term-out b").count() == 0  # markup stayed text
    assert page.locator("#task-term-out [data-stream=stderr]").count() >= 1
    green = page.locator("#task-term-out span[style*='color']", has_text="green").first
    assert "rgb(139, 195, 74)" in green.evaluate("el => getComputedStyle(el).color")
    assert page.get_by_test_id("task-exit-code").inner_text().strip() == "0"
    no_hscroll(page)
    screenshot(page, "task-done-phone")

    # A runaway task: cancel it on its page while the project's list is open elsewhere.
    long_id = _submit(page, project_id, "echo started; sleep 300")
    _wait_status(page, "running")
    lister = ctx.new_page()
    lister.goto(f"/projects/{project_id}/")
    row = lister.locator(f"[data-testid=task-row][data-task-id='{long_id}']")
    row.get_by_test_id("status-badge").wait_for()
    assert row.get_by_test_id("status-badge").get_attribute("data-status") == "running"
    assert lister.locator(f"[data-testid=task-row][data-task-id='{task_id}'] "
                          "[data-status=succeeded]").count() == 1
    no_hscroll(lister)
    screenshot(lister, "project-tasks-phone")
    page.get_by_test_id("task-cancel").click()
    page.get_by_test_id("task-cancel-confirm").click()
    _wait_status(page, "cancelled", timeout=30)
    # The other tab was never reloaded: its live list followed the change.
    row.locator("[data-status=cancelled]").wait_for(timeout=15000)
    assert page.get_by_test_id("task-reason").inner_text().strip() != ""
    screenshot(page, "task-cancelled-phone")

    lister.goto("/tasks/")
    lister.get_by_test_id("task-row").first.wait_for()
    lister.get_by_test_id("status-filter").click()
    lister.get_by_test_id("status-filter-cancelled").click()
    lister.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=task-row]')]"
        ".every(r => r.querySelector('[data-status=cancelled]'))")
    assert lister.locator(f"[data-testid=task-row][data-task-id='{long_id}']").count() == 1
    assert lister.locator(f"[data-testid=task-row][data-task-id='{task_id}']").count() == 0
    no_hscroll(lister)
    screenshot(lister, "tasks-mine-phone")


def test_reload_mid_stream_shows_every_line_once_in_two_browsers(owner, new_context):
    username, project_id = owner
    page = new_context("phone").new_page()
    sign_in(page, username, PASSWORD)
    task_id = _submit(page, project_id,
                      f"for i in $(seq 1 {LINES}); do echo line-$i; sleep 0.002; done")
    _wait_text(page, "line-200\n")
    assert _status(page) == "running", "the task ended before the reload could test anything"
    page.reload()
    page.get_by_test_id("task-header").wait_for()
    _wait_status(page, "succeeded", timeout=120)
    expected = [f"line-{i}" for i in range(1, LINES + 1)]
    _wait_text(page, f"line-{LINES}\n")
    assert _term_lines(page) == expected
    page.wait_for_function(COUNT_MATCHES_JS, arg=LINES, timeout=10_000)
    no_hscroll(page)
    screenshot(page, "task-reloaded-phone")

    desktop = new_context("desktop").new_page()
    sign_in(desktop, username, PASSWORD)
    desktop.goto(f"/tasks/{task_id}/")
    _wait_text(desktop, f"line-{LINES}\n")
    assert _term_lines(desktop) == expected
    screenshot(desktop, "task-done-desktop")
    desktop.goto("/tasks/")
    desktop.get_by_test_id("task-row-desktop").first.wait_for()
    screenshot(desktop, "tasks-mine-desktop")
    desktop.goto(f"/projects/{project_id}/")
    desktop.get_by_test_id("task-row-desktop").first.wait_for()
    screenshot(desktop, "project-tasks-desktop")


def test_the_task_pages_code_is_loaded_before_run_is_clicked(owner, new_context):
    """Run's wait holds no fetch of the task page's code: the project page loaded it idle.

    Measured before: the task route's module was requested after the click and
    its ~70 chunks came in waves, about half a second of click Run -> first line.
    """
    username, project_id = owner
    page = new_context("phone").new_page()
    sign_in(page, username, PASSWORD)
    page.goto(f"/projects/{project_id}/")
    page.get_by_test_id("task-command").fill("echo prefetched")
    page.wait_for_function("() => window.clawwebPrefetch && window.clawwebPrefetch.done",
                           timeout=20_000)
    code = page.evaluate("""() => {
        const m = window.__reactRouterManifest;
        const r = Object.values(m.routes).find(r => r.path === 'tasks/:task_id');
        return [r.module, ...(r.imports || [])]; }""")
    assert len(code) > 1 and all(c.endswith(".js") for c in code), code
    after_click: list[str] = []
    page.on("request", lambda r: after_click.append(r.url))
    page.get_by_test_id("task-run").click()
    page.wait_for_url(re.compile(r".*/tasks/\d+/?$"))
    page.get_by_test_id("task-header").wait_for()
    _wait_text(page, "prefetched")
    fetched = [u for u in after_click if any(u.endswith(c) for c in code)]
    assert fetched == [], f"the task page still fetched its code after Run: {fetched[:5]}"

"""The task page on a phone (390x844): output first, the approval at the thumb, the
newest line in view.

Tasks here are fed (no container): the promises are about layout, so a test writes
the stream events a worker would write (``TaskFeeder`` keeps the heartbeat that
stops the session's real workers from taking the tasks for lost). Each test saves
screenshots of what it checked into ``$CLAWWEB_TEST_ARTIFACTS/screens``.
"""

from __future__ import annotations

import time
import uuid

import pytest

from tests.e2e.conftest import make_user, no_hscroll, screenshot, sign_in
from tests.e2e.harness import Heartbeat, TaskFeeder, artifacts_dir

PASSWORD = "phone layout e2e password 1"
PARAGRAPH = ("The tests pass on the main branch; I looked at every module the change "
             "touches and wrote down what each of them promises before editing. ")

# Where an element is, relative to the viewport and the phone's bottom tab bar.
# ``sel`` picks the last match; ``clip`` (optional) is the scroll box it must be inside.
GEOMETRY_JS = """([sel, clip]) => {
  const all = document.querySelectorAll(sel); const el = all[all.length - 1];
  const nav = document.querySelector('[data-testid=bottom-nav]');
  if (!el || !nav) return null;
  const r = el.getBoundingClientRect(), bar = nav.getBoundingClientRect();
  const box = clip ? document.querySelector(clip).getBoundingClientRect() : null;
  return {top: r.top, bottom: r.bottom, height: r.height, bar: bar.top,
          box_top: box ? box.top : 0, box_bottom: box ? box.bottom : innerHeight,
          doc_top: r.top + scrollY, text: (el.textContent || '').slice(0, 40)};
}"""


def _in_view(g) -> bool:
    """Fully visible: inside the viewport, above the tab bar, inside its scroll box."""
    return bool(g) and g["height"] > 0 and g["top"] >= max(0, g["box_top"]) - 0.5 and (
        g["bottom"] <= min(g["bar"], g["box_bottom"]) + 0.5)


def _wait_in_view(page, sel: str, clip: str | None = None, timeout: float = 8.0) -> dict:
    """Poll (with a deadline) until the last ``sel`` is fully in view; fail with where it was."""
    deadline, g = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        g = page.evaluate(GEOMETRY_JS, [sel, clip])
        if _in_view(g):
            return g
        page.wait_for_timeout(100)
    raise AssertionError(f"{sel} not fully in view above the tab bar: {g}")


class _Feeder(TaskFeeder):
    """A TaskFeeder that first writes ``burst`` lines at once (a long output so far)."""

    burst = 0

    def _run(self) -> None:
        from clawweb import streams

        for task_id in self.task_ids:
            streams.publish(self.redis, task_id, [streams.Event(
                seq=n, type="output", data={"stream": "stdout", "text": self.text(n)})
                for n in range(1, self.burst + 1)])
            self.seq[task_id] = self.burst
        super()._run()


@pytest.fixture(scope="module")
def member(app_env, admin_account):
    from clawweb.db import session_scope
    from clawweb.models import User
    from clawweb.services.projects import service as projects

    username = f"phone-{uuid.uuid4().hex[:6]}"
    user_id = make_user(username, PASSWORD)
    with session_scope() as s:
        project = projects.create_project(session=s, user=s.get(User, user_id),
                                          name=f"Phone {username}")
        return username, user_id, project.id


def _task(member, *, kind: str, command: str, status: str) -> int:
    from clawweb.db import session_scope
    from clawweb.i18n import stored
    from clawweb.models import Task, TaskStatus, utcnow

    _, user_id, project_id = member
    ended = status in ("interrupted", "succeeded")
    with session_scope() as s:
        task = Task(project_id=project_id, created_by=user_id, kind=kind, command=command,
                    status=TaskStatus(status), started_at=utcnow(),
                    finished_at=utcnow() if ended else None,
                    failure_reason=stored.encode("agents.interrupted")  # as the worker
                    if status == "interrupted" else "")
        s.add(task)
        s.flush()
        return task.id


def _publish(task_id: int, start: int, events: list[tuple[str, dict]]) -> int:
    """Write ``events`` as seq start, start+1, ...; returns the next free seq."""
    from clawweb import redis_conn, streams

    streams.publish(redis_conn.get_redis(), task_id, [
        streams.Event(seq=start + i, type=t, data=d) for i, (t, d) in enumerate(events)])
    return start + len(events)


def _conversation(n_texts: int) -> list[tuple[str, dict]]:
    return [("agent.init", {"model": "claude-sonnet-4-5"}),
            *[("agent.text", {"text": f"Step {i}. {PARAGRAPH * 2}"}) for i in range(n_texts)],
            ("agent.tool_use", {"id": "tu-1", "name": "Bash",
                                "input": {"command": "pytest -q tests/", "description": "run"}})]


def _seen(page, name: str) -> None:
    """What the phone's screen shows (a full-page shot would paint the fixed tab bar
    in the middle of a scrolled page)."""
    page.screenshot(path=str(artifacts_dir() / f"{name}.png"))


def _phone(new_context, member, locale: str = "en-US"):
    page = new_context("phone", locale=locale).new_page()
    sign_in(page, member[0], PASSWORD)
    return page


def _folded_facts(page) -> None:
    """On a phone the header facts are one summary row; a tap shows them."""
    summary = page.get_by_test_id("task-summary")
    summary.wait_for()
    assert page.get_by_test_id("task-exit-code").is_hidden()
    summary.click()
    page.get_by_test_id("task-exit-code").wait_for()


def test_shell_output_comes_first_and_its_newest_line_stays_above_the_tab_bar(
        member, new_context):
    task_id = _task(member, kind="shell", command="./scripts/test --long", status="running")
    _Feeder.burst = 240
    feeder = _Feeder([task_id], per_second=5)
    try:
        page = _phone(new_context, member)
        page.goto(f"/tasks/{task_id}/")
        page.locator("#task-term-out span").nth(239).wait_for()
        term = page.evaluate(GEOMETRY_JS, ["#task-term", None])
        assert term["doc_top"] < 330, f"the terminal starts below the header facts: {term}"
        # The newest line is in view while lines keep coming (checked twice, lines apart).
        first = _wait_in_view(page, "#task-term-out span", "#task-term")
        page.wait_for_function(
            "n => document.querySelector('#task-term-out').lastChild.dataset.seq > n",
            arg=int(first["text"].split("-")[1]) + 5)
        _wait_in_view(page, "#task-term-out span", "#task-term")
        no_hscroll(page)
        _seen(page, "phone-task-shell")
        _folded_facts(page)
        screenshot(page, "phone-task-shell-facts-open")
        page.emulate_media(color_scheme="dark")
        page.reload()
        page.locator("#task-term-out span").nth(200).wait_for()
        _wait_in_view(page, "#task-term-out span", "#task-term")
        _seen(page, "phone-task-shell-dark")
    finally:
        feeder.stop()


def test_claude_approval_is_pinned_above_the_tab_bar_and_the_newest_item_in_view(
        member, new_context):
    from clawweb import redis_conn, streams
    from clawweb.db import session_scope
    from clawweb.models import Task, TaskStatus
    from clawweb.services import approvals

    task_id = _task(member, kind="claude", command="Run the tests and fix what fails.",
                    status="running")
    beat = Heartbeat([task_id])
    try:
        seq = _publish(task_id, 1, _conversation(8))
        page = _phone(new_context, member)
        page.goto(f"/tasks/{task_id}/")
        page.get_by_test_id("tool-card").wait_for()
        _wait_in_view(page, "[data-testid=tool-card]")
        seq = _publish(task_id, seq, [("agent.tool_result", {"id": "tu-1", "content": "ok"}),
                                      ("agent.text", {"text": f"Newest. {PARAGRAPH}"})])
        page.get_by_text("Newest.").wait_for()
        _wait_in_view(page, "[data-testid=conv-text]")
        # A reader who scrolled up is left there while text comes in ...
        page.evaluate("window.scrollTo(0, 0)")
        page.wait_for_function("window.scrollY === 0")
        seq = _publish(task_id, seq, [("agent.text", {"text": "Meanwhile, more text."})])
        page.get_by_text("Meanwhile, more text.").wait_for()
        page.wait_for_timeout(300)  # a ResizeObserver round, should it scroll
        assert page.evaluate("window.scrollY") == 0

        with session_scope() as s:
            task = s.get(Task, task_id)
            row = approvals.create_request(
                session=s, task=task, tool_use_id="tu-2", tool_name="Bash",
                tool_input={"command": "rm -rf build/ && make", "description": "rebuild"},
                timeout_seconds=600)
            task.status = TaskStatus.awaiting_approval
            s.add(task)
            approval_id, project_id = row.id, task.project_id
        streams.publish_task_change(redis_conn.get_redis(), task_id, project_id,
                                    "awaiting_approval")
        _publish(task_id, seq, [
            ("agent.tool_use", {"id": "tu-2", "name": "Bash",
                                "input": {"command": "rm -rf build/ && make"}}),
            ("agent.approval", {"tool_use_id": "tu-2", "approval_id": approval_id})])
        # ... but a request for approval is brought to them.
        page.get_by_test_id("approval-card").wait_for()
        card = _wait_in_view(page, "[data-testid=approval-card]", timeout=3)
        assert card["height"] > 100, card  # the whole card, buttons included
        _wait_in_view(page, "[data-testid=approval-allow]", timeout=1)
        no_hscroll(page)
        _seen(page, "phone-task-claude-approval")
        screenshot(page, "phone-task-claude-approval-full")
        page.emulate_media(color_scheme="dark")
        _seen(page, "phone-task-claude-approval-dark")
    finally:
        with session_scope() as s:
            approvals.withdraw_open(session=s, task_id=task_id,
                                    reason="approvals.withdrawn.finished")
        beat.stop()


def test_interrupted_claude_task_on_a_phone_in_chinese_and_desktop_keeps_its_facts(
        member, new_context):
    task_id = _task(member, kind="claude", command="把测试跑一遍并修好失败的。",
                    status="interrupted")
    _publish(task_id, 1, [
        *_conversation(2),
        ("agent.result", {"result": "", "is_error": True, "subtype": "error_during_execution",
                          "duration_ms": 42000, "turns": 3, "cost_usd": 0.0123}),
        ("status", {"status": "interrupted"})])
    beat = Heartbeat([])  # a worker is alive, as in real use (no "no worker" banner)
    try:
        page = _phone(new_context, member, locale="zh-CN")
        page.goto(f"/tasks/{task_id}/")
        page.locator("[data-testid=conv-result][data-outcome=interrupted]").wait_for()
        _wait_in_view(page, "[data-testid=conv-result]")
        no_hscroll(page)
        _seen(page, "phone-task-interrupted-zh")
        _folded_facts(page)
        page.evaluate("window.scrollTo(0, 0)")
        _seen(page, "phone-task-interrupted-zh-facts-open")

        desktop = new_context("desktop").new_page()
        sign_in(desktop, member[0], PASSWORD)
        desktop.goto(f"/tasks/{task_id}/")
        desktop.get_by_test_id("task-exit-code").wait_for()  # no tap needed on a desktop
        assert desktop.get_by_test_id("task-summary").is_hidden()
        screenshot(desktop, "desktop-task-interrupted")
    finally:
        beat.stop()


def test_a_toast_does_not_cover_the_phone_tab_bar(member, new_context):
    page = _phone(new_context, member)
    page.goto("/account/")
    page.get_by_test_id("save-profile").click()
    toast = page.locator("[data-sonner-toast]")
    toast.first.wait_for()
    _wait_in_view(page, "[data-sonner-toast]", timeout=3)

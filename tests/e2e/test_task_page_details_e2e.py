"""Small truths of the task and project pages on a phone (390x844), as a person sees them.

A progress bar's carriage returns overwrite its line, live and after a reload; a
tool call cut off by an interrupt no longer says "Running"; the project's task
list pages; a Write / Edit card shows signed lines and no hunk header; a turn
before any usage shows "—" for cost and tokens (phone and desktop). Tasks are fed (no container): the test writes the stream events a
worker would write, with ``Heartbeat`` keeping the session's real workers from
taking them for lost. Screenshots go to ``$CLAWWEB_TEST_ARTIFACTS/screens``.
"""

from __future__ import annotations

import uuid

import pytest

from tests.e2e.conftest import make_user, no_hscroll, screenshot, sign_in
from tests.e2e.harness import Heartbeat

PASSWORD = "task details e2e password 1"
TERM_TEXT = "(document.querySelector('#task-term-out') || {}).textContent"


@pytest.fixture(scope="module")
def member(app_env, admin_account):
    from clawweb.db import session_scope
    from clawweb.models import User
    from clawweb.services.projects import service as projects

    username = f"details-{uuid.uuid4().hex[:6]}"
    user_id = make_user(username, PASSWORD)
    with session_scope() as s:
        project = projects.create_project(session=s, user=s.get(User, user_id),
                                          name=f"Details {username}")
        return username, user_id, project.id


def _task(member, *, kind: str, status: str, command: str = "make") -> int:
    from clawweb.db import session_scope
    from clawweb.models import Task, TaskStatus, utcnow

    _, user_id, project_id = member
    with session_scope() as s:
        task = Task(project_id=project_id, created_by=user_id, kind=kind, command=command,
                    status=TaskStatus(status), started_at=utcnow())
        s.add(task)
        s.flush()
        return task.id


def _end(task_id: int, status: str) -> None:
    """End a fed task in the database (as the worker would), so no worker of the session
    takes it for lost and runs it once the heartbeat stops."""
    from clawweb.db import session_scope
    from clawweb.models import Task, TaskStatus, utcnow

    with session_scope() as s:
        task = s.get(Task, task_id)
        task.status, task.finished_at = TaskStatus(status), utcnow()
        s.add(task)


def _publish(task_id: int, seq: int, *events: tuple[str, dict]) -> int:
    from clawweb import redis_conn, streams

    streams.publish(redis_conn.get_redis(), task_id, [
        streams.Event(seq=seq + i, type=t, data=d) for i, (t, d) in enumerate(events)])
    return seq + len(events)


def _out(text: str) -> tuple[str, dict]:
    return ("output", {"stream": "stdout", "text": text})


def _phone(new_context, member):
    page = new_context("phone").new_page()
    sign_in(page, member[0], PASSWORD)
    return page


def test_a_progress_bar_overwrites_its_line_live_and_after_reload(member, new_context):
    task_id = _task(member, kind="shell", status="running",
                    command="printf '10%%\\r50%%\\r100%%\\n'")
    beat = Heartbeat([task_id])
    try:
        seq = _publish(task_id, 1, _out("downloading\n"), _out("\x1b[32m10%\r"))
        page = _phone(new_context, member)
        page.goto(f"/tasks/{task_id}/")
        page.wait_for_function(f"{TERM_TEXT} === 'downloading\\n10%'")
        seq = _publish(task_id, seq, _out("50%\r"))  # each piece its own event
        page.wait_for_function(f"{TERM_TEXT} === 'downloading\\n50%'")
        _publish(task_id, seq, _out("100%\n"), _out("done\n"))
        page.wait_for_function(f"{TERM_TEXT} === 'downloading\\n100%\\ndone\\n'")
        assert page.get_by_test_id("term-line-count").inner_text().startswith("3 ")
        no_hscroll(page)
        screenshot(page, "phone-task-progress-bar")
        page.reload()  # the same output from history
        page.wait_for_function(f"{TERM_TEXT} === 'downloading\\n100%\\ndone\\n'")
    finally:
        _end(task_id, "succeeded")
        beat.stop()


def test_a_tool_call_cut_off_by_an_interrupt_reads_interrupted(member, new_context):
    task_id = _task(member, kind="claude", status="running", command="Run the tests.")
    beat = Heartbeat([task_id])
    try:
        seq = _publish(task_id, 1, ("agent.init", {"model": "claude-sonnet-4-5"}),
                       ("agent.tool_use", {"id": "tu-1", "name": "Bash",
                                           "input": {"command": "sleep 600"}}))
        page = _phone(new_context, member)
        page.goto(f"/tasks/{task_id}/")
        status = page.get_by_test_id("tool-status")
        status.wait_for()
        assert status.get_attribute("data-status") == "running"
        _end(task_id, "interrupted")
        _publish(task_id, seq, ("status", {"status": "interrupted", "exit_code": 130}))
        page.locator("[data-testid=tool-status][data-status=interrupted]").wait_for()
        assert "Running" not in page.get_by_test_id("tool-card").inner_text()
        screenshot(page, "phone-task-interrupted-tool")
        page.reload()
        page.locator("[data-testid=tool-status][data-status=interrupted]").wait_for()
    finally:
        _end(task_id, "interrupted")
        beat.stop()


def test_the_project_page_pages_its_tasks_on_a_phone(member, new_context):
    from sqlmodel import select

    from clawweb.db import session_scope
    from clawweb.models import Task, TaskStatus
    from playwright.sync_api import expect

    from clawweb.state.task_list import PAGE_SIZE

    _, user_id, project_id = member
    with session_scope() as s:
        before = len(s.exec(select(Task.id).where(Task.project_id == project_id)).all())
        s.add_all([Task(project_id=project_id, created_by=user_id, command=f"echo {i}",
                        status=TaskStatus.succeeded) for i in range(PAGE_SIZE + 3)])
    total = before + PAGE_SIZE + 3
    page = _phone(new_context, member)
    page.goto(f"/projects/{project_id}/")
    count = page.get_by_test_id("task-pager-count")
    count.wait_for()
    assert count.inner_text() == f"{total} tasks · showing 1–{PAGE_SIZE}"
    page.get_by_test_id("task-pager-older").click()
    expect(count).to_have_text(f"{total} tasks · showing {PAGE_SIZE + 1}–{total}")
    assert page.get_by_test_id("task-pager-older").is_disabled()
    no_hscroll(page)
    screenshot(page, "phone-project-task-pages")
    page.get_by_test_id("task-pager-newer").click()
    expect(count).to_have_text(f"{total} tasks · showing 1–{PAGE_SIZE}")


def test_a_write_and_an_edit_card_show_their_lines_and_no_hunk_header(member, new_context):
    """Issue 9 defect 8: the card read "@ @@ -0,0 +1 @@"; the snippet's hunk numbers
    are no fact of the file, so no "@" shows at all, only the signed lines."""
    task_id = _task(member, kind="claude", status="running", command="Edit two files.")
    beat = Heartbeat([task_id])
    try:
        _publish(task_id, 1, ("agent.init", {"model": "claude-sonnet-4-5"}),
                 ("agent.tool_use", {"id": "tu-w", "name": "Write", "input": {
                     "file_path": "/w/new.txt", "content": "hello\n"}}),
                 ("agent.tool_use", {"id": "tu-e", "name": "Edit", "input": {
                     "file_path": "/w/a.txt", "old_string": "a\nb\nc",
                     "new_string": "a\nB\nc"}}))
        page = _phone(new_context, member)
        page.goto(f"/tasks/{task_id}/")
        diffs = page.get_by_test_id("tool-diff")
        diffs.nth(1).wait_for()
        write, edit = (diffs.nth(i).inner_text() for i in range(2))
        assert write.split() == ["+hello"], write
        assert edit.split() == ["a", "-b", "+B", "c"], edit
        assert "@" not in write + edit
    finally:
        _end(task_id, "succeeded")
        beat.stop()


@pytest.mark.parametrize("kind", ["phone", "desktop"])
def test_a_turn_before_any_usage_shows_no_zero_cost_or_tokens(member, new_context, kind):
    task_id = _task(member, kind="claude", status="running", command="Think first.")
    beat = Heartbeat([task_id])
    try:
        _publish(task_id, 1, ("agent.init", {"model": "claude-sonnet-4-5"}))
        page = new_context(kind).new_page()
        sign_in(page, member[0], PASSWORD)
        page.goto(f"/tasks/{task_id}/")
        page.get_by_test_id("conv-model").get_by_text("claude-sonnet-4-5").wait_for(
            state="attached")
        for fact in ("conv-cost", "conv-tokens"):  # folded on a phone, still in the page
            assert page.get_by_test_id(fact).text_content().endswith("—"), fact
        header = page.get_by_test_id("task-header").text_content()
        assert "$0.0000" not in header and "0 / 0" not in header, header
    finally:
        _end(task_id, "succeeded")
        beat.stop()

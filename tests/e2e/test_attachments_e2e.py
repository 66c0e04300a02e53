"""Attachments from a phone: a file chosen in the submit form is in the task's working copy."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.e2e.conftest import make_user, screenshot, sign_in
from tests.e2e.test_tasks_e2e import _wait_status, _wait_text
from tests.support.services import need_docker

PASSWORD = "attach e2e password 1"
CONTENT = b"attached-content-7f3a\n"


@pytest.fixture(scope="module")
def worker(app_env):
    need_docker()
    name = f"attach-e2e-{uuid.uuid4().hex[:6]}"
    app_env.start_worker(name)
    return name


@pytest.fixture(scope="module")
def owner(app_env, admin_account, worker):
    from clawweb.db import session_scope
    from clawweb.models import User
    from clawweb.services.projects import service as projects

    username = f"attach-{uuid.uuid4().hex[:6]}"
    user_id = make_user(username, PASSWORD)
    with session_scope() as s:
        project = projects.create_project(session=s, user=s.get(User, user_id),
                                          name=f"Attach {username}")
        return username, project.id


def test_a_file_attached_on_a_phone_is_read_by_the_shell_task(owner, new_context):
    username, project_id = owner
    page = new_context("phone").new_page()
    sign_in(page, username, PASSWORD)
    page.goto(f"/projects/{project_id}/")
    box = page.get_by_test_id("task-command")
    box.wait_for()
    box.fill("cat attachments/note.txt")
    page.get_by_test_id("attach-files").locator("input[type=file]").set_input_files(
        files=[{"name": "note.txt", "mimeType": "text/plain", "buffer": CONTENT}])
    row = page.get_by_test_id("attachment-row")
    row.wait_for()
    assert row.get_by_test_id("attachment-name").inner_text() == "note.txt"
    assert row.get_by_test_id("attachment-size").inner_text() == f"{len(CONTENT)} bytes"
    page.wait_for_function("() => !document.querySelector('[data-testid=task-run]').disabled")
    page.get_by_test_id("task-run").click()
    try:
        page.wait_for_url(re.compile(r".*/tasks/\d+/?$"))
    except Exception:
        screenshot(page, "attach-submit-failed")
        raise
    logs: list[str] = []
    page.on("console", lambda m: logs.append(m.text))
    _wait_status(page, "succeeded")
    _wait_text(page, CONTENT.decode().strip())
    listed = page.get_by_test_id("task-attachment-path")
    try:
        listed.wait_for(timeout=10_000)
    except Exception:
        screenshot(page, "attach-task-page-no-list")
        raise AssertionError(f"no attachment list; console: {logs[-20:]}")
    assert listed.inner_text() == "attachments/note.txt"
    screenshot(page, "attach-task-page")


@pytest.fixture(scope="module")
def claude_owner(app_env, admin_account, worker):
    """A member with a model key who owns a fresh project (for Claude turns)."""
    from clawweb.db import session_scope
    from clawweb.models import User
    from clawweb.services.agents import credentials
    from clawweb.services.projects import service as projects
    from tests.e2e.conftest import FAKE_API_KEY

    username = f"attach-c-{uuid.uuid4().hex[:6]}"
    user_id = make_user(username, PASSWORD)
    with session_scope() as s:
        user = s.get(User, user_id)
        project = projects.create_project(session=s, user=user, name=f"Attach {username}")
        credentials.set_user_credential(session=s, user=user, kind="api_key",
                                        secret=FAKE_API_KEY)
        return username, user_id, project.id


def test_a_file_attached_to_a_follow_up_on_a_phone_is_read_by_the_next_turn(
        claude_owner, fake_anthropic, new_context):
    from clawweb.db import session_scope
    from clawweb.models import User
    from clawweb.services.agents import tasks as agent_tasks
    from tests.fixtures.fake_anthropic import text, tool_use

    username, user_id, project_id = claude_owner
    fake_anthropic.push(text("First answer."))
    with session_scope() as s:
        task_id = agent_tasks.submit_prompt(session=s, user=s.get(User, user_id),
                                            project_id=project_id, prompt="Look around.",
                                            idempotency_key=uuid.uuid4().hex).id
    page = new_context("phone").new_page()
    sign_in(page, username, PASSWORD)
    page.goto(f"/tasks/{task_id}/")
    page.get_by_test_id("follow-up").wait_for(timeout=120_000)  # container + CLI start
    fake_anthropic.push(
        tool_use("Read", {"file_path": "/workspace/attachments/bug.txt"}, say="Reading it."),
        text("Seen the file."))
    page.get_by_test_id("follow-up-prompt").fill("Fix the bug in the attached file.")
    page.get_by_test_id("follow-up").locator("input[type=file]").set_input_files(
        files=[{"name": "bug.txt", "mimeType": "text/plain", "buffer": CONTENT}])
    row = page.get_by_test_id("attachment-row")
    row.wait_for()
    assert row.get_by_test_id("attachment-name").inner_text() == "bug.txt"
    page.get_by_test_id("follow-up-send").click()
    page.wait_for_url(re.compile(r".*/tasks/(?!%d/)\d+/?$" % task_id))
    listed = page.get_by_test_id("task-attachment-path")
    listed.wait_for(timeout=15_000)
    assert listed.inner_text() == "attachments/bug.txt"
    # "Ask before tools" (the default) asks for the Read too: allow it from the phone.
    page.get_by_test_id("approval-allow").click(timeout=120_000)  # container + CLI start
    page.get_by_test_id("conv-result").wait_for(timeout=60_000)
    tool = page.get_by_test_id("tool-card").first.get_by_test_id("tool-result")
    assert CONTENT.decode().strip() in tool.text_content()
    screenshot(page, "attach-follow-up-phone")

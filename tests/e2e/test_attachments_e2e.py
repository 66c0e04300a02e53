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

"""A running shell task answered from a phone: type a line, see the command's answer."""

from __future__ import annotations

import uuid

import pytest

from tests.e2e.conftest import make_user, no_hscroll, screenshot, sign_in
from tests.e2e.test_tasks_e2e import _submit, _wait_status, _wait_text
from tests.support.services import need_docker

PASSWORD = "task input e2e password 1"


@pytest.fixture(scope="module")
def owner(app_env, admin_account):
    need_docker()
    app_env.start_worker(f"input-e2e-{uuid.uuid4().hex[:6]}")
    from clawweb.db import session_scope
    from clawweb.models import User
    from clawweb.services.projects import service as projects

    username = f"typist-{uuid.uuid4().hex[:6]}"
    user_id = make_user(username, PASSWORD)
    with session_scope() as s:
        project = projects.create_project(session=s, user=s.get(User, user_id),
                                          name=f"Input {username}")
        project_id = project.id
    return username, project_id


def test_phone_answers_a_prompt_of_a_running_shell_task(owner, new_context):
    username, project_id = owner
    page = new_context("phone").new_page()
    sign_in(page, username, PASSWORD)
    _submit(page, project_id, 'printf "[y/N] "; read a; echo "got $a"')
    line = page.get_by_test_id("task-input-line")
    line.wait_for()
    _wait_text(page, "[y/N]")
    screenshot(page, "task-input-phone-waiting")
    line.fill("yes")
    line.press("Enter")
    _wait_text(page, "got yes")
    # What was typed is shown as input, where a terminal would echo it.
    assert page.locator("#task-term-out [data-stream=input]").inner_text() == "yes\n"
    _wait_status(page, "succeeded")
    page.get_by_test_id("task-input").wait_for(state="detached")  # closed at the end
    no_hscroll(page)
    screenshot(page, "task-input-phone-answered")

"""The task page tells the truth on a phone (390x844): an interrupt while Claude waits
for an approval closes the request everywhere within 2 s, and the turn reads as
interrupted (neutral), ready for a follow-up. Real app, worker, sandbox and CLI
against the fake model API."""

from __future__ import annotations

import time
import uuid

import pytest

from tests.e2e.conftest import FAKE_API_KEY, make_user, no_hscroll, screenshot, sign_in
from tests.fixtures.fake_anthropic import text, tool_use
from tests.support.services import need_docker

PASSWORD = "task truth e2e password 1"


@pytest.fixture(scope="module")
def owner(app_env, admin_account):
    from clawweb.db import session_scope
    from clawweb.models import User
    from clawweb.services.agents import credentials
    from clawweb.services.projects import service as projects

    need_docker()
    app_env.start_worker(f"truth-e2e-{uuid.uuid4().hex[:6]}")
    username = f"truth-{uuid.uuid4().hex[:6]}"
    user_id = make_user(username, PASSWORD)
    with session_scope() as s:
        user = s.get(User, user_id)
        project_id = projects.create_project(session=s, user=user, name=f"T {username}").id
        credentials.set_user_credential(session=s, user=user, kind="api_key",
                                        secret=FAKE_API_KEY)
    return username, user_id, project_id


def _submit(user_id: int, project_id: int, prompt: str) -> int:
    from clawweb.db import session_scope
    from clawweb.models import User
    from clawweb.services.agents import tasks as agent_tasks

    with session_scope() as s:
        return agent_tasks.submit_prompt(session=s, user=s.get(User, user_id),
                                         project_id=project_id, prompt=prompt,
                                         idempotency_key=uuid.uuid4().hex).id


def _approval_decision(task_id: int) -> str:
    from sqlmodel import select

    from clawweb.db import session_scope
    from clawweb.models import Approval

    with session_scope() as s:
        row = s.exec(select(Approval).where(Approval.task_id == task_id)).first()
        return row.decision if row else "none"


def test_interrupt_withdraws_the_waiting_request_in_every_browser(owner, fake_anthropic,
                                                                   new_context):
    username, user_id, project_id = owner
    fake_anthropic.push(tool_use("Bash", {"command": "touch /workspace/never.txt",
                                          "description": "write"}), text("never reached"))
    task_id = _submit(user_id, project_id, "Please write the file.")

    phone = new_context("phone").new_page()
    sign_in(phone, username, PASSWORD)
    phone.goto(f"/tasks/{task_id}/")
    phone.get_by_test_id("approval-card").wait_for(timeout=120_000)
    other = new_context("phone").new_page()  # a second browser, on another page
    sign_in(other, username, PASSWORD)
    other.goto("/projects/")
    other.get_by_test_id("approvals-banner").wait_for(timeout=10_000)

    phone.get_by_test_id("task-interrupt").click()
    deadline = time.time() + 20
    while _approval_decision(task_id) != "withdrawn" and time.time() < deadline:
        time.sleep(0.1)
    assert _approval_decision(task_id) == "withdrawn"
    withdrawn_at = time.monotonic()
    other.get_by_test_id("approvals-banner").wait_for(state="detached", timeout=2_000)
    phone.get_by_test_id("approval-card").wait_for(state="detached", timeout=2_000)
    phone.get_by_test_id("approvals-banner").wait_for(state="detached", timeout=2_000)
    assert time.monotonic() - withdrawn_at < 2.5
    assert phone.get_by_test_id("approval-allow").count() == 0

    badge = phone.locator("[data-testid=status-badge][data-status=interrupted]")
    badge.first.wait_for(timeout=30_000)
    phone.locator("[data-testid=tool-card][data-status=withdrawn]").wait_for()
    assert phone.locator("[data-testid=status-badge][data-status=failed]").count() == 0
    assert phone.locator("[data-testid=conv-result][data-outcome=error]").count() == 0
    phone.get_by_test_id("follow-up").wait_for()
    no_hscroll(phone)
    screenshot(phone, "task-truth-interrupted-phone")

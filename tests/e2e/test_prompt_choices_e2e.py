"""Per-prompt choices and the plan card on a phone: plan mode picked in the prompt box, a
proposed plan read as markdown and sent back with "Keep planning".

No worker runs these tasks (the choice and the card are what a person sees);
each task is cancelled at the end so no later worker takes it.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import (
    FAKE_API_KEY, choose_claude, make_user, no_hscroll, screenshot, sign_in,
)
from tests.e2e.harness import Heartbeat

PASSWORD = "prompt choices e2e password 1"
PLAN = "# The plan\n\n1. Add `retry()` to the client\n2. **Test** it\n\n<b id='cw-plan-raw'>raw</b>"


@pytest.fixture(scope="module")
def owner(app_env, admin_account):
    """A member with a model key who owns a project whose mode is "accept edits"."""
    from clawweb.db import session_scope
    from clawweb.models import AgentSettings, User
    from clawweb.services.agents import credentials
    from clawweb.services.projects import service as projects

    username = f"choices-{uuid.uuid4().hex[:6]}"
    user_id = make_user(username, PASSWORD)
    with session_scope() as s:
        user = s.get(User, user_id)
        project_id = projects.create_project(session=s, user=user, name=f"Plans {username}").id
        credentials.set_user_credential(session=s, user=user, kind="api_key",
                                        secret=FAKE_API_KEY)
        s.add(AgentSettings(project_id=project_id, permission_mode="acceptEdits"))
    return username, user_id, project_id


def _cancel(user_id: int, task_id: int) -> None:
    from clawweb.db import session_scope
    from clawweb.models import User
    from clawweb.services.tasks import service as task_service

    with session_scope() as s:
        task_service.cancel_task(session=s, user=s.get(User, user_id), task_id=task_id)


def test_phone_picks_plan_mode_in_the_prompt_box(owner, new_context):
    from clawweb.db import session_scope
    from clawweb.models import Task

    username, user_id, project_id = owner
    page = new_context("phone").new_page()
    sign_in(page, username, PASSWORD)
    page.goto(f"/projects/{project_id}")
    choose_claude(page)
    mode = page.get_by_test_id("prompt-permission_mode")
    expect(mode).to_have_value("acceptEdits")  # the project's mode is the default
    # Offered: what the project allows, never bypass.
    values = mode.locator("option").evaluate_all("els => els.map(e => e.value)")
    assert values == ["default", "acceptEdits", "plan"]
    mode.select_option("plan")
    page.get_by_test_id("task-command").fill("Plan the retry change")
    page.wait_for_function("() => !document.querySelector('[data-testid=task-run]').disabled")
    page.get_by_test_id("task-run").click()
    page.wait_for_url("**/tasks/*")
    task_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    try:
        expect(page.get_by_test_id("conv-mode")).to_contain_text("Plan only")
        with session_scope() as s:
            assert s.get(Task, task_id).permission_mode == "plan"
        no_hscroll(page)
        screenshot(page, "prompt-plan-mode-phone")
    finally:
        _cancel(user_id, task_id)


def test_plan_card_reads_as_markdown_and_keep_planning_sends_it_back(owner, new_context):
    from clawweb.db import session_scope
    from clawweb.models import Approval, Task, TaskStatus
    from clawweb.services import approvals

    username, user_id, project_id = owner
    with session_scope() as s:
        task = Task(project_id=project_id, created_by=user_id, kind="claude", command="plan",
                    status=TaskStatus.awaiting_approval, permission_mode="plan",
                    idempotency_key=uuid.uuid4().hex)
        s.add(task)
        s.flush()
        row = approvals.create_request(session=s, task=task, tool_use_id="toolu_plan_1",
                                       tool_name="ExitPlanMode", tool_input={"plan": PLAN},
                                       timeout_seconds=int(timedelta(minutes=30).total_seconds()))
        task_id, approval_id = task.id, row.id
    # Its "worker" beats, or a real worker of the session would reap it as lost.
    beat = Heartbeat([task_id])
    page = new_context("phone").new_page()
    sign_in(page, username, PASSWORD)
    try:
        page.goto(f"/tasks/{task_id}/")
        card = page.get_by_test_id("plan-card")
        expect(card.locator("h1")).to_have_text("The plan")
        expect(card.locator("code")).to_have_text("retry()")
        expect(page.locator("#cw-plan-raw")).to_have_count(0)  # the agent's HTML stays text
        expect(page.get_by_test_id("approval-card")).to_have_count(0)
        expect(card.get_by_test_id("plan-approve")).to_be_visible()
        no_hscroll(page)
        screenshot(page, "plan-card-phone")
        card.get_by_test_id("plan-feedback").fill("Cover the timeout case too")
        card.get_by_test_id("plan-keep").click()
        expect(page.get_by_test_id("plan-card")).to_have_count(0)
        with session_scope() as s:
            row = s.get(Approval, approval_id)
            assert (row.decision, row.message) == ("deny", "Cover the timeout case too")
    finally:
        _cancel(user_id, task_id)
        beat.stop()

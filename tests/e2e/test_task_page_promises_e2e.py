"""What the task page promises a person on a phone, each once broken (issue 9):

* "Ask before tools" asks: a read-only Bash pipeline (which the CLI itself would
  let through) gets an approval card, and a call a project rule pre-approved says
  on its tool card which rule let it run (defect 2).
* A viewer is not offered what a viewer may not do, and is told why (defect 4).
* Cost and tokens of this turn and of the whole conversation are both shown,
  labelled, and add up across a follow-up (defect 6).
"""

from __future__ import annotations

import uuid

import pytest

from tests.e2e.conftest import FAKE_API_KEY, make_user, no_hscroll, screenshot, sign_in
from tests.e2e.harness import Heartbeat
from tests.fixtures.fake_anthropic import text, tool_use
from tests.support.services import need_docker

PASSWORD = "task page promises e2e pw 1"
RULE = "Bash(echo pre-approved)"
READ_ONLY = "ls -la && git log --oneline | head -3"


@pytest.fixture(scope="module")
def worker(app_env):
    need_docker()
    app_env.start_worker(f"promises-e2e-{uuid.uuid4().hex[:6]}")


@pytest.fixture(scope="module")
def people(app_env, admin_account):
    """An owner with a model key, in "Ask before tools" (default) mode with one rule, and a viewer of the project."""
    from clawweb.db import session_scope
    from clawweb.models import Project, User
    from clawweb.services.agents import credentials, settings as agent_settings
    from clawweb.services.projects import members, service as projects

    owner = f"owner-{uuid.uuid4().hex[:6]}"
    viewer = f"viewer-{uuid.uuid4().hex[:6]}"
    owner_id, viewer_id = make_user(owner, PASSWORD), make_user(viewer, PASSWORD)
    with session_scope() as s:
        user = s.get(User, owner_id)
        project_id = projects.create_project(session=s, user=user, name=f"P {owner}").id
        credentials.set_user_credential(session=s, user=user, kind="api_key",
                                        secret=FAKE_API_KEY)
        members.add_member(session=s, user=user, project_id=project_id, username=viewer,
                           role="viewer")
        agent_settings.update(session=s, user=user, project=s.get(Project, project_id),
                              values={"permission_mode": "default", "allowed_tools": [RULE]})
    return {"owner": owner, "owner_id": owner_id, "viewer": viewer, "project_id": project_id}


def _task(project_id: int, user_id: int, **fields) -> int:
    from clawweb.db import session_scope
    from clawweb.models import Task, utcnow

    with session_scope() as s:
        task = Task(project_id=project_id, created_by=user_id, started_at=utcnow(), **fields)
        s.add(task)
        s.flush()
        return task.id


def test_ask_mode_asks_for_a_read_only_pipeline_and_names_the_rule_that_let_one_through(
        people, worker, fake_anthropic, new_context):
    from clawweb.db import session_scope
    from clawweb.models import User
    from clawweb.services.agents import tasks as agent_tasks

    fake_anthropic.push(
        tool_use("Bash", {"command": "echo pre-approved", "description": "say it"}),
        tool_use("Bash", {"command": READ_ONLY, "description": "look around"}),
        text("Done looking."))
    with session_scope() as s:
        task_id = agent_tasks.submit_prompt(
            session=s, user=s.get(User, people["owner_id"]), project_id=people["project_id"],
            prompt="Look around.", idempotency_key=uuid.uuid4().hex).id

    page = new_context("phone").new_page()
    sign_in(page, people["owner"], PASSWORD)
    page.goto(f"/tasks/{task_id}/")
    card = page.get_by_test_id("approval-card")
    card.wait_for(timeout=120_000)  # container start + CLI start
    assert "git log --oneline" in card.get_by_test_id("approval-summary").inner_text()
    why = page.get_by_test_id("tool-why").first
    why.wait_for()
    assert RULE in why.inner_text() and "pre-approved" in why.inner_text()
    no_hscroll(page)
    screenshot(page, "promises-ask-mode-card")
    page.get_by_test_id("approval-deny").click()
    page.get_by_test_id("conv-result").wait_for(timeout=60_000)
    assert "Done looking." in page.get_by_test_id("conversation").inner_text()


@pytest.mark.parametrize("kind", ["viewer", "owner"])
def test_a_viewer_is_offered_no_controls_and_told_why(people, new_context, kind):
    from clawweb.models import TaskStatus

    running = _task(people["project_id"], people["owner_id"], command="sleep 600",
                    status=TaskStatus.running)
    beat = Heartbeat([running])
    try:
        page = new_context("phone").new_page()
        sign_in(page, people[kind], PASSWORD)
        page.goto(f"/tasks/{running}/")
        page.get_by_test_id("task-summary").wait_for()
        if kind == "owner":  # what the viewer must not be offered is there for an owner
            page.get_by_test_id("task-cancel").wait_for()
            page.get_by_test_id("task-input-line").wait_for()
            assert page.get_by_test_id("task-viewer-hint").count() == 0
            return
        hint = page.get_by_test_id("task-viewer-hint")
        hint.wait_for()
        assert "watch" in hint.inner_text()
        for control in ("task-cancel", "task-input-line", "task-interrupt", "task-rerun"):
            assert page.get_by_test_id(control).count() == 0, control
        no_hscroll(page)
        screenshot(page, "promises-viewer-running")
    finally:
        beat.stop()


def test_this_turn_and_the_whole_conversation_are_both_shown_and_add_up(people, new_context):
    from clawweb.models import TaskStatus, utcnow

    common = dict(kind="claude", status=TaskStatus.succeeded, finished_at=utcnow(),
                  exit_code=0, agent_session_id=f"s-{uuid.uuid4().hex[:8]}", turns=1)
    first = _task(people["project_id"], people["owner_id"], command="Start.",
                  input_tokens=1000, output_tokens=50, cost_usd=0.0256, **common)
    second = _task(people["project_id"], people["owner_id"], command="Go on.", parent_id=first,
                   input_tokens=1200, output_tokens=60, cost_usd=0.0064, **common)

    page = new_context("phone").new_page()
    sign_in(page, people["owner"], PASSWORD)
    page.goto(f"/tasks/{second}/")
    page.get_by_test_id("task-summary").click()  # a phone folds the facts
    page.get_by_test_id("conv-total-cost").wait_for()
    facts = {testid: _fact(page, testid) for testid in
             ("conv-cost", "conv-tokens", "conv-total-cost", "conv-total-tokens")}
    assert facts["conv-cost"] == ("This turn: cost", "$0.0064"), facts
    assert facts["conv-tokens"] == ("This turn: tokens in / out", "1,200 / 60"), facts
    assert facts["conv-total-cost"] == ("Whole conversation: cost", "$0.0320"), facts
    assert facts["conv-total-tokens"] == ("Whole conversation: tokens in / out",
                                          "2,200 / 110"), facts
    no_hscroll(page)
    screenshot(page, "promises-usage-follow-up")


def _fact(page, testid: str) -> tuple[str, str]:
    """(label, value) of one of the page's facts: the label sits above the value."""
    value = page.get_by_test_id(testid)
    label = value.locator("xpath=preceding-sibling::*[1]")
    return label.inner_text().strip(), value.inner_text().strip()

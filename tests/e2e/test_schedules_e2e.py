"""The schedules page on a phone: a nightly Claude prompt with its own model and mode,
saved, shown with them, paused and resumed.

Nothing is run here: the schedule fires at 03:00 in its zone, and "run now" of a
Claude schedule would start a real agent run (tests/integration/test_schedules_fleet.py
and tests/services/schedules prove the firing).
"""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import FAKE_API_KEY, make_user, no_hscroll, screenshot, sign_in

PASSWORD = "schedules e2e password 1"
EXTRA_MODEL = "claude-opus-4-1"


@pytest.fixture
def owner(app_env, admin_account):
    """A member with a model key whose project offers one model beyond its default."""
    from clawweb.db import session_scope
    from clawweb.models import AgentSettings, User
    from clawweb.services.agents import credentials
    from clawweb.services.projects import service as projects

    username = f"sched-{uuid.uuid4().hex[:6]}"
    user_id = make_user(username, PASSWORD)
    with session_scope() as s:
        user = s.get(User, user_id)
        project_id = projects.create_project(session=s, user=user, name=f"Nightly {username}").id
        credentials.set_user_credential(session=s, user=user, kind="api_key",
                                        secret=FAKE_API_KEY)
        s.add(AgentSettings(project_id=project_id, allowed_models=[EXTRA_MODEL]))
    return username, project_id


def _schedule(project_id: int):
    from sqlmodel import select

    from clawweb.db import session_scope
    from clawweb.models import Schedule

    with session_scope() as s:
        return s.exec(select(Schedule).where(Schedule.project_id == project_id)).one()


def _tap(page, button) -> None:
    """Tap as a person would: once the "saved" toast above the tab bar has gone, with
    the button scrolled to the middle of the screen (the last card's row of buttons
    is otherwise at the bottom edge, under the toast and the tab bar)."""
    expect(page.locator("[data-sonner-toast]")).to_have_count(0)
    button.evaluate("el => el.scrollIntoView({block: 'center'})")
    button.click()


def test_phone_schedules_a_claude_prompt_with_its_model_then_pauses_it(owner, new_context):
    username, project_id = owner
    page = new_context("phone").new_page()
    sign_in(page, username, PASSWORD)
    page.goto(f"/projects/{project_id}/")
    page.get_by_test_id("schedules-link").click()
    page.wait_for_url(f"**/projects/{project_id}/schedules**")
    expect(page.get_by_test_id("sched-empty")).to_be_visible()

    page.get_by_test_id("sched-kind").click()
    page.get_by_role("option", name="Claude Code prompt").click()
    model = page.get_by_test_id("sched-model")
    expect(model).to_be_visible()
    assert model.locator("option").evaluate_all("els => els.map(e => e.value)") == \
        ["", EXTRA_MODEL]
    model.select_option(EXTRA_MODEL)
    page.get_by_test_id("sched-permission_mode").select_option("plan")
    page.get_by_test_id("sched-priority").click()
    page.get_by_role("option", name="High").click()
    page.get_by_test_id("sched-timeout").fill("30")
    page.locator("input[name=name]").fill("Nightly review")
    page.get_by_test_id("sched-command").fill("Review yesterday's changes")
    page.get_by_test_id("sched-cron").fill("0 3 * * *")
    page.get_by_test_id("sched-timezone").fill("Asia/Shanghai")
    page.get_by_test_id("sched-save").click()

    card = page.get_by_test_id("sched-card")
    try:
        expect(card).to_have_count(1)
    except AssertionError:
        screenshot(page, "schedules-phone-save-failed")
        raise
    expect(card.get_by_test_id("sched-card-model")).to_contain_text(EXTRA_MODEL)
    expect(card.get_by_test_id("sched-next")).to_be_visible()
    # The policies in the form's words, not their stored values ("once", "skip").
    expect(card.get_by_test_id("sched-policies")).to_contain_text(
        "Missed runs (downtime): Run once · Still running: Skip this run")
    saved = _schedule(project_id)
    assert (saved.kind, saved.model, saved.permission_mode, saved.cron, saved.timezone) == \
        ("claude", EXTRA_MODEL, "plan", "0 3 * * *", "Asia/Shanghai")
    assert (saved.priority, saved.timeout_seconds) == ("high", 1800)
    no_hscroll(page)
    screenshot(page, "schedules-phone")

    _tap(page, card.get_by_role("button", name="Pause"))
    expect(card.get_by_text("paused", exact=True)).to_be_visible()
    assert _schedule(project_id).paused is True
    _tap(page, card.get_by_role("button", name="Resume"))
    expect(card.get_by_text("paused", exact=True)).to_have_count(0)
    assert _schedule(project_id).paused is False

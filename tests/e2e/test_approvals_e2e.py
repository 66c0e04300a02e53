"""A Claude task in real browsers: a desktop watches the conversation while a phone
answers the tool approval (from the shell's banner), and the desktop view updates
without a reload. Real app, real worker, real sandbox, the CLI against a fake model API."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.e2e.conftest import FAKE_API_KEY, make_user, no_hscroll, screenshot, sign_in
from tests.fixtures.fake_anthropic import text, tool_use
from tests.support.services import need_docker

PASSWORD = "approvals e2e password 1"
LONG_ARG = "x" * 300  # a long command must wrap inside its card, not widen the page
HOSTILE = ('Finished. <b id="cw-raw-html">raw</b><img id="cw-raw-img" src="x" '
           'onerror="document.title=\'pwned\'"> **bold** and `code`')


@pytest.fixture(scope="module")
def worker(app_env):
    need_docker()
    name = f"approvals-e2e-{uuid.uuid4().hex[:6]}"
    app_env.start_worker(name)
    return name


@pytest.fixture(scope="module")
def owner(app_env, admin_account, worker):
    """A member with a model key who owns a fresh project."""
    from clawweb.db import session_scope
    from clawweb.models import User
    from clawweb.services.agents import credentials
    from clawweb.services.projects import service as projects

    username = f"claude-{uuid.uuid4().hex[:6]}"
    user_id = make_user(username, PASSWORD)
    with session_scope() as s:
        user = s.get(User, user_id)
        project = projects.create_project(session=s, user=user, name=f"Agent {username}")
        project_id = project.id
        credentials.set_user_credential(session=s, user=user, kind="api_key",
                                        secret=FAKE_API_KEY)
    return username, user_id, project_id


def _submit(user_id: int, project_id: int, prompt: str) -> int:
    from clawweb.db import session_scope
    from clawweb.models import User
    from clawweb.services.agents import tasks as agent_tasks

    with session_scope() as s:
        task = agent_tasks.submit_prompt(session=s, user=s.get(User, user_id),
                                         project_id=project_id, prompt=prompt,
                                         idempotency_key=uuid.uuid4().hex)
        return task.id


def _deep_link_lands_on_the_card(new_context, username: str, task_id: int,
                                 approval_id: str) -> None:
    """A notification's link (routes.approval: ``#approval-<id>``) opens with the card in view,
    on a screen short enough that the card starts below the fold."""
    page = new_context("desktop").new_page()
    page.set_viewport_size({"width": 1280, "height": 400})
    sign_in(page, username, PASSWORD)
    page.goto(f"/tasks/{task_id}/#approval-{approval_id}")
    card = page.locator(f"[data-testid=approval-card][data-approval-id='{approval_id}']")
    card.wait_for()
    in_view = """(id) => { const c = document.querySelector(
                       `[data-testid=approval-card][data-approval-id='${id}']`);
                     const r = c && c.getBoundingClientRect();
                     return r && r.top >= 0 && r.top < window.innerHeight; }"""
    try:
        page.wait_for_function(in_view, arg=approval_id, timeout=5_000)
    except Exception:
        where = page.evaluate("""() => [location.href, window.scrollY,
            document.documentElement.scrollHeight, window.innerHeight,
            (document.querySelector('[data-testid=approval-card]')||{getBoundingClientRect(){return {}}}).getBoundingClientRect().top,
            !!(window.clawwebTerm)]""")
        raise AssertionError(f"the linked card is not in view: {where}")
    page.close()


def test_phone_answers_approval_desktop_updates_live(owner, fake_anthropic, new_context):
    username, user_id, project_id = owner
    fake_anthropic.push(
        tool_use("Bash", {"command": f"touch /workspace/out.txt && echo approved-by-phone {LONG_ARG}",
                           "description": "write a file"}, say="Running it."),
        text(HOSTILE))
    task_id = _submit(user_id, project_id, "Please run the echo command.")

    desktop = new_context("desktop").new_page()
    sign_in(desktop, username, PASSWORD)
    desktop.goto(f"/tasks/{task_id}/")
    card = desktop.get_by_test_id("approval-card")
    card.wait_for(timeout=120_000)  # container start + CLI start
    assert "approved-by-phone" in card.get_by_test_id("approval-summary").inner_text()
    assert "in " in card.get_by_test_id("approval-expires").inner_text()  # "in 5 minutes"
    desktop.locator("[data-testid=tool-card][data-status=waiting]").wait_for()
    screenshot(desktop, "approvals-desktop-waiting")
    _deep_link_lands_on_the_card(new_context, username, task_id,
                                 card.get_attribute("data-approval-id"))

    phone = new_context("phone").new_page()
    sign_in(phone, username, PASSWORD)
    banner = phone.get_by_test_id("approvals-banner")
    banner.wait_for(timeout=15_000)  # the 3 s heartbeat poll
    banner.click()
    phone.wait_for_url(f"**/tasks/{task_id}**")
    phone.get_by_test_id("approval-card").wait_for()
    no_hscroll(phone)
    screenshot(phone, "approvals-phone-card")
    phone.get_by_test_id("approval-allow").click()

    # The desktop, never reloaded, follows: card gone, tool done, final result in.
    card.wait_for(state="detached", timeout=30_000)
    desktop.locator("[data-testid=tool-card][data-status=done]").wait_for(timeout=60_000)
    desktop.get_by_test_id("conv-result").wait_for(timeout=60_000)
    result = desktop.get_by_test_id("conv-text").last
    assert "approved-by-phone" in desktop.get_by_test_id("tool-card").first.get_by_test_id(
        "tool-result").text_content()
    # Model text is markdown, but raw HTML in it stays text.
    assert desktop.locator("#cw-raw-html, #cw-raw-img").count() == 0
    assert '<b id="cw-raw-html">' in result.inner_text()
    assert result.locator("strong").first.inner_text() == "bold"
    assert desktop.title() != "pwned"
    desktop.get_by_test_id("follow-up").wait_for()
    desktop.get_by_test_id("approvals-banner").wait_for(state="detached", timeout=15_000)
    screenshot(desktop, "approvals-desktop-done")

    phone.get_by_test_id("conv-result").wait_for(timeout=30_000)
    assert phone.get_by_test_id("approvals-banner").count() == 0
    no_hscroll(phone)
    screenshot(phone, "approvals-phone-done")

    # A follow-up from the phone continues the conversation in a new task, whose
    # page shows the earlier turn above, collapsed.
    fake_anthropic.push(text("Second answer."))
    phone.get_by_test_id("follow-up-prompt").fill("And now the second step.")
    phone.get_by_test_id("follow-up-send").click()
    phone.wait_for_url(re.compile(r".*/tasks/(?!%d/)\d+/?$" % task_id))
    earlier = phone.get_by_test_id("thread-turn")
    earlier.first.wait_for()
    assert f"#{task_id}" in earlier.first.inner_text()
    phone.get_by_test_id("conv-result").wait_for(timeout=60_000)
    assert "Second answer." in phone.get_by_test_id("conversation").inner_text()
    no_hscroll(phone)
    screenshot(phone, "approvals-phone-follow-up")

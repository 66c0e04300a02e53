"""Claude Code settings in a real browser on a phone: the model credential is shown
masked only (never in the page or in anything the server sends), agent settings
reject a bad rule plainly, and a prompt without any credential says what to do."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from tests.e2e.conftest import choose_claude, make_user, no_hscroll, screenshot, sign_in

PASSWORD = "agent e2e password 1"


def _member() -> str:
    name = f"agent-{uuid.uuid4().hex[:6]}"
    make_user(name, PASSWORD)
    return name


def _own_project(username: str) -> int:
    from sqlmodel import select

    from clawweb.db import session_scope
    from clawweb.models import User
    from clawweb.services.projects import service as projects

    with session_scope() as s:
        user = s.exec(select(User).where(User.username == username)).one()
        return projects.create_project(session=s, user=user,
                                       name=f"claude-{uuid.uuid4().hex[:6]}").id


def _record_frames(page) -> list[str]:
    """Everything the server sends over the page's WebSockets, as text."""
    frames: list[str] = []

    def on_socket(ws):
        ws.on("framereceived", lambda payload: frames.append(
            payload if isinstance(payload, str) else payload.decode("utf-8", "replace")))

    page.on("websocket", on_socket)
    return frames


def test_api_key_is_shown_masked_only_then_deleted(admin_account, new_context):
    secret = "sk-ant-api03-" + uuid.uuid4().hex + "e2eK"
    username = _member()
    page = new_context("phone").new_page()
    frames = _record_frames(page)
    sign_in(page, username, PASSWORD)
    page.goto("/account")
    expect(page.get_by_test_id("credential-none")).to_be_visible()

    page.get_by_test_id("credential-secret").fill(secret)
    page.get_by_test_id("credential-save").click()
    expect(page.get_by_test_id("credential-hint")).to_have_text("…e2eK")
    expect(page.get_by_test_id("credential-secret")).to_have_value("")
    assert secret not in page.content()
    assert not [f for f in frames if secret in f], "the saved secret came back to the browser"
    no_hscroll(page)
    screenshot(page, "agent-credential-phone")

    # The e2e app's model endpoint is the loopback fake, which knows only its own key.
    page.get_by_test_id("credential-test").click()
    expect(page.get_by_test_id("credential-test-result")).to_contain_text(
        "rejected this credential")

    page.reload()
    expect(page.get_by_test_id("credential-hint")).to_have_text("…e2eK")
    assert secret not in page.content()

    page.get_by_test_id("credential-delete").click()
    page.get_by_test_id("credential-delete-confirm").click()
    expect(page.get_by_test_id("credential-none")).to_be_visible()

    assert frames, "no WebSocket frames were recorded"
    leaked = [f[:200] for f in frames if secret in f]
    assert not leaked, f"the secret came back over the WebSocket: {leaked}"


def test_owner_edits_agent_settings_with_plain_errors(admin_account, new_context):
    username = _member()
    project_id = _own_project(username)
    page = new_context("phone").new_page()
    sign_in(page, username, PASSWORD)
    page.goto(f"/projects/{project_id}/settings")
    rules = page.get_by_test_id("agent-allowed_tools")
    expect(page.get_by_test_id("no-rules")).to_be_visible()

    rules.fill("Edit\nBash(rm (x))")
    page.get_by_test_id("agent-save").click()
    expect(page.get_by_test_id("agent-error")).to_contain_text("Bash(rm (x))")
    expect(page.get_by_test_id("allowed-rule")).to_have_count(0)

    page.get_by_test_id("agent-allowed_tools").fill("Edit\nBash(npm test:*)")
    page.get_by_test_id("agent-approval_timeout_minutes").fill("10")
    page.get_by_test_id("agent-save").click()
    expect(page.get_by_test_id("allowed-rule")).to_have_count(2)
    expect(page.get_by_test_id("agent-error")).to_have_count(0)
    expect(page.get_by_test_id("agent-approval_timeout_minutes")).to_have_value("10")
    no_hscroll(page)
    screenshot(page, "agent-settings-phone")

    page.get_by_test_id("allowed-rule-remove").first.click()
    expect(page.get_by_test_id("allowed-rule")).to_have_count(1)
    expect(page.get_by_test_id("allowed-rule-text")).to_have_text("Bash(npm test:*)")
    expect(page.get_by_test_id("agent-allowed_tools")).to_have_value("Bash(npm test:*)")

    desktop = new_context("desktop").new_page()
    sign_in(desktop, username, PASSWORD)
    desktop.goto(f"/projects/{project_id}/settings")
    expect(desktop.get_by_test_id("allowed-rule")).to_have_count(1)
    screenshot(desktop, "agent-settings-desktop")


def test_prompt_without_credential_says_where_to_add_one(admin_account, new_context):
    username = _member()
    project_id = _own_project(username)
    page = new_context("phone").new_page()
    sign_in(page, username, PASSWORD)
    page.goto(f"/projects/{project_id}")
    choose_claude(page)
    expect(page.get_by_test_id("task-timeout")).to_have_count(0)
    page.get_by_test_id("task-command").fill("Explain the README")
    page.get_by_test_id("task-run").click()
    error = page.get_by_test_id("form-error")
    expect(error).to_contain_text("No model credential")
    expect(page.get_by_test_id("add-credential-link")).to_have_attribute(
        "href", re.compile(r"/account/?$"))
    no_hscroll(page)
    screenshot(page, "agent-no-credential-phone")

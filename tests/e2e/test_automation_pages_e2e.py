"""The automation pages on a phone: an API token made, used once and revoked, and a
project webhook added, its secret shown once, its rules saved and its deliveries logged.

No worker runs in this module: a delivery the receiver accepts stays queued for the
webhook job (tests/http and tests/services/webhooks prove the processing).
"""

from __future__ import annotations

import time
import uuid

from playwright.sync_api import expect

from tests.e2e.conftest import no_hscroll, screenshot, sign_in, user_with_project
from tests.fixtures import webhook_payloads as forge

PASSWORD = "automation pages e2e password 1"


def test_phone_makes_uses_and_revokes_an_api_token(app_env, new_context):
    username, _, _ = user_with_project("auto", PASSWORD)
    page = new_context("phone").new_page()
    sign_in(page, username, PASSWORD)
    page.goto("/account/")
    page.get_by_test_id("new-token").click()
    page.get_by_role("dialog").locator("input[name=name]").fill("laptop script")
    page.get_by_test_id("create-token").click()
    value = page.get_by_test_id("new-token-value")
    expect(value).to_be_visible()
    token = value.inner_text().strip()
    assert len(token) >= 32
    page.get_by_test_id("new-token-done").click()
    expect(value).to_have_count(0)
    card = page.get_by_test_id("api-token").filter(has_text="laptop script")
    expect(card).to_be_visible()
    assert token not in page.content()  # shown once, never again

    me = page.request.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status == 200 and me.json()["username"] == username
    page.reload()
    expect(card).to_contain_text("127.0.0.1")  # last used, and from where
    no_hscroll(page)
    screenshot(page, "api-tokens-phone")

    card.get_by_test_id("revoke-token").click()
    page.get_by_test_id("confirm-revoke-token").click()
    expect(card).to_have_count(0)
    again = page.request.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert again.status == 401


def test_phone_adds_a_webhook_sees_its_secret_once_and_reads_its_log(app_env, new_context):
    from sqlmodel import select

    from clawweb.db import session_scope
    from clawweb.models import Webhook

    username, _, project_id = user_with_project("auto", PASSWORD)
    page = new_context("phone").new_page()
    sign_in(page, username, PASSWORD)
    page.goto(f"/projects/{project_id}/settings/")
    section = page.get_by_test_id("automation-section")
    section.locator("form input[name=name]").last.fill("Shop repo")
    page.get_by_test_id("hook-add").click()
    hook = page.get_by_test_id("hook-card")
    expect(hook).to_have_count(1)
    secret = hook.get_by_test_id("hook-secret").inner_text().strip()
    url = hook.get_by_test_id("hook-url").inner_text().strip()
    assert "/api/hooks/github/" in url and len(secret) >= 32

    hook.get_by_test_id("hook-push_enabled").click()
    hook.locator("input[name=push_branches]").fill("main")
    hook.locator("textarea[name=push_command]").fill("make test")
    hook.get_by_test_id("hook-save").click()
    expect(page.get_by_text("Rules saved.")).to_be_visible()
    with session_scope() as s:
        row = s.exec(select(Webhook).where(Webhook.project_id == project_id)).one()
        assert (row.push_enabled, row.push_branches, row.push_command) == \
            (True, "main", "make test")
    hook.get_by_test_id("hook-secret-done").click()
    expect(hook.get_by_test_id("hook-secret")).to_have_count(0)

    path = "/api/hooks/" + url.split("/api/hooks/", 1)[1]
    headers, body = forge.github(secret, "push", forge.github_push(time.time()))
    assert page.request.post(path, headers=headers, data=body).status == 202
    bad = dict(headers, **{"X-Hub-Signature-256": "sha256=" + "0" * 64,
                           "X-GitHub-Delivery": str(uuid.uuid4())})
    assert page.request.post(path, headers=bad, data=body).status == 401
    hook.get_by_test_id("hook-show-log").click()
    rows = hook.get_by_test_id("hook-log-row")
    expect(rows).to_have_count(2)
    statuses = sorted(r.locator(".rt-Badge").first.inner_text() for r in rows.all())
    assert statuses[1] == "refused" and statuses[0] in ("accepted", "processing", "done"), \
        statuses
    no_hscroll(page)
    screenshot(page, "webhook-phone")
    page.reload()
    expect(page.get_by_test_id("hook-card")).to_have_count(1)
    expect(page.get_by_test_id("hook-secret")).to_have_count(0)
    assert secret not in page.content()

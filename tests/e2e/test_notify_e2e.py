"""Notifications in real Chromium against the real app and a real worker.

- The service worker registers and the app passes Chromium's installability checks
  (CDP ``Page.getInstallabilityErrors``).
- A Claude task asks for permission while no page of the app is open; its push reaches
  the loopback push service (VAPID checked, payload decrypted); delivered to Chromium's
  service worker through CDP ``ServiceWorker.deliverPushMessage`` it shows a
  notification with the right title, deep link and Approve/Deny actions (read back
  with ``registration.getNotifications()``); its Approve action (the worker's own
  click handler) decides the approval, the other device's notification is closed by
  the follow-up push, the open task page on the desktop updates; a replayed or stale
  token is refused; the person is notified again when the task is done.
- The bell's unread count updates live in a second browser.
- A chat channel added on the channels page answers "Send test" (a loopback receiver).

Chromium's own push subscription needs a real push service (not reachable here), so
each browser's subscription is a synthetic one pointing at the loopback push service.
"""

from __future__ import annotations

import json
import time
import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import FAKE_API_KEY, make_user, no_hscroll, screenshot, sign_in
from tests.fixtures.fake_anthropic import text, tool_use
from tests.support.http_receiver import Receiver
from tests.support.push_service import PushService
from tests.support.services import need_docker

PASSWORD = "notify e2e password 1"
NOTIFICATIONS_JS = """() => self.registration.getNotifications().then(list => list.map(n => ({
    title: n.title, body: n.body, tag: n.tag, url: n.data && n.data.url,
    actions: n.actions.map(a => a.action)})))"""


@pytest.fixture(scope="module")
def push_service():
    service = PushService().start()
    yield service
    service.stop()


@pytest.fixture(scope="module")
def worker(app_env):
    need_docker()
    app_env.start_worker(f"notify-e2e-{uuid.uuid4().hex[:6]}")


@pytest.fixture(scope="module")
def owner(app_env, admin_account, worker):
    from clawweb.db import session_scope
    from clawweb.models import User
    from clawweb.services.agents import credentials
    from clawweb.services.projects import service as projects

    username = f"notify-{uuid.uuid4().hex[:6]}"
    user_id = make_user(username, PASSWORD)
    with session_scope() as s:
        user = s.get(User, user_id)
        project = projects.create_project(session=s, user=user, name=f"Notify {username}")
        project_id = project.id
        credentials.set_user_credential(session=s, user=user, kind="api_key",
                                        secret=FAKE_API_KEY)
    return username, user_id, project_id


def _browser(new_context, app_server, kind: str, username: str):
    ctx = new_context(kind)
    ctx.grant_permissions(["notifications"], origin=app_server.url)
    page = ctx.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(page, username, PASSWORD)
    assert page.evaluate("navigator.serviceWorker.ready.then(r => r.active.scriptURL)") \
        == app_server.url + "/sw.js"
    return ctx, page, errors


def _subscribe(page, service: PushService) -> dict:
    """Register a synthetic subscription for this browser's user through the real route."""
    info = service.subscription()
    answer = page.evaluate("""info => fetch('/api/push/subscribe', {method: 'POST',
        credentials: 'same-origin', headers: {'Content-Type': 'application/json'},
        body: JSON.stringify(info)}).then(r => r.json())""", info)
    assert answer["ok"] is True, answer
    return info


def _registration_id(ctx, page, origin: str) -> str:
    cdp = ctx.new_cdp_session(page)
    found = {}
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda e: found.update(
        {r["scopeURL"]: r["registrationId"] for r in e["registrations"] if not r["isDeleted"]}))
    cdp.send("ServiceWorker.enable")
    deadline = time.monotonic() + 10
    while origin + "/" not in found and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    return cdp, found[origin + "/"]


def _deliver(cdp, origin: str, registration_id: str, payload: dict) -> None:
    cdp.send("ServiceWorker.deliverPushMessage", {"origin": origin,
                                                  "registrationId": registration_id,
                                                  "data": json.dumps(payload)})


def _worker_of(ctx):
    if not ctx.service_workers:
        ctx.wait_for_event("serviceworker")
    return ctx.service_workers[0]


def _shown(sw, count: int, timeout: float = 20.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        shown = sw.evaluate(NOTIFICATIONS_JS)
        if len(shown) == count or time.monotonic() > deadline:
            return shown
        time.sleep(0.1)


def _pushes_for(service, sub, pred, timeout=120.0) -> list:
    service.wait_for(lambda _: any(pred(r.payload) for r in service.for_sub(sub)), timeout)
    return [r.payload for r in service.for_sub(sub) if pred(r.payload)]


def _ask_for_successes_and_subscribe(page, service: PushService) -> dict:
    """Success is not pushed unless asked for: ask on the settings page, then subscribe."""
    page.goto("/notifications/settings/")
    card = page.locator("[data-testid=pref-card][data-channel=push]")
    card.get_by_test_id("pref-task.succeeded").click()
    card.get_by_test_id("pref-save").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    no_hscroll(page)
    sub = _subscribe(page, service)
    page.goto("/notifications/devices/")
    expect(page.get_by_test_id("push-device")).to_have_count(1)
    screenshot(page, "notify-phone-devices")
    return sub


def _submit(user_id: int, project_id: int, prompt: str) -> int:
    from clawweb.db import session_scope
    from clawweb.models import User
    from clawweb.services.agents import tasks as agent_tasks

    with session_scope() as s:
        task = agent_tasks.submit_prompt(session=s, user=s.get(User, user_id),
                                         project_id=project_id, prompt=prompt,
                                         idempotency_key=uuid.uuid4().hex)
        return task.id


def test_the_app_is_installable_and_its_worker_registers(app_env, owner, playwright_browser,
                                                         tmp_path):
    from tests.e2e.harness import CHROMIUM, CHROMIUM_ARGS, DESKTOP

    # A profile on disk: Chromium never offers to install from an incognito context,
    # which is what an ordinary Playwright context is.
    ctx = playwright_browser.browser_type.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=CHROMIUM, args=CHROMIUM_ARGS,
        base_url=app_env.url, **DESKTOP)
    try:
        page = ctx.new_page()
        errors = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        sign_in(page, owner[0], PASSWORD)
        assert page.evaluate("navigator.serviceWorker.ready.then(r => r.active.scriptURL)") \
            == app_env.url + "/sw.js"
        cdp = ctx.new_cdp_session(page)
        manifest = cdp.send("Page.getAppManifest")
        assert manifest["errors"] == [] and manifest["url"].endswith("/manifest.webmanifest")
        assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
        assert not [e for e in errors if "Content Security Policy" in e], errors
    finally:
        ctx.close()


# Sets window.__cardGoneAt (Date.now()) once no approval card is left on the page.
CARD_GONE_JS = """() => {
    const gone = () => !document.querySelector('[data-testid=approval-card]');
    new MutationObserver((_, observer) => {
        if (gone()) { window.__cardGoneAt = Date.now(); observer.disconnect(); }
    }).observe(document.body, {childList: true, subtree: true});
}"""


def test_approve_from_the_notification_with_no_page_open(app_env, owner, fake_anthropic,
                                                         new_context, push_service):
    from clawweb.db import session_scope
    from clawweb.models import Approval
    from sqlmodel import select

    username, user_id, project_id = owner
    phone, page, errors = _browser(new_context, app_env, "phone", username)
    phone_sub = _ask_for_successes_and_subscribe(page, push_service)

    desktop, desk_page, desk_errors = _browser(new_context, app_env, "desktop", username)
    desk_sub = _subscribe(desk_page, push_service)

    # A command that writes: the CLI would run a read-only one without asking.
    fake_anthropic.push(tool_use("Bash", {"command": "touch /workspace/notified.txt && "
                                                     "echo notified-by-push",
                                          "description": "write a file"}, say="Running it."),
                        text("All done."))
    task_id = _submit(user_id, project_id, "Run the echo, please.")
    # The phone's tab goes away; only its browser (and service worker) stays.
    blank = phone.new_page()
    page.close()
    desk_page.goto(f"/tasks/{task_id}/")

    asked = _pushes_for(push_service, phone_sub, lambda p: p.get("actions"))[0]
    with session_scope() as s:
        approval = s.exec(select(Approval).where(Approval.task_id == task_id)).one()
    assert asked["title"] == "Approval needed: Bash"
    assert asked["url"] == f"/tasks/{task_id}#approval-{approval.id}"
    assert "notified-by-push" in asked["body"]
    assert [a["action"] for a in asked["actions"]] == ["allow", "deny"]

    cdp, reg = _registration_id(phone, blank, app_env.url)
    _deliver(cdp, app_env.url, reg, asked)
    sw = _worker_of(phone)
    shown = _shown(sw, 1)
    assert shown == [{"title": "Approval needed: Bash", "body": asked["body"],
                      "tag": f"approval-{approval.id}",
                      "url": app_env.url + asked["url"], "actions": ["allow", "deny"]}]

    # The desktop shows the same request, both on its page and as a notification.
    desk_asked = _pushes_for(push_service, desk_sub, lambda p: p.get("actions"))[0]
    desk_cdp, desk_reg = _registration_id(desktop, desk_page, app_env.url)
    _deliver(desk_cdp, app_env.url, desk_reg, desk_asked)
    desk_sw = _worker_of(desktop)
    assert len(_shown(desk_sw, 1)) == 1
    card = desk_page.get_by_test_id("approval-card")
    card.wait_for(timeout=30_000)

    # The desktop page notes (on the shared wall clock) when its card goes, so the
    # test's own checks below are not counted against the page.
    desk_page.evaluate(CARD_GONE_JS)
    # Approve on the phone: the service worker's own click handler posts the token.
    asked_at_ms = time.time() * 1000
    answer = sw.evaluate("""() => self.registration.getNotifications()
        .then(list => handleClick(list[0], 'allow'))""")
    assert answer["ok"] is True and answer["decision"] == "allow", answer
    with session_scope() as s:
        row = s.get(Approval, approval.id)
        assert (row.decision, row.decided_by) == ("allow", user_id)
    assert _shown(sw, 0) == []
    card.wait_for(state="detached", timeout=5_000)
    took = desk_page.evaluate("window.__cardGoneAt") - asked_at_ms
    assert took <= 3000, f"the open page took {took:.0f} ms, more than 3 s"

    # The follow-up push closes the desktop's notification too.
    closed = _pushes_for(push_service, desk_sub, lambda p: p.get("type") == "close", 30)[0]
    assert closed == {"v": 1, "type": "close", "tag": f"approval-{approval.id}"}
    _deliver(desk_cdp, app_env.url, desk_reg, closed)
    assert _shown(desk_sw, 0) == []

    # The same token again is refused, and so is one that expired with its approval.
    assert _act(sw, asked["token"]) == {"ok": False, "error": "notify.action.used"}
    assert _act(sw, _stale_token(user_id, task_id)) == {"ok": False,
                                                         "error": "notify.action.expired"}

    # Done: the phone hears about it again (it asked for successes).
    done = _pushes_for(push_service, phone_sub,
                       lambda p: p.get("title") == f"Task #{task_id} succeeded", 120)[0]
    assert done["url"] == f"/tasks/{task_id}" and done["actions"] == []
    _deliver(cdp, app_env.url, reg, done)
    assert [n["title"] for n in _shown(sw, 1)] == [f"Task #{task_id} succeeded"]
    assert push_service.rejected == []
    assert not [e for e in errors + desk_errors if "Content Security Policy" in e]
    screenshot(desk_page, "notify-desktop-after-approval")


def _act(sw, token: str) -> dict:
    """Post an Approve from the service worker, as its click handler would."""
    return sw.evaluate("""token => fetch('/api/push/action', {method: 'POST',
        headers: {'Content-Type': 'application/json'},
        body: JSON.stringify({token: token, action: 'allow'})}).then(r => r.json())""", token)


def _stale_token(user_id: int, task_id: int) -> str:
    """A token for an approval whose time is up."""
    from clawweb.db import session_scope
    from clawweb.models import Task
    from clawweb.services import approvals
    from clawweb.services.notify import actions

    with session_scope() as s:
        task = s.get(Task, task_id)
        row = approvals.create_request(session=s, task=task, tool_use_id="toolu_stale",
                                       tool_name="Bash", tool_input={"command": "true"},
                                       timeout_seconds=-60)
        raw = actions.issue(session=s, user_id=user_id, approval=row)
    return raw


def test_the_unread_count_updates_live_in_a_second_browser(app_env, owner, new_context):
    from clawweb.db import session_scope
    from clawweb.services.notify import centre, events

    username, user_id, project_id = owner
    with session_scope() as s:
        centre.mark_all_read(session=s, user_id=user_id)
    first = _browser(new_context, app_env, "desktop", username)[1]
    second = _browser(new_context, app_env, "phone", username)[1]
    for page in (first, second):
        expect(page.get_by_test_id("bell-count")).to_have_count(0)
    with session_scope() as s:
        row = centre.add(session=s, user_id=user_id, event=events.TASK_FAILED, task_id=4242,
                         project_id=project_id, params={"task_id": 4242, "project": "Shop",
                                                        "summary": "<b>make</b> test"})
        s.commit()
    centre.announce([user_id])
    for page in (first, second):
        expect(page.get_by_test_id("bell-count")).to_have_text("1", timeout=5_000)
    expect(second.get_by_test_id("nav-bell-count")).to_have_text("1")
    screenshot(second, "notify-phone-bell")

    first.get_by_test_id("bell").click()
    first.wait_for_url("**/notifications**")
    item = first.get_by_test_id("notification").first
    expect(item).to_contain_text("Task #4242 failed")
    expect(item).to_contain_text("Shop: <b>make</b> test")  # text, not markup
    item.click()
    first.wait_for_url("**/tasks/4242**")
    expect(second.get_by_test_id("bell-count")).to_have_count(0, timeout=5_000)
    with session_scope() as s:
        assert centre.unread_count(session=s, user_id=user_id) == 0
    assert row.id


def _add_hook(page, name: str, url: str, **picks: str):
    """Fill and send the add-channel form; ``picks``: select test id -> option shown."""
    for test_id, option in picks.items():
        page.get_by_test_id(test_id.replace("_", "-")).click()
        page.get_by_role("option", name=option).click()
    page.get_by_test_id("channel-name").fill(name)
    page.get_by_test_id("channel-field-url").fill(url)
    page.get_by_test_id("channel-add").click()
    card = page.get_by_test_id("channel").filter(has_text=name)
    expect(card).to_be_visible()
    return card


def test_a_channel_added_in_the_page_answers_send_test(app_env, owner, new_context):
    receiver = Receiver().start()
    try:
        page = _browser(new_context, app_env, "phone", owner[0])[1]
        page.goto("/notifications/channels/")
        page.get_by_test_id("channel-kind").click()
        page.get_by_role("option", name="JSON webhook").click()
        card = _add_hook(page, "My hook", receiver.url + "/e2e")
        assert "/e2e" not in card.inner_text()  # the path may hold a secret: masked
        card.get_by_test_id("channel-test").click()
        got = receiver.wait_for(1, timeout=20)[0]
        assert got.path == "/e2e" and got.json()["title"] == "clawweb test message"
        expect(page.get_by_text("Test message sent.")).to_be_visible()
        # A team's channel speaks the language its owner picks, not the owner's own.
        team = _add_hook(page, "Team hook", receiver.url + "/team",
                         channel_owner=f"Notify {owner[0]}", channel_language="中文")
        team.get_by_test_id("channel-test").click()
        got = receiver.wait_for(2, timeout=20)[1]
        assert got.path == "/team" and got.json()["title"] == "clawweb 测试消息"
        no_hscroll(page)
        screenshot(page, "notify-phone-channels")
    finally:
        receiver.stop()

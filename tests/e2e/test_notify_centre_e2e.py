"""The notification pages on a phone: mark all read, the approvals banner's way into
the centre, removing a device, and a failing channel's log, pause and resume.

Notifications and delivery outcomes are made through the services (the worker's
sending is proven in tests/integration/test_notify_delivery.py); what is tested
here is what the person sees and does in the pages.
"""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import no_hscroll, screenshot, sign_in, user_with_project
from tests.support.push_service import PushService

PASSWORD = "notify centre e2e password 1"


@pytest.fixture
def loopback_hooks(monkeypatch):
    """As in the app's own environment: a hook may be on loopback (nothing sends to it)."""
    from clawweb import settings as settings_mod

    monkeypatch.setenv("CLAWWEB_NOTIFY_PRIVATE_HOSTS", "127.0.0.1")
    settings_mod.get_settings.cache_clear()
    yield
    monkeypatch.undo()
    settings_mod.get_settings.cache_clear()


def _failed_tasks(user_id: int, project_id: int, ids: list[int]) -> None:
    from clawweb.db import session_scope
    from clawweb.services.notify import centre, events

    with session_scope() as s:
        for task_id in ids:
            centre.add(session=s, user_id=user_id, event=events.TASK_FAILED, task_id=task_id,
                       project_id=project_id, params={"task_id": task_id, "project": "Shop",
                                                      "summary": "make test"})
    centre.announce([user_id])


def test_mark_all_read_empties_the_bell_and_the_banner_leads_to_the_centre(app_env,
                                                                           new_context):
    from clawweb.db import session_scope
    from clawweb.models import Task, TaskStatus, utcnow
    from clawweb.services import approvals
    from clawweb.services.notify import centre

    username, user_id, project_id = user_with_project("centre", PASSWORD)
    _failed_tasks(user_id, project_id, [7101, 7102])
    page = new_context("phone").new_page()
    sign_in(page, username, PASSWORD)
    expect(page.get_by_test_id("bell-count")).to_have_text("2")
    page.goto("/notifications/")
    expect(page.get_by_test_id("notification")).to_have_count(2)
    page.get_by_test_id("mark-all-read").click()
    expect(page.get_by_test_id("bell-count")).to_have_count(0)
    with session_scope() as s:
        assert centre.unread_count(session=s, user_id=user_id) == 0
    expect(page.get_by_test_id("notification")).to_have_count(2)  # read, still listed

    with session_scope() as s:
        task = Task(project_id=project_id, created_by=user_id, kind="claude", command="fix it",
                    status=TaskStatus.awaiting_approval, started_at=utcnow(),
                    idempotency_key=uuid.uuid4().hex)
        s.add(task)
        s.flush()
        approvals.create_request(session=s, task=task, tool_use_id="toolu_banner",
                                 tool_name="Bash", tool_input={"command": "npm test"},
                                 timeout_seconds=600)
    page.goto(f"/projects/{project_id}/")
    expect(page.get_by_test_id("approvals-banner")).to_be_visible()
    no_hscroll(page)
    page.get_by_test_id("approvals-banner-centre").click()
    page.wait_for_url("**/notifications**")
    expect(page.get_by_test_id("notification").first).to_contain_text("Approval needed: Bash")


def test_a_device_is_removed_and_a_failing_channel_is_logged_paused_and_resumed(
        app_env, new_context, loopback_hooks):
    from clawweb.db import session_scope
    from clawweb.models import User
    from clawweb.services.notify import centre, channels, delivery, events, push

    username, user_id, project_id = user_with_project("centre", PASSWORD)
    page = new_context("phone").new_page()
    sign_in(page, username, PASSWORD)
    service = PushService().start()  # nothing is pushed: only a real subscription's shape
    answer = page.evaluate("""info => fetch('/api/push/subscribe', {method: 'POST',
        credentials: 'same-origin', headers: {'Content-Type': 'application/json'},
        body: JSON.stringify(info)}).then(r => r.json())""", service.subscription())
    service.stop()
    assert answer["ok"] is True, answer
    page.goto("/notifications/devices/")
    expect(page.get_by_test_id("push-device")).to_have_count(1)
    page.get_by_test_id("device-remove").click()
    expect(page.get_by_test_id("push-device")).to_have_count(0)
    with session_scope() as s:
        assert push.devices(session=s, user_id=user_id) == []

    with session_scope() as s:
        user = s.get(User, user_id)
        channel = channels.add(session=s, user=user, kind="webhook", name="Flaky hook",
                               values={"url": "http://127.0.0.1:9/hook"})
        channel_id = channel.id
    with session_scope() as s:
        notes = [centre.add(session=s, user_id=user_id, event=events.TASK_FAILED, task_id=n,
                            project_id=project_id, params={"task_id": n, "project": "Shop",
                                                           "summary": "make test"})
                 for n in (7201, 7202)]
        rows = delivery.plan(session=s, notes=notes, project_id=project_id)
        first, second = [r for r in rows if r.channel_key == channels.key_of(channel_id)]
        for _ in range(3):  # every attempt of the first message fails: failed
            delivery.record_failure(s, [first], "HTTP 500 from the hook")
        for _ in range(2):  # the breaker's fifth failure in a row: paused
            delivery.record_failure(s, [second], "HTTP 500 from the hook")

    page.goto("/notifications/log/")
    log = page.get_by_test_id("delivery")
    expect(log).to_have_count(2)
    expect(page.locator("[data-testid=delivery][data-status=failed]")).to_contain_text(
        "HTTP 500 from the hook")
    expect(page.locator("[data-testid=delivery][data-status=paused]")).to_have_count(1)
    no_hscroll(page)
    screenshot(page, "notify-phone-log")
    page.goto("/notifications/channels/")
    card = page.get_by_test_id("channel").filter(has_text="Flaky hook")
    expect(card.get_by_test_id("channel-paused")).to_be_visible()
    card.get_by_test_id("channel-resume").click()
    expect(card.get_by_test_id("channel-paused")).to_have_count(0)
    with session_scope() as s:
        assert delivery.health_of(s, channels.key_of(channel_id)).paused_at is None

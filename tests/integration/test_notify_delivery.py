"""Deliveries for real: a real redis-server, RQ jobs run by the notify thread, receivers on
loopback (a JSON webhook, an ntfy server stand-in, a real SMTP server, a push service)."""

from __future__ import annotations

import email
import time
from datetime import datetime, timedelta, timezone

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import select

from clawweb.models import Delivery, ProjectRole, TaskStatus
from clawweb.services.notify import channels, delivery, hooks, prefs, push
from tests.services.agent_fixtures import add_member, make_project, make_task, make_user
from tests.support.http_receiver import Receiver
from tests.support.push_service import PushService
from worker import notify_jobs


@pytest.fixture
def quick(monkeypatch, settings):
    from clawweb import settings as settings_mod

    monkeypatch.setenv("CLAWWEB_NOTIFY_GROUP_SECONDS", "2")
    monkeypatch.setenv("CLAWWEB_NOTIFY_RETRY_SECONDS", "1,1")
    monkeypatch.setenv("CLAWWEB_NOTIFY_BREAKER_FAILURES", "5")
    # The receivers here listen on loopback, which channels may reach only when listed.
    monkeypatch.setenv("CLAWWEB_NOTIFY_PRIVATE_HOSTS", "127.0.0.1")
    settings_mod.get_settings.cache_clear()


@pytest.fixture
def thread(quick, redis_url, engine):
    running = notify_jobs.start("itest")
    yield running
    running.stop()


@pytest.fixture
def receiver():
    r = Receiver().start()
    yield r
    r.stop()


@pytest.fixture
def world(session):
    alice, bob = make_user(session, "alice"), make_user(session, "bob")
    project = make_project(session, alice, name="Shop")
    add_member(session, project, bob, ProjectRole.editor)
    return alice, bob, project


def _failed(session, project, user, title="make test"):
    task = make_task(session, project, user, status=TaskStatus.failed, title=title)
    hooks.task_ended(task.id)
    return task


def _rows(session, channel):
    session.expire_all()
    return session.exec(select(Delivery).where(
        Delivery.channel_key == channels.key_of(channel.id)).order_by(Delivery.id)).all()


def _until(cond, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_json_webhook_end_to_end(session, world, thread, receiver):
    alice, _, project = world
    channel = channels.add(session=session, user=alice, kind="webhook",
                           values={"url": receiver.url + "/hooks/clawweb"})
    task = _failed(session, project, alice)
    got = receiver.wait_for(1)[0]
    assert got.path == "/hooks/clawweb" and got.headers["content-type"].startswith(
        "application/json")
    body = got.json()
    assert body["title"] == f"Task #{task.id} failed"
    assert "Shop: make test" in body["message"] and f"/tasks/{task.id}" in body["message"]
    # The receiver answered; the job records it right after.
    _until(lambda: [r.status for r in _rows(session, channel)] == ["sent"])


def test_ntfy_end_to_end(session, world, thread, receiver):
    alice, _, project = world
    channels.add(session=session, user=alice, kind="ntfy",
                 values={"server": receiver.url, "topic": "clawweb-alice"})
    task = _failed(session, project, alice)
    got = receiver.wait_for(1)[0]
    assert got.path in ("", "/") and got.json()["topic"] == "clawweb-alice"
    assert got.json()["title"] == f"Task #{task.id} failed"


class _Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, smtp_session, envelope):  # noqa: N802 - aiosmtpd's name
        self.messages.append(envelope)
        return "250 OK"


def test_email_end_to_end_to_a_real_smtp_server(session, world, thread):
    from tests.support.services import free_port

    inbox = _Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    try:
        alice, _, project = world
        channels.add(session=session, user=alice, kind="email", values={
            "smtp_host": "127.0.0.1", "port": str(smtp.port), "security": "none",
            "sender": "clawweb@example.test", "to": "alice@example.test"})
        task = _failed(session, project, alice)
        deadline = time.monotonic() + 30
        while not inbox.messages and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        smtp.stop()
    envelope = inbox.messages[0]
    assert envelope.rcpt_tos == ["alice@example.test"]
    msg = email.message_from_bytes(envelope.content)
    assert str(email.header.make_header(email.header.decode_header(msg["Subject"]))) == \
        f"Task #{task.id} failed"
    text = "".join(p.get_payload(decode=True).decode() for p in msg.walk()
                   if p.get_content_type() == "text/plain")
    assert f"/tasks/{task.id}" in text


def test_retries_then_the_breaker_pauses_a_failing_channel(session, world, thread, receiver):
    alice, _, project = world
    receiver.status = 500
    channel = channels.add(session=session, user=alice, kind="webhook",
                           values={"url": receiver.url + "/x"})
    _failed(session, project, alice, "first")
    receiver.wait_for(3, timeout=30)  # 3 attempts, 1 s apart
    time.sleep(2.5)
    _failed(session, project, alice, "second")
    receiver.wait_for(5, timeout=30)  # 2 more attempts: 5 failures in a row, paused
    time.sleep(3.5)
    _failed(session, project, alice, "third")
    assert receiver.quiet_for(5) == 0  # a paused channel is not called
    rows = _rows(session, channel)
    assert [(r.status, r.attempts, r.reason) for r in rows] == [
        ("failed", 3, "HTTP 500"), ("paused", 2, "HTTP 500"), ("paused", 0, "channel paused")]
    # Its owner resumes it; the next event goes through.
    receiver.status = 200
    channels.resume(session=session, user=alice, channel_id=channel.id)
    _failed(session, project, alice, "fourth")
    receiver.wait_for(6, timeout=30)
    _until(lambda: _rows(session, channel)[-1].status == "sent")


def test_a_burst_is_one_message_per_channel(session, world, thread, receiver):
    alice, _, project = world
    mine = channels.add(session=session, user=alice, kind="webhook",
                        values={"url": receiver.url + "/mine"})
    team = channels.add(session=session, user=alice, kind="webhook", project_id=project.id,
                        values={"url": receiver.url + "/team"})
    for i in range(20):
        _failed(session, project, alice, f"job {i}")
    receiver.wait_for(2, timeout=30)
    assert receiver.quiet_for(4) == 0
    by_path = {r.path: r.json() for r in receiver.requests}
    assert set(by_path) == {"/mine", "/team"}
    for body in by_path.values():
        assert body["title"] == "20 tasks failed"
        assert "and 15 more" in body["message"]
    for channel in (mine, team):
        rows = _rows(session, channel)
        assert len(rows) == 20 and {r.status for r in rows} == {"sent"}
        assert len({r.group_id or r.id for r in rows}) == 1


def test_the_same_event_reaches_a_channel_once(session, world, thread, receiver):
    alice, _, project = world
    channels.add(session=session, user=alice, kind="webhook",
                 values={"url": receiver.url + "/mine"})
    channels.add(session=session, user=alice, kind="webhook", project_id=project.id,
                 values={"url": receiver.url + "/team"})
    task = _failed(session, project, alice)
    hooks.task_ended(task.id)  # reported again at once (grouping would hide a duplicate)
    receiver.wait_for(2)
    hooks.task_ended(task.id)  # and again after it was sent
    assert receiver.quiet_for(5) == 0
    assert sorted(r.path for r in receiver.requests) == ["/mine", "/team"]


def test_quiet_hours_hold_back_everything_but_approvals(session, world, thread, receiver):
    from clawweb.services import approvals

    alice, _, project = world
    channel = channels.add(session=session, user=alice, kind="webhook",
                           values={"url": receiver.url})
    now = datetime.now(timezone.utc).astimezone(timezone(timedelta(hours=9)))  # Asia/Tokyo
    start, end = (now - timedelta(hours=1)).strftime("%H:%M"), \
        (now + timedelta(hours=1)).strftime("%H:%M")
    prefs.set_quiet_hours(session=session, user=alice, timezone="Asia/Tokyo", start=start,
                          end=end)
    _failed(session, project, alice)
    task = make_task(session, project, alice, status=TaskStatus.awaiting_approval)
    approvals.create_request(session=session, task=task, tool_use_id="t1", tool_name="Bash",
                             tool_input={"command": "rm -rf build"}, timeout_seconds=600)
    got = receiver.wait_for(1)[0]
    assert got.json()["title"] == "Approval needed: Bash"
    assert receiver.quiet_for(3) == 0
    assert sorted(r.status for r in _rows(session, channel)) == ["quiet", "sent"]


def test_push_for_an_approval_then_closed_everywhere_when_decided(session, world, thread):
    from clawweb.services import approvals

    service = PushService().start()
    try:
        alice, bob, project = world
        phone, laptop = service.subscription(), service.subscription()
        push.subscribe(session=session, user=alice, info=phone)
        push.subscribe(session=session, user=alice, info=laptop)
        task = make_task(session, project, alice, status=TaskStatus.awaiting_approval)
        row = approvals.create_request(session=session, task=task, tool_use_id="t1",
                                       tool_name="Bash", tool_input={"command": "npm test"},
                                       timeout_seconds=600)
        shown = service.wait_for(lambda r: len(r) == 2)
        for got in shown:
            payload = got.payload
            assert payload["type"] == "show" and payload["tag"] == f"approval-{row.id}"
            assert payload["url"] == f"/tasks/{task.id}#approval-{row.id}"
            assert [a["action"] for a in payload["actions"]] == ["allow", "deny"]
            assert len(payload["token"]) >= 40
            assert got.headers["urgency"] == "high"
        # One token per user and approval, on each of the user's devices.
        assert shown[0].payload["token"] == shown[1].payload["token"]
        approvals.decide(session=session, user=bob, approval_id=row.id, decision="deny")
        closed = service.wait_for(lambda r: len(r) == 4)[2:]
        assert {c.sub_id for c in closed} == {s["endpoint"].rsplit("/", 1)[1]
                                              for s in (phone, laptop)}
        assert all(c.payload == {"v": 1, "type": "close", "tag": f"approval-{row.id}"}
                   for c in closed)
        assert service.rejected == []
    finally:
        service.stop()


def test_a_real_worker_process_runs_the_deliveries(session, world, quick, redis_url, engine,
                                                   receiver, tmp_path, settings):
    from tests.integration.fleet import Fleet
    from tests.support.services import need_docker

    need_docker()
    alice, _, project = world
    channels.add(session=session, user=alice, kind="webhook", values={"url": receiver.url})
    fleet = Fleet(tmp_path, redis_url, settings.data_dir)
    try:
        fleet.start("notify")
        task = _failed(session, project, alice)
        assert receiver.wait_for(1)[0].json()["title"] == f"Task #{task.id} failed"
    finally:
        fleet.stop()
    assert delivery.rq_queue().count == 0


def test_the_about_to_expire_check_runs_when_its_time_comes(session, world, thread, receiver):
    """The check is an RQ job scheduled for five minutes before expiry; the clock is
    moved by rescheduling that very job to now, then RQ's scheduler in the notify
    thread must enqueue it and the thread run it."""
    from rq.job import Job
    from rq.registry import ScheduledJobRegistry

    from clawweb import redis_conn
    from clawweb.models import Notification
    from clawweb.services import approvals
    from clawweb.services.notify import events

    alice, bob, project = world
    channel = channels.add(session=session, user=alice, kind="webhook",
                           values={"url": receiver.url})
    task = make_task(session, project, alice, status=TaskStatus.awaiting_approval)
    row = approvals.create_request(session=session, task=task, tool_use_id="t1",
                                   tool_name="Bash", tool_input={"command": "npm test"},
                                   timeout_seconds=1800)
    assert receiver.wait_for(1)[0].json()["title"] == "Approval needed: Bash"
    registry = ScheduledJobRegistry(delivery.rq_queue().name, connection=redis_conn.get_redis())
    job_id = f"notify-expiring-{row.id}"
    assert receiver.quiet_for(2) == 0, "the check ran long before its time"
    registry.schedule(Job.fetch(job_id, connection=redis_conn.get_redis()),
                      datetime.now(timezone.utc))

    def expiring():
        session.expire_all()
        return session.exec(select(Notification).where(
            Notification.event == events.APPROVAL_EXPIRING)).all()

    _until(lambda: len(expiring()) == 2, timeout=20)
    assert sorted(n.user_id for n in expiring()) == sorted([alice.id, bob.id])
    got = receiver.wait_for(2)[1].json()
    assert "expire" in got["title"].lower(), got
    _until(lambda: [r.status for r in _rows(session, channel)] == ["sent", "sent"])

"""A user's Web Push paused by the circuit breaker can come back.

Push failures count against ``push:<user id>`` like a chat channel's; a chat
channel is resumed by its owner or a successful "Send test", and so must push
be: enabling notifications on a device again resumes it, and the devices page
shows the pause and offers Resume. Without that, five failed attempts in a row
would silence every push to that person (approvals included) for good.
"""

from __future__ import annotations

import pytest
from sqlmodel import select

from clawweb.models import ChannelHealth, Delivery
from clawweb.services.accounts import auth_sessions
from clawweb.services.notify import delivery, events, push, sender
from tests.services.agent_fixtures import make_user
from tests.support.push_service import PushService
from tests.support.reflex_state import new_state


@pytest.fixture
def service():
    svc = PushService().start()
    yield svc
    svc.stop()


@pytest.fixture
def alice(session, fake_redis, settings):
    return make_user(session, "alice")


def _pause(session, user) -> Delivery:
    """Five failed attempts in a row on the user's push: the breaker opens."""
    row = Delivery(user_id=user.id, channel_key=delivery.push_key(user.id),
                   event=events.TASK_FAILED, event_key="task.failed:task:1",
                   params={"task_id": 1, "project": "shop"}, link="/tasks/1")
    session.add(row)
    session.commit()
    for _ in range(5):
        delivery.record_failure(session, [row], "HTTP 500")
    assert delivery.health_of(session, row.channel_key).paused_at is not None
    return row


def _later(session, user, n: int) -> int:
    row = Delivery(user_id=user.id, channel_key=delivery.push_key(user.id),
                   event=events.TASK_FAILED, event_key=f"task.failed:task:{n}",
                   params={"task_id": n, "project": "shop"}, link=f"/tasks/{n}")
    session.add(row)
    session.commit()
    return row.id


def test_enabling_a_device_again_resumes_a_paused_push(session, alice, service):
    info = service.subscription()
    push.subscribe(session=session, user=alice, info=info)
    _pause(session, alice)
    assert sender.run(_later(session, alice, 2)) == "paused"
    push.subscribe(session=session, user=alice, info=info)  # "Enable notifications" again
    session.expire_all()
    health = session.get(ChannelHealth, delivery.push_key(alice.id))
    assert health is None or (health.paused_at is None and health.failures == 0)
    assert sender.run(_later(session, alice, 3)) == "sent"
    assert [r.payload["title"] for r in service.wait_for(lambda r: len(r) == 1)] == \
        ["Task #3 failed"]


def test_the_devices_page_shows_the_pause_and_resumes_it(session, alice, service):
    from clawweb.state.notify import NotifyState

    push.subscribe(session=session, user=alice, info=service.subscription())
    _pause(session, alice)
    token = auth_sessions.open_session(session=session, user=alice, ip="", user_agent="")
    session.commit()
    _, state = new_state(NotifyState, token)
    NotifyState.event_handlers["load_devices"].fn(state)
    assert state.push_paused is True
    NotifyState.event_handlers["resume_push"].fn(state)
    assert state.push_paused is False
    session.expire_all()
    health = session.get(ChannelHealth, delivery.push_key(alice.id))
    assert health is None or health.paused_at is None
    assert session.exec(select(Delivery.id)).all()  # the log keeps what was missed


def test_the_devices_page_has_the_resume_button_behind_the_pause():
    from clawweb.components.notify_settings import devices

    js = str(devices())
    assert '"push-paused"' in js and '"push-resume"' in js
    assert "resume_push" in js and "push_paused" in js

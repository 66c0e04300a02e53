"""The Web Push routes: subscribing with the session cookie, and deciding an approval
from a notification with its single-use token."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from clawweb.models import (Approval, AuditEvent, ProjectMember, ProjectRole,
                            PushActionToken, PushSubscription, utcnow)
from clawweb.services import approvals
from clawweb.services.accounts import auth_sessions
from clawweb.services.notify import actions
from tests.services.agent_fixtures import make_project, make_task, make_user
from tests.support.push_service import PushService

ORIGIN = "http://127.0.0.1:3000"


@pytest.fixture
def client(engine, fake_redis):
    from clawweb import api

    return TestClient(api.router(), base_url=ORIGIN)


@pytest.fixture
def world(session):
    alice = make_user(session, "alice")
    project = make_project(session, alice)
    task = make_task(session, project, alice, status="awaiting_approval")
    row = approvals.create_request(session=session, task=task, tool_use_id="toolu_1",
                                   tool_name="Bash", tool_input={"command": "npm test"},
                                   timeout_seconds=600)
    token = auth_sessions.open_session(session=session, user=alice, ip="", user_agent="")
    session.commit()
    return alice, project, row, token


def _post(client, path, body, origin=ORIGIN, cookie=""):
    headers = {"Origin": origin} if origin else {}
    if cookie:
        headers["Cookie"] = f"clawweb_session={cookie}"
    return client.post(path, json=body, headers=headers)


def test_subscribing_needs_our_origin_and_a_session(session, client, world):
    alice, _, _, token = world
    service = PushService().start()
    try:
        info = service.subscription()
    finally:
        service.stop()
    assert _post(client, "/api/push/subscribe", info, cookie=token,
                 origin="https://evil.example").status_code == 403
    refused = _post(client, "/api/push/subscribe", info)
    assert refused.status_code == 403 and refused.json()["error"] == "notify.push.signed_out"
    assert session.exec(select(PushSubscription)).all() == []
    ok = _post(client, "/api/push/subscribe", info, cookie=token)
    assert ok.status_code == 200 and ok.json()["ok"]
    rows = session.exec(select(PushSubscription)).all()
    assert [r.user_id for r in rows] == [alice.id]
    bad = _post(client, "/api/push/subscribe", {**info, "endpoint": "http://10.0.0.1/x"},
                cookie=token)
    assert bad.json()["error"] == "notify.push.bad_subscription"
    gone = _post(client, "/api/push/unsubscribe", {"endpoint": info["endpoint"]}, cookie=token)
    assert gone.json() == {"ok": True, "removed": True}
    session.expire_all()
    assert session.exec(select(PushSubscription)).all() == []


def test_the_public_key_is_served(client, world):
    key = client.get("/api/push/key").json()["key"]
    assert len(key) == 87  # 65 bytes, base64url without padding


def _token(session, user, row) -> str:
    raw = actions.issue(session=session, user_id=user.id, approval=row)
    session.commit()
    return raw


def test_the_approve_action_decides_as_that_user_and_is_audited(session, client, world):
    alice, _, row, _ = world
    token = _token(session, alice, row)
    resp = _post(client, "/api/push/action", {"token": token, "action": "allow"})
    assert resp.status_code == 200 and resp.json()["decision"] == "allow"
    session.expire_all()
    decided = session.get(Approval, row.id)
    assert (decided.decision, decided.decided_by) == ("allow", alice.id)
    audit = session.exec(select(AuditEvent).where(AuditEvent.object_type == "approval",
                                                  AuditEvent.object_id == str(row.id))).all()
    assert {(a.action, a.actor_id) for a in audit} >= {("approval.decide", alice.id),
                                                       ("notify.push_action", alice.id)}


def test_a_replayed_token_is_refused(session, client, world):
    alice, project, row, _ = world
    token = _token(session, alice, row)
    assert _post(client, "/api/push/action", {"token": token, "action": "deny"}).json()["ok"]
    again = _post(client, "/api/push/action", {"token": token, "action": "allow"})
    assert again.status_code == 400 and again.json()["error"] == "notify.action.used"
    session.expire_all()
    assert session.get(Approval, row.id).decision == "deny"


def test_a_stale_or_unknown_token_is_refused(session, client, world):
    alice, _, row, _ = world
    token, late = _token(session, alice, row), _token(session, alice, row)
    spent = session.exec(select(PushActionToken).where(
        PushActionToken.token_hash == actions._hash(late))).one()
    spent.expires_at = utcnow() - timedelta(seconds=1)  # it expired with its approval
    session.add(spent)
    session.commit()
    stale = _post(client, "/api/push/action", {"token": late, "action": "allow"})
    assert stale.status_code == 400 and stale.json()["error"] == "notify.action.expired"
    unknown = _post(client, "/api/push/action", {"token": "x" * 43, "action": "allow"})
    assert unknown.json()["error"] == "notify.action.invalid"
    bad_action = _post(client, "/api/push/action", {"token": token, "action": "allow_always"})
    assert bad_action.json()["error"] == "notify.action.invalid"
    approval = session.get(Approval, row.id)
    approval.expires_at = utcnow() - timedelta(seconds=1)  # the approval timed out
    session.add(approval)
    session.commit()
    timed_out = _post(client, "/api/push/action", {"token": token, "action": "allow"})
    assert timed_out.status_code == 400 and timed_out.json()["error"] == "approvals.expired"
    session.expire_all()
    assert session.get(Approval, row.id).decision == ""


def test_a_token_whose_user_lost_the_right_decides_nothing(session, client, world):
    alice, project, row, _ = world
    bob = make_user(session, "bob")
    session.add(ProjectMember(project_id=project.id, user_id=bob.id, role=ProjectRole.editor))
    session.commit()
    token = _token(session, bob, row)
    member = session.exec(select(ProjectMember).where(ProjectMember.user_id == bob.id)).one()
    member.role = ProjectRole.viewer
    session.add(member)
    session.commit()
    resp = _post(client, "/api/push/action", {"token": token, "action": "allow"})
    assert resp.status_code == 403
    session.expire_all()
    assert session.get(Approval, row.id).decision == ""


def test_the_action_route_refuses_other_origins(session, client, world):
    alice, _, row, _ = world
    token = _token(session, alice, row)
    resp = _post(client, "/api/push/action", {"token": token, "action": "allow"},
                 origin="https://evil.example")
    assert resp.status_code == 403
    assert _post(client, "/api/push/action", {"token": token, "action": "allow"}).json()["ok"]

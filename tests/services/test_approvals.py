import json
from datetime import timedelta

import pytest
from sqlmodel import select

from clawweb import streams
from clawweb.models import AgentSettings, Approval, AuditEvent, ProjectRole, Role, utcnow
from clawweb.services import approvals
from clawweb.services.errors import InvalidInput, NotFound, PermissionDenied
from tests.services.agent_fixtures import add_member, make_project, make_task, make_user


@pytest.fixture
def world(session, fake_redis):
    owner, editor, viewer, stranger = (make_user(session, n) for n in ("owner", "ed", "vi", "xx"))
    project = make_project(session, owner)
    add_member(session, project, editor, ProjectRole.editor)
    add_member(session, project, viewer, ProjectRole.viewer)
    task = make_task(session, project, owner)
    row = approvals.create_request(session=session, task=task, tool_use_id="toolu_1",
                                   tool_name="Bash", tool_input={"command": "npm test"},
                                   timeout_seconds=600)
    return dict(owner=owner, editor=editor, viewer=viewer, stranger=stranger, project=project,
                task=task, row=row, redis=fake_redis)


def test_request_is_announced(world):
    entries = world["redis"].xrange(streams.approvals_changes_key())
    assert entries and entries[-1][1][b"approval_id"] == str(world["row"].id).encode()


def test_editor_allows_once_and_worker_gets_answer(session, world):
    approvals.decide(session=session, user=world["editor"], approval_id=world["row"].id,
                     decision="deny", message="not now")
    raw = world["redis"].lpop(streams.approval_answer_key(world["row"].id))
    assert json.loads(raw) == {"decision": "deny", "message": "not now", "rule": ""}
    row = session.get(Approval, world["row"].id)
    assert (row.decision, row.decided_by) == ("deny", world["editor"].id)
    actions = [a.action for a in session.exec(select(AuditEvent))]
    assert "approval.decide" in actions


def test_second_and_replayed_decisions_refused(session, world):
    rid = world["row"].id
    approvals.decide(session=session, user=world["owner"], approval_id=rid, decision="allow")
    for user, decision in ((world["owner"], "allow"), (world["editor"], "deny")):
        with pytest.raises(InvalidInput) as err:
            approvals.decide(session=session, user=user, approval_id=rid, decision=decision)
        assert err.value.key == "approvals.not_pending"
    assert session.get(Approval, rid).decision == "allow"
    assert world["redis"].llen(streams.approval_answer_key(rid)) == 1


def test_viewer_and_foreign_user_refused(session, world):
    rid = world["row"].id
    with pytest.raises(PermissionDenied) as err:
        approvals.decide(session=session, user=world["viewer"], approval_id=rid, decision="allow")
    assert err.value.key == "approvals.viewer"
    with pytest.raises(PermissionDenied):
        approvals.decide(session=session, user=world["stranger"], approval_id=rid, decision="allow")
    assert session.get(Approval, rid).decision == ""
    assert approvals.pending_for(session=session, user=world["stranger"]) == []
    assert approvals.pending_for(session=session, user=world["viewer"]) == []
    assert [r.id for r in approvals.pending_for(session=session, user=world["editor"])] == [rid]
    forbidden = session.exec(select(AuditEvent).where(AuditEvent.action == "approval.forbidden")).all()
    assert len(forbidden) == 2


def test_expired_refused_and_expire_is_final(session, world):
    row = session.get(Approval, world["row"].id)
    row.expires_at = utcnow() - timedelta(seconds=1)
    session.add(row)
    session.commit()
    with pytest.raises(InvalidInput) as err:
        approvals.decide(session=session, user=world["owner"], approval_id=row.id, decision="allow")
    assert err.value.key == "approvals.expired"
    assert approvals.expire(session=session, approval_id=row.id).decision == "expired"


def test_expire_loses_to_an_earlier_decision(session, world):
    rid = world["row"].id
    approvals.decide(session=session, user=world["owner"], approval_id=rid, decision="allow")
    assert approvals.expire(session=session, approval_id=rid).decision == "allow"


def test_allow_always_adds_project_rule(session, world):
    approvals.decide(session=session, user=world["owner"], approval_id=world["row"].id,
                     decision="allow_always")
    assert session.get(AgentSettings, world["project"].id).allowed_tools == ["Bash(npm test)"]


def test_unknown_things_refused(session, world):
    with pytest.raises(InvalidInput):
        approvals.decide(session=session, user=world["owner"], approval_id=world["row"].id,
                         decision="maybe")
    with pytest.raises(NotFound):
        approvals.decide(session=session, user=world["owner"], approval_id=9999, decision="allow")


def test_admin_may_decide(session, world):
    admin = make_user(session, "root", role=Role.admin)
    approvals.decide(session=session, user=admin, approval_id=world["row"].id, decision="allow")


@pytest.mark.parametrize("tool,inp,rule", [
    ("Bash", {"command": "npm test"}, "Bash(npm test)"),
    ("Bash", {"command": "echo $(id)"}, "Bash"),
    ("Edit", {"file_path": "/x"}, "Edit"),
    ("WebFetch", {"url": "https://pypi.org/simple/"}, "WebFetch(domain:pypi.org)"),
])
def test_rule_for(tool, inp, rule):
    assert approvals.rule_for(tool, inp) == rule

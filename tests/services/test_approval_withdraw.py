"""Approvals end with their task: withdrawn (with why), refused afterwards, announced."""

import pytest
from sqlmodel import select

from clawweb import streams
from clawweb.i18n import stored
from clawweb.models import Approval, AuditEvent, ProjectRole, TaskStatus
from clawweb.services import approvals
from clawweb.services.errors import InvalidInput
from tests.services.agent_fixtures import add_member, make_project, make_task, make_user


@pytest.fixture
def world(session, fake_redis):
    owner, editor = make_user(session, "owner"), make_user(session, "ed")
    project = make_project(session, owner)
    add_member(session, project, editor, ProjectRole.editor)
    task = make_task(session, project, owner, status=TaskStatus.awaiting_approval)
    rows = [approvals.create_request(session=session, task=task, tool_use_id=f"toolu_{i}",
                                     tool_name="Bash", tool_input={"command": f"ls {i}"},
                                     timeout_seconds=600) for i in range(2)]
    return dict(owner=owner, editor=editor, task=task, rows=rows, redis=fake_redis)


def test_withdraw_closes_every_open_request_with_its_reason(session, world):
    done = approvals.decide(session=session, user=world["owner"],
                            approval_id=world["rows"][0].id, decision="deny")
    ids = approvals.withdraw_open(session=session, task_id=world["task"].id,
                                  reason="approvals.withdrawn.cancelled")
    assert ids == [world["rows"][1].id]
    session.expire_all()
    assert session.get(Approval, done.id).decision == "deny"  # a decided one stays decided
    row = session.get(Approval, world["rows"][1].id)
    assert row.decision == "withdrawn" and row.decided_at is not None
    assert stored.decode(row.message) == {"key": "approvals.withdrawn.cancelled", "params": {}}
    assert approvals.pending_for(session=session, user=world["owner"]) == []
    audit = session.exec(select(AuditEvent).where(AuditEvent.action == "approval.withdraw")).all()
    assert [a.object_id for a in audit] == [str(row.id)]


def test_withdraw_is_announced_to_live_pages(session, world):
    before = len(world["redis"].xrange(streams.approvals_changes_key()))
    approvals.withdraw_open(session=session, task_id=world["task"].id,
                            reason="approvals.withdrawn.interrupted")
    entries = world["redis"].xrange(streams.approvals_changes_key())[before:]
    assert {(e[b"approval_id"], e[b"state"]) for _, e in entries} == {
        (str(r.id).encode(), b"withdrawn") for r in world["rows"]}


def test_a_late_decision_on_a_withdrawn_request_is_refused(session, world):
    approvals.withdraw_open(session=session, task_id=world["task"].id,
                            reason="approvals.withdrawn.cancelled")
    for decision in ("allow", "allow_always", "deny"):
        with pytest.raises(InvalidInput) as err:
            approvals.decide(session=session, user=world["editor"],
                             approval_id=world["rows"][0].id, decision=decision)
        assert err.value.key == "approvals.withdrawn"
    assert world["redis"].llen(streams.approval_answer_key(world["rows"][0].id)) == 0


def test_a_decision_after_the_task_ended_is_refused_even_if_still_open(session, world):
    task = world["task"]
    task.status = TaskStatus.cancelled
    session.add(task)
    session.commit()
    with pytest.raises(InvalidInput) as err:
        approvals.decide(session=session, user=world["owner"],
                         approval_id=world["rows"][0].id, decision="allow")
    assert err.value.key == "approvals.task_ended"
    assert approvals.pending_for(session=session, user=world["editor"]) == []  # off the banner
    assert session.get(Approval, world["rows"][0].id).decision == ""


def test_withdraw_of_a_task_with_nothing_open_does_nothing(session, world):
    for row in world["rows"]:
        approvals.decide(session=session, user=world["owner"], approval_id=row.id,
                         decision="allow")
    assert approvals.withdraw_open(session=session, task_id=world["task"].id,
                                   reason="approvals.withdrawn.finished") == []


def test_a_decision_after_a_cancel_was_asked_for_is_refused(session, world):
    task = world["task"]
    task.cancel_requested_by = world["owner"].id  # the worker is stopping the run
    session.add(task)
    session.commit()
    with pytest.raises(InvalidInput) as err:
        approvals.decide(session=session, user=world["editor"],
                         approval_id=world["rows"][0].id, decision="allow")
    assert err.value.key == "approvals.task_ended"
    assert approvals.pending_for(session=session, user=world["editor"]) == []  # off the banner

"""Audit log: secrets never stored, flags readable, search filters."""

from __future__ import annotations

from clawweb.models import Role, User
from clawweb.services import audit


def test_secrets_are_redacted_but_flags_are_not(session):
    actor = User(username="root", role=Role.admin, password_hash="!")
    session.add(actor)
    session.flush()
    event = audit.record(
        session=session, actor=actor, action="user.update", object_type="user", object_id=1,
        before={"password_hash": "$argon2id$abc", "must_change_password": True,
                "nested": {"api_key": "sk-ant-123", "name": "x"}},
        after={"token": "raw-token", "role": Role.member, "new_password": "hunter2hunter2"},
        ip="10.0.0.1")
    session.commit()
    assert event.before["password_hash"] == audit.REDACTED
    assert event.before["must_change_password"] is True
    assert event.before["nested"] == {"api_key": audit.REDACTED, "name": "x"}
    assert event.after == {"token": audit.REDACTED, "role": "member",
                           "new_password": audit.REDACTED}
    dumped = repr(session.get(type(event), event.id).model_dump())
    for secret in ("$argon2id$abc", "sk-ant-123", "raw-token", "hunter2hunter2"):
        assert secret not in dumped


def test_search_filters_and_pages_newest_first(session):
    for i in range(5):
        audit.record(session=session, actor=None, actor_name="system",
                     action="project.create" if i % 2 else "user.create",
                     object_type="project" if i % 2 else "user", object_id=i)
    session.commit()
    newest = audit.search(session=session, limit=2)
    assert [e.object_id for e in newest] == ["4", "3"]
    older = audit.search(session=session, limit=10, before_id=newest[-1].id)
    assert [e.object_id for e in older] == ["2", "1", "0"]
    assert {e.action for e in audit.search(session=session, action_prefix="project.")} == \
        {"project.create"}
    assert [e.object_id for e in audit.search(session=session, object_type="user")] == \
        ["4", "2", "0"]

"""Personal API tokens (clawweb/services/accounts/api_tokens.py): shown once, stored hashed,
scoped, optionally bound to one project, expiring, revocable, never more than the
user has today."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlmodel import select

from clawweb.models import (ApiToken, AuditEvent, Project, ProjectMember, ProjectRole, Role,
                            User, utcnow)
from clawweb.services import audit
from clawweb.services.accounts import api_tokens
from clawweb.services.errors import InvalidInput, NotFound, PermissionDenied


@pytest.fixture
def world(session):
    users = {n: User(username=n, role=Role.admin if n == "root" else Role.member)
             for n in ("alice", "bob", "root")}
    session.add_all(users.values())
    mine, theirs = Project(name="Mine", slug="mine"), Project(name="Theirs", slug="theirs")
    session.add_all([mine, theirs])
    session.flush()
    session.add(ProjectMember(project_id=mine.id, user_id=users["alice"].id,
                              role=ProjectRole.editor))
    session.add(ProjectMember(project_id=theirs.id, user_id=users["bob"].id,
                              role=ProjectRole.owner))
    session.commit()
    return users, mine, theirs


def _create(session, user, **kw):
    kw.setdefault("name", "laptop")
    kw.setdefault("scopes", ["read", "tasks"])
    row, raw = api_tokens.create_token(session=session, user=user, ip="10.1.1.1", **kw)
    session.commit()
    return row, raw


def test_a_token_is_stored_only_as_its_hash_and_shown_once(session, world):
    users, *_ = world
    row, raw = _create(session, users["alice"])
    assert raw.startswith(api_tokens.TOKEN_PREFIX) and len(raw) >= 40
    stored = session.exec(select(ApiToken)).one()
    assert stored.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in repr(stored.model_dump())
    assert raw.startswith(stored.prefix) and len(stored.prefix) < len(raw) // 2
    # The audit log names the token, never its value.
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "api_token.create")).one()
    assert event.object_id == str(row.id) and raw not in repr(event.model_dump())


def test_authenticate_finds_the_user_and_records_use(session, world):
    users, *_ = world
    row, raw = _create(session, users["alice"])
    found = api_tokens.authenticate(session=session, raw=raw, ip="192.0.2.9")
    session.commit()
    assert found is not None and found[0].id == users["alice"].id and found[1].id == row.id
    session.refresh(row)
    assert row.last_used_ip == "192.0.2.9" and row.last_used_at is not None
    assert api_tokens.authenticate(session=session, raw=raw + "x", ip="") is None
    assert api_tokens.authenticate(session=session, raw="", ip="") is None


@pytest.mark.parametrize("case", ["revoked", "expired", "disabled"])
def test_a_revoked_expired_or_disabled_token_authenticates_nobody(session, world, case):
    users, *_ = world
    row, raw = _create(session, users["alice"], expires_days=7)
    if case == "revoked":
        api_tokens.revoke(session=session, actor=users["alice"], token_id=row.id)
    elif case == "expired":
        row.expires_at = utcnow() - timedelta(seconds=1)
        session.add(row)
    else:
        users["alice"].disabled = True
        session.add(users["alice"])
    session.commit()
    assert api_tokens.authenticate(session=session, raw=raw, ip="") is None


def test_scopes_are_checked_and_admin_is_for_admins(session, world):
    users, *_ = world
    for bad in ([], ["read", "root"], ["READ"]):
        with pytest.raises(InvalidInput):
            _create(session, users["alice"], scopes=bad)
    with pytest.raises(PermissionDenied):
        _create(session, users["alice"], scopes=["admin"])
    row, _ = _create(session, users["root"], scopes=["tasks", "admin", "read", "tasks"])
    assert row.scopes == ["read", "tasks", "admin"]


def test_a_project_restriction_needs_a_project_the_user_can_see(session, world):
    users, mine, theirs = world
    with pytest.raises(NotFound):
        _create(session, users["alice"], project_id=theirs.id)
    row, _ = _create(session, users["alice"], project_id=mine.id)
    assert row.project_id == mine.id


def test_expiry_is_one_of_the_offered_lengths(session, world):
    users, *_ = world
    with pytest.raises(InvalidInput):
        _create(session, users["alice"], expires_days=3)
    row, _ = _create(session, users["alice"], expires_days=30)
    assert timedelta(days=29, hours=23) < row.expires_at - utcnow() <= timedelta(days=30)
    assert _create(session, users["alice"], expires_days=None)[0].expires_at is None


def test_names_are_required_and_bounded(session, world):
    users, *_ = world
    for bad in ("", "   ", "x" * (api_tokens.MAX_NAME + 1)):
        with pytest.raises(InvalidInput):
            _create(session, users["alice"], name=bad)


def test_the_number_of_tokens_per_user_is_bounded(session, world, monkeypatch):
    users, *_ = world
    monkeypatch.setattr(api_tokens, "MAX_TOKENS_PER_USER", 2)
    _create(session, users["alice"])
    _create(session, users["alice"])
    with pytest.raises(InvalidInput):
        _create(session, users["alice"])


def test_only_the_owner_or_an_admin_revokes_and_lists(session, world):
    users, *_ = world
    row, raw = _create(session, users["alice"])
    other, _ = _create(session, users["bob"])
    with pytest.raises(PermissionDenied):
        api_tokens.revoke(session=session, actor=users["bob"], token_id=row.id)
    with pytest.raises(NotFound):
        api_tokens.revoke(session=session, actor=users["bob"], token_id=999)
    assert [t.id for t in api_tokens.list_own(session=session, user=users["alice"])] == [row.id]
    with pytest.raises(PermissionDenied):
        api_tokens.list_all(session=session, actor=users["alice"])
    assert {t.id for t, _ in api_tokens.list_all(session=session, actor=users["root"])} == \
        {row.id, other.id}
    api_tokens.revoke(session=session, actor=users["root"], token_id=row.id, ip="10.0.0.2")
    session.commit()
    assert api_tokens.authenticate(session=session, raw=raw, ip="") is None
    assert api_tokens.list_own(session=session, user=users["alice"]) == []
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "api_token.revoke")).one()
    assert (event.actor_id, event.object_id) == (users["root"].id, str(row.id))


def test_without_the_admin_scope_an_admin_acts_as_a_member(session, world):
    users, *_ = world
    plain, _ = _create(session, users["root"], scopes=["read"])
    full, _ = _create(session, users["root"], scopes=["read", "admin"])
    acting = api_tokens.acting_user(users["root"], plain)
    assert acting.role == Role.member and acting.id == users["root"].id
    assert api_tokens.acting_user(users["root"], full).role == Role.admin
    session.refresh(users["root"])
    assert users["root"].role == Role.admin  # the stored user is untouched
    # Demoted today: the admin scope grants nothing any more.
    users["root"].role = Role.member
    assert api_tokens.acting_user(users["root"], full).role == Role.member


def test_deleting_a_project_deletes_the_tokens_bound_to_it(session, world):
    from clawweb.services.projects import deletion as projects

    users, mine, _ = world
    owner = users["root"]
    row, raw = _create(session, users["alice"], project_id=mine.id)
    token_id = row.id
    projects.delete_project(session=session, user=owner, project_id=mine.id,
                            confirm_name="Mine")
    session.expunge_all()
    assert session.get(ApiToken, token_id) is None
    assert api_tokens.authenticate(session=session, raw=raw, ip="") is None


def test_audit_rows_carry_the_token_of_the_api_call(session, world):
    users, *_ = world
    row, _ = _create(session, users["alice"])
    reset = audit.API_TOKEN.set(row.id)
    try:
        audit.record(session=session, actor=users["alice"], action="task.submit")
    finally:
        audit.API_TOKEN.reset(reset)
    audit.record(session=session, actor=users["alice"], action="task.cancel")
    session.commit()
    got = {e.action: e.api_token_id for e in session.exec(select(AuditEvent))}
    assert got["task.submit"] == row.id and got["task.cancel"] is None

"""Sign-in sessions (clawweb/services/accounts/auth_sessions.py)."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from passlib.context import CryptContext
from sqlmodel import select

from clawweb.models import AuditEvent, AuthSession, Role, User, utcnow
from clawweb.services.accounts import auth_sessions, passwords
from clawweb.services.errors import InvalidInput, NotFound, PermissionDenied, Unavailable

pytestmark = pytest.mark.usefixtures("fast_hashing", "fake_redis")

PW = "violet-tractor-sings"


def make_user(session, name="alice", role=Role.member, password=PW, **kw):
    user = User(username=name, role=role,
                password_hash=passwords.hash_password(password) if password else "", **kw)
    session.add(user)
    session.commit()
    return user


def sign_in(session, username="alice", password=PW, ip="10.0.0.1"):
    return auth_sessions.sign_in(session=session, username=username, password=password,
                                 ip=ip, user_agent="pytest-phone")


def failure_key(session, **kw):
    with pytest.raises(InvalidInput) as err:
        sign_in(session, **kw)
    session.rollback()  # what session_scope does on the error
    return err.value.key, err.value.params


def test_sign_in_stores_only_the_token_hash(session):
    user = make_user(session)
    got, token = sign_in(session)
    session.commit()
    assert got.id == user.id
    assert len(token) >= 43  # 32 random bytes, URL-safe base64
    row = session.exec(select(AuthSession)).one()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest() != token
    assert (row.user_agent, row.ip) == ("pytest-phone", "10.0.0.1")
    assert row.expires_at - row.created_at == timedelta(days=30)


def test_sign_in_matches_username_in_any_case_and_spacing(session):
    make_user(session, name="Alice")
    user, _ = sign_in(session, username="  aLICE ")
    assert user.username == "Alice"


def test_every_sign_in_gets_a_new_token(session):
    make_user(session)
    tokens = {sign_in(session)[1] for _ in range(3)}
    session.commit()
    assert len(tokens) == 3
    assert len(session.exec(select(AuthSession)).all()) == 3


@pytest.fixture
def verify_calls(monkeypatch):
    calls = []
    real = CryptContext.verify

    def spy(self, secret, hash, **kw):
        calls.append(hash)
        return real(self, secret, hash, **kw)

    monkeypatch.setattr(CryptContext, "verify", spy)
    return calls


@pytest.mark.parametrize("case", ["unknown", "disabled", "wrong", "invited", "too_long"])
def test_failures_look_alike(session, verify_calls, case):
    make_user(session, name="alice")
    make_user(session, name="dora", disabled=True)
    make_user(session, name="ivy", password="")  # invited, no password yet
    username, password = {
        "unknown": ("nobody", PW), "disabled": ("dora", PW), "wrong": ("alice", PW + "x"),
        "invited": ("ivy", ""), "too_long": ("x" * 500, PW),
    }[case]
    verify_calls.clear()
    assert failure_key(session, username=username, password=password) == \
        ("auth.invalid_credentials", {})
    # The same work either way: exactly one argon2 verification.
    assert len(verify_calls) == 1 and verify_calls[0].startswith("$argon2id$")


def test_failure_is_audited_without_the_password_and_survives_rollback(session):
    make_user(session)
    failure_key(session, username="alice", password="secret-guess-123")
    failure_key(session, username="ghost", password="secret-guess-456")
    events = session.exec(select(AuditEvent).where(
        AuditEvent.action == "auth.sign_in_failed").order_by(AuditEvent.id)).all()
    assert [(e.actor_name, e.detail) for e in events] == \
        [("alice", "bad_password"), ("ghost", "unknown_user")]
    dump = repr([e.model_dump() for e in session.exec(select(AuditEvent)).all()])
    assert "secret-guess" not in dump


def test_success_is_audited(session):
    user = make_user(session)
    sign_in(session)
    session.commit()
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "auth.sign_in")).one()
    assert (event.actor_id, event.ip) == (user.id, "10.0.0.1")


def test_lockout_is_the_same_for_existing_and_unknown_accounts(session):
    make_user(session)
    for name in ("alice", "ghost"):
        for _ in range(5):
            failure_key(session, username=name, password="wrong-password-1")
    locked = [failure_key(session, username=n, ip="10.0.0.2") for n in ("alice", "ghost")]
    assert locked == [("auth.locked", {"minutes": 15})] * 2
    actions = [e.action for e in session.exec(select(AuditEvent))]
    assert actions.count("auth.lockout") == 2


def test_success_resets_the_account_counter(session):
    make_user(session)
    for _ in range(4):
        failure_key(session, password="wrong-password-1")
    sign_in(session)
    for _ in range(4):
        failure_key(session, password="wrong-password-1")
    sign_in(session)  # 8 failures in all, never 5 in a row: not locked


def test_redis_down_refuses_sign_in(session, fake_redis):
    make_user(session)
    fake_redis.connection_pool.connection_kwargs["server"].connected = False
    with pytest.raises(Unavailable):
        sign_in(session)


def test_weaker_hash_is_upgraded_on_sign_in(session, monkeypatch):
    from clawweb import settings as settings_mod

    user = make_user(session)  # fast (weak) parameters
    monkeypatch.setenv("CLAWWEB_PASSWORD_HASH_FAST", "0")
    settings_mod.get_settings.cache_clear()
    sign_in(session)
    assert "m=65536" in user.password_hash and passwords.verify_password(PW, user.password_hash)


def test_resolve(session):
    user = make_user(session)
    _, token = sign_in(session)
    session.commit()
    found_user, row = auth_sessions.resolve(session=session, token=token)
    assert found_user.id == user.id and row.user_id == user.id
    assert auth_sessions.resolve(session=session, token=token + "x") is None
    assert auth_sessions.resolve(session=session, token="") is None


def test_resolve_refuses_expired_revoked_and_disabled(session):
    user = make_user(session)
    tokens = [sign_in(session)[1] for _ in range(3)]
    session.commit()
    rows = {r.token_hash: r for r in session.exec(select(AuthSession))}
    expired = rows[auth_sessions.hash_token(tokens[0])]
    expired.expires_at = utcnow() - timedelta(seconds=1)
    rows[auth_sessions.hash_token(tokens[1])].revoked_at = utcnow()
    session.commit()
    assert auth_sessions.resolve(session=session, token=tokens[0]) is None
    assert auth_sessions.resolve(session=session, token=tokens[1]) is None
    assert auth_sessions.resolve(session=session, token=tokens[2]) is not None
    user.disabled = True
    session.commit()
    assert auth_sessions.resolve(session=session, token=tokens[2]) is None


def test_resolve_touches_last_seen_at_most_once_a_minute(session):
    make_user(session)
    _, token = sign_in(session)
    session.commit()
    _, row = auth_sessions.resolve(session=session, token=token)
    first = row.last_seen_at
    auth_sessions.resolve(session=session, token=token)
    assert row.last_seen_at == first
    row.last_seen_at = first - timedelta(minutes=2)
    session.commit()
    auth_sessions.resolve(session=session, token=token, touch=False)
    assert row.last_seen_at == first - timedelta(minutes=2)
    auth_sessions.resolve(session=session, token=token)
    assert row.last_seen_at > first - timedelta(seconds=5)


def test_sign_out_makes_the_token_useless_and_is_audited(session):
    make_user(session)
    _, token = sign_in(session)
    _, other = sign_in(session)
    session.commit()
    auth_sessions.sign_out(session=session, token=token, ip="10.0.0.5")
    session.commit()
    assert auth_sessions.resolve(session=session, token=token) is None
    assert auth_sessions.resolve(session=session, token=other) is not None
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "auth.sign_out")).one().ip \
        == "10.0.0.5"
    auth_sessions.sign_out(session=session, token=token)  # twice: harmless
    auth_sessions.sign_out(session=session, token="unknown")


def test_list_sessions_newest_first_active_only(session):
    user = make_user(session)
    make_user(session, name="bob")
    tokens = [sign_in(session)[1] for _ in range(3)]
    sign_in(session, username="bob")
    session.commit()
    rows = session.exec(select(AuthSession).where(AuthSession.user_id == user.id)
                        .order_by(AuthSession.id)).all()
    for i, row in enumerate(rows):
        row.created_at = utcnow() - timedelta(hours=10 - i)
    auth_sessions.sign_out(session=session, token=tokens[0])
    session.commit()
    listed = auth_sessions.list_sessions(session=session, user=user)
    assert [r.id for r in listed] == [rows[2].id, rows[1].id]


def test_revoke_own_or_as_admin_only(session):
    alice = make_user(session)
    bob = make_user(session, name="bob")
    admin = make_user(session, name="root", role=Role.admin)
    _, alice_token = sign_in(session)
    _, bob_token = sign_in(session, username="bob")
    session.commit()
    alice_row = auth_sessions.resolve(session=session, token=alice_token)[1]
    bob_row = auth_sessions.resolve(session=session, token=bob_token)[1]
    with pytest.raises(PermissionDenied):
        auth_sessions.revoke(session=session, actor=bob, session_id=alice_row.id)
    with pytest.raises(NotFound):
        auth_sessions.revoke(session=session, actor=bob, session_id=99999)
    assert auth_sessions.resolve(session=session, token=alice_token) is not None
    auth_sessions.revoke(session=session, actor=bob, session_id=bob_row.id)
    auth_sessions.revoke(session=session, actor=admin, session_id=alice_row.id, ip="1.2.3.4")
    session.commit()
    assert auth_sessions.resolve(session=session, token=alice_token) is None
    assert auth_sessions.resolve(session=session, token=bob_token) is None
    revokes = session.exec(select(AuditEvent).where(AuditEvent.action == "auth.revoke")).all()
    assert sorted(e.actor_id for e in revokes) == sorted([bob.id, admin.id])


def test_revoke_all_keeps_the_exception(session):
    user = make_user(session)
    tokens = [sign_in(session)[1] for _ in range(3)]
    session.commit()
    keep = auth_sessions.resolve(session=session, token=tokens[0])[1]
    assert auth_sessions.revoke_all(session=session, user_id=user.id, except_id=keep.id) == 2
    session.commit()
    assert [auth_sessions.resolve(session=session, token=t) is not None for t in tokens] == \
        [True, False, False]

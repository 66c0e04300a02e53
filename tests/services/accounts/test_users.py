"""User accounts (clawweb/services/accounts/users.py)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from clawweb.i18n import known, messages
from clawweb.models import AuditEvent, Invite, Role, User, utcnow
from clawweb.services.accounts import auth_sessions, passwords, profile, throttle, users as accounts
from clawweb.services.errors import InvalidInput, PermissionDenied

pytestmark = pytest.mark.usefixtures("fast_hashing", "fake_redis")

PW = "violet-tractor-sings"
NEW_PW = "orange-submarine-hums"


def make_user(session, name, role=Role.member, password=PW, **kw):
    user = User(username=name, role=role, password_hash=passwords.hash_password(password), **kw)
    session.add(user)
    session.commit()
    return user


@pytest.fixture
def admin(session):
    return make_user(session, "root", Role.admin)


@pytest.fixture
def member(session):
    return make_user(session, "mallory")


def sign_in(session, username, password):
    user, token = auth_sessions.sign_in(session=session, username=username, password=password,
                                        ip="10.0.0.1", user_agent="t")
    session.commit()
    return token


def key_of(fn, **kw):
    with pytest.raises(InvalidInput) as err:
        fn(**kw)
    return err.value.key


def audits(session, action):
    return session.exec(select(AuditEvent).where(AuditEvent.action == action)).all()


ADMIN_OPS = [
    lambda s, a, t: accounts.list_users(session=s, actor=a),
    lambda s, a, t: accounts.create_user(session=s, actor=a, username="newbie"),
    lambda s, a, t: accounts.set_disabled(session=s, actor=a, user_id=t.id, disabled=True),
    lambda s, a, t: accounts.set_role(session=s, actor=a, user_id=t.id, role=Role.admin),
    lambda s, a, t: accounts.reset_password(session=s, actor=a, user_id=t.id),
]


@pytest.mark.parametrize("op", ADMIN_OPS)
def test_admin_operations_refuse_members(session, admin, member, op):
    victim = make_user(session, "victim")
    before = victim.model_dump()
    with pytest.raises(PermissionDenied):
        op(session, member, victim)
    session.rollback()
    assert session.get(User, victim.id).model_dump() == before
    assert session.exec(select(User).where(User.username == "newbie")).first() is None
    op(session, admin, victim)  # the same call as an admin goes through


def test_disabled_admin_is_refused_too(session, admin, member):
    admin.disabled = True
    with pytest.raises(PermissionDenied):
        accounts.list_users(session=session, actor=admin)


def test_create_with_one_time_password(session, admin):
    user, otp = accounts.create_user(session=session, actor=admin, username="Bob",
                                     display_name="Bob B.", ip="10.0.0.9")
    session.commit()
    assert user.must_change_password and user.role == Role.member
    assert passwords.verify_password(otp, user.password_hash)
    sign_in(session, "bob", otp)
    event = audits(session, "user.create")[0]
    assert event.after["username"] == "Bob" and event.ip == "10.0.0.9"
    assert "password_hash" not in event.after and otp not in repr(event.model_dump())


@pytest.mark.parametrize("name", ["ab", "x" * 65, "bad name", "semi;colon", "ünïcode", "a/b", ""])
def test_invalid_usernames(session, admin, name):
    assert key_of(accounts.create_user, session=session, actor=admin, username=name) == \
        "accounts.username_invalid"


def test_usernames_are_unique_ignoring_case(session, admin):
    accounts.create_user(session=session, actor=admin, username="Carol.Q-1_x")
    assert key_of(accounts.create_user, session=session, actor=admin, username="carol.q-1_X") \
        == "accounts.username_taken"


def test_create_rejects_bad_mode_and_role(session, admin):
    assert key_of(accounts.create_user, session=session, actor=admin, username="dave",
                  mode="magic") == "accounts.mode_invalid"
    assert key_of(accounts.create_user, session=session, actor=admin, username="dave",
                  role="god") == "accounts.role_invalid"


def test_invite_flow(session, admin):
    user, token = accounts.create_user(session=session, actor=admin, username="erin",
                                       mode="invite")
    session.commit()
    invite = session.exec(select(Invite)).one()
    assert invite.token_hash == auth_sessions.hash_token(token) != token
    assert timedelta(days=6, hours=23) < invite.expires_at - utcnow() <= timedelta(days=7)
    assert user.password_hash == ""
    with pytest.raises(InvalidInput):
        sign_in(session, "erin", "")
    session.rollback()
    assert key_of(accounts.accept_invite, session=session, token=token,
                  password="short") == "auth.password_too_short"
    accepted = accounts.accept_invite(session=session, token=token, password=NEW_PW)
    session.commit()
    assert accepted.id == user.id and not accepted.must_change_password
    sign_in(session, "erin", NEW_PW)
    assert key_of(accounts.accept_invite, session=session, token=token,
                  password="another-fine-password") == "accounts.invite_invalid"
    assert audits(session, "user.invite_accept")


def test_expired_or_unknown_invite_is_refused(session, admin):
    _, token = accounts.create_user(session=session, actor=admin, username="fred", mode="invite")
    session.exec(select(Invite)).one().expires_at = utcnow() - timedelta(seconds=1)
    session.commit()
    for t in (token, "made-up-token", ""):
        assert key_of(accounts.accept_invite, session=session, token=t, password=NEW_PW) == \
            "accounts.invite_invalid"


def test_disable_revokes_sessions_and_is_audited(session, admin, member):
    token = sign_in(session, "mallory", PW)
    with pytest.raises(InvalidInput) as err:
        accounts.set_disabled(session=session, actor=admin, user_id=admin.id, disabled=True)
    assert err.value.key == "accounts.cannot_disable_self"
    accounts.set_disabled(session=session, actor=admin, user_id=member.id, disabled=True)
    session.commit()
    assert auth_sessions.resolve(session=session, token=token) is None
    # The session row itself is revoked, so re-enabling does not revive it.
    accounts.set_disabled(session=session, actor=admin, user_id=member.id, disabled=False)
    session.commit()
    assert auth_sessions.resolve(session=session, token=token) is None
    event = audits(session, "user.disable")[0]
    assert (event.before["disabled"], event.after["disabled"]) == (False, True)
    assert audits(session, "user.enable")


def test_never_zero_enabled_admins(session, admin):
    assert key_of(accounts.set_role, session=session, actor=admin, user_id=admin.id,
                  role=Role.member) == "accounts.last_admin"
    other = make_user(session, "root2", Role.admin)
    accounts.set_role(session=session, actor=admin, user_id=admin.id, role="member")
    session.commit()
    assert admin.role == Role.member
    assert key_of(accounts.set_role, session=session, actor=other, user_id=other.id,
                  role=Role.member) == "accounts.last_admin"


def test_disabled_admins_do_not_count(session, admin):
    make_user(session, "root2", Role.admin, disabled=True)
    assert key_of(accounts.set_role, session=session, actor=admin, user_id=admin.id,
                  role=Role.member) == "accounts.last_admin"


def test_set_role_is_audited_and_validated(session, admin, member):
    accounts.set_role(session=session, actor=admin, user_id=member.id, role=Role.admin)
    event = audits(session, "user.role")[0]
    assert (event.before["role"], event.after["role"]) == ("member", "admin")
    assert key_of(accounts.set_role, session=session, actor=admin, user_id=member.id,
                  role="owner") == "accounts.role_invalid"


def test_reset_password(session, admin, member, fake_redis):
    token = sign_in(session, "mallory", PW)
    _, invite_token = accounts.create_user(session=session, actor=admin, username="gina",
                                           mode="invite")
    gina = session.exec(select(User).where(User.username == "gina")).one()
    for _ in range(5):
        throttle.record_failure("mallory", "")
    otp = accounts.reset_password(session=session, actor=admin, user_id=member.id)
    accounts.reset_password(session=session, actor=admin, user_id=gina.id)
    session.commit()
    assert member.must_change_password
    assert auth_sessions.resolve(session=session, token=token) is None
    assert not passwords.verify_password(PW, member.password_hash)
    sign_in(session, "mallory", otp)  # also proves the lockout was lifted
    assert key_of(accounts.accept_invite, session=session, token=invite_token,
                  password=NEW_PW) == "accounts.invite_invalid"
    assert len(audits(session, "user.password_reset")) == 2


def test_change_own_password(session, member):
    keep = sign_in(session, "mallory", PW)
    other = sign_in(session, "mallory", PW)
    keep_id = auth_sessions.resolve(session=session, token=keep)[1].id
    member.must_change_password = True
    assert key_of(profile.change_own_password, session=session, user=member,
                  current="wrong-password-x", new=NEW_PW) == "accounts.current_password_wrong"
    assert key_of(profile.change_own_password, session=session, user=member, current=PW,
                  new=PW) == "accounts.password_unchanged"
    assert key_of(profile.change_own_password, session=session, user=member, current=PW,
                  new="qwertyuiop") == "auth.password_common"
    profile.change_own_password(session=session, user=member, current=PW, new=NEW_PW,
                                 keep_session_id=keep_id)
    session.commit()
    assert not member.must_change_password
    assert passwords.verify_password(NEW_PW, member.password_hash)
    assert auth_sessions.resolve(session=session, token=keep) is not None
    assert auth_sessions.resolve(session=session, token=other) is None
    assert audits(session, "user.password_change")


def test_guessing_the_current_password_locks_out(session, member):
    for _ in range(5):
        key_of(profile.change_own_password, session=session, user=member,
               current="wrong-password-x", new=NEW_PW)
    assert key_of(profile.change_own_password, session=session, user=member, current=PW,
                  new=NEW_PW) == "auth.locked"


def test_language_and_display_name(session, member):
    for lang in ("zh", "en", ""):
        profile.set_language(session=session, user=member, language=lang)
        assert member.language == lang
    assert key_of(profile.set_language, session=session, user=member, language="fr") == \
        "accounts.language_invalid"
    profile.set_display_name(session=session, user=member, display_name="  Mal 🦊 ")
    assert member.display_name == "Mal 🦊"
    for bad in ("x" * 101, "line\nbreak", "\x1b[31mred"):
        assert key_of(profile.set_display_name, session=session, user=member,
                      display_name=bad) == "accounts.display_name_invalid"
    assert len(audits(session, "user.language")) == 3 and audits(session, "user.display_name")


def test_list_users_sorted(session, admin, member):
    make_user(session, "Alpha")
    assert [u.username for u in accounts.list_users(session=session, actor=admin)] == \
        ["Alpha", "mallory", "root"]


def test_audit_never_holds_a_hash(session, admin, member):
    accounts.reset_password(session=session, actor=admin, user_id=member.id)
    accounts.set_role(session=session, actor=admin, user_id=member.id, role=Role.admin)
    session.commit()
    dump = repr([e.model_dump() for e in session.exec(select(AuditEvent))])
    assert "$argon2" not in dump and member.password_hash not in dump


SERVICES = ["passwords", "users", "auth_sessions", "throttle", "setup"]


def test_every_key_these_services_raise_is_in_the_catalog():
    root = Path(accounts.__file__).parent
    keys = set()
    for name in SERVICES:
        keys |= set(re.findall(r'Invalid\w*\(\s*"([a-z_]+\.[a-z_.]+)"', (root / f"{name}.py")
                               .read_text()))
    assert len(keys) > 15  # the scan really found them
    catalog = messages()
    missing = sorted(k for k in keys if not known(k))
    assert missing == []
    for key in keys:
        en, zh = catalog.get(key) or catalog[key + "#other"]
        assert en and zh and en != zh

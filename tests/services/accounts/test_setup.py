"""First-run setup (clawweb/services/accounts/setup.py)."""

from __future__ import annotations

import re
import stat

import pytest
from sqlmodel import select

from clawweb.models import AuditEvent, Role, User
from clawweb.services.accounts import auth_sessions, passwords, setup
from clawweb.services.errors import InvalidInput, Unavailable

pytestmark = pytest.mark.usefixtures("fast_hashing", "fake_redis")

PW = "violet-tractor-sings"


def create(session, code, username="admin", password=PW, ip="10.0.0.1"):
    return setup.create_first_admin(session=session, code=code, username=username,
                                    password=password, ip=ip)


def refused(session, code, **kw):
    with pytest.raises(InvalidInput) as err:
        create(session, code, **kw)
    session.rollback()
    return err.value.key


def test_code_file_is_private_random_and_stable(session):
    code = setup.ensure_setup_code(session=session)
    path = setup.setup_code_path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert re.fullmatch(r"([A-Z2-7]{4}-){7}[A-Z2-7]{4}", code)  # 32 base32 chars = 160 bits
    assert setup.ensure_setup_code(session=session) == code  # restarts print the same code
    path.unlink()
    assert setup.ensure_setup_code(session=session) != code


def test_loose_file_mode_is_tightened(session):
    setup.ensure_setup_code(session=session)
    setup.setup_code_path().chmod(0o644)
    setup.ensure_setup_code(session=session)
    assert stat.S_IMODE(setup.setup_code_path().stat().st_mode) == 0o600


def test_no_code_once_a_user_exists_and_stale_file_removed(session):
    setup.ensure_setup_code(session=session)
    assert setup.needs_setup(session=session)
    session.add(User(username="someone"))
    session.commit()
    assert not setup.needs_setup(session=session)
    assert setup.ensure_setup_code(session=session) is None
    assert not setup.setup_code_path().exists()


def test_first_admin(session):
    code = setup.ensure_setup_code(session=session)
    typed = " " + code.lower().replace("-", " ") + " "  # phone keyboards
    user = create(session, typed, username="Boss", ip="10.0.0.7")
    session.commit()
    assert user.role == Role.admin and not user.must_change_password
    assert passwords.verify_password(PW, user.password_hash)
    assert not setup.setup_code_path().exists()
    assert not setup.needs_setup(session=session)
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "setup.complete")).one()
    assert (event.actor_id, event.ip) == (user.id, "10.0.0.7")
    assert code not in repr(event.model_dump())
    auth_sessions.sign_in(session=session, username="boss", password=PW, ip="", user_agent="")


def test_second_setup_is_refused(session):
    code = setup.ensure_setup_code(session=session)
    create(session, code)
    session.commit()
    assert refused(session, code, username="intruder") == "setup.already_done"
    assert session.exec(select(User)).all()[0].username == "admin"
    assert len(session.exec(select(User)).all()) == 1


def test_wrong_code_is_refused_audited_and_counted(session, fake_redis):
    code = setup.ensure_setup_code(session=session)
    wrong = ("A" if code[0] != "A" else "B") + code[1:]
    assert refused(session, wrong) == "setup.bad_code"
    assert refused(session, code[:-1]) == "setup.bad_code"
    assert setup.needs_setup(session=session)
    failed = session.exec(select(AuditEvent).where(AuditEvent.action == "setup.failed")).all()
    assert len(failed) == 2 and failed[0].ip == "10.0.0.1"
    assert fake_redis.get("clawweb:login:fail:ip:10.0.0.1") == b"2"


@pytest.mark.parametrize("given", ["", "   ", "AAAA"])
def test_without_a_code_file_nothing_matches(session, given):
    assert not setup.setup_code_path().exists()
    assert refused(session, given) == "setup.bad_code"


def test_wrong_codes_lock_the_address(session):
    code = setup.ensure_setup_code(session=session)
    for _ in range(20):
        refused(session, "WRONG-CODE", ip="10.0.0.66")
    assert refused(session, code, ip="10.0.0.66") == "auth.locked"
    create(session, code, ip="10.0.0.67")  # another address is not locked


def test_username_and_password_rules_apply(session):
    code = setup.ensure_setup_code(session=session)
    assert refused(session, code, username="x") == "accounts.username_invalid"
    assert refused(session, code, password="password123") == "auth.password_common"
    assert refused(session, code, password="short") == "auth.password_too_short"
    assert setup.setup_code_path().exists()  # a failed attempt keeps the code


def test_redis_down_refuses_setup(session, fake_redis):
    code = setup.ensure_setup_code(session=session)
    fake_redis.connection_pool.connection_kwargs["server"].connected = False
    with pytest.raises(Unavailable):
        create(session, code)


def test_a_setup_that_lost_the_race_after_the_code_was_used_is_told_setup_is_done(
        session, monkeypatch):
    """It passed needs_setup before the winner committed, then found the code gone:
    the answer is "already done", not "bad code" (nor a failure counted against it)."""
    code = setup.ensure_setup_code(session=session)
    session.commit()
    setup.create_first_admin(session=session, code=code, username="winner", password=PW,
                             ip="10.0.0.1")
    real, calls = setup.needs_setup, []
    monkeypatch.setattr(setup, "needs_setup",
                        lambda **kw: calls.append(1) or len(calls) == 1 or real(**kw))
    assert refused(session, code, username="loser") == "setup.already_done"
    failed = session.exec(select(AuditEvent).where(AuditEvent.action == "setup.failed")).all()
    assert failed == []

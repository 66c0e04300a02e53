"""Brute-force lockout against a real redis-server (sign-in through the services)."""

from __future__ import annotations

import time

import pytest
from sqlmodel import select

from clawweb import streams
from clawweb.models import AuditEvent, Role, User
from clawweb.services.accounts import auth_sessions, passwords, throttle
from clawweb.services.errors import InvalidInput
from tests.support.services import own_redis

PW = "violet-tractor-sings"

@pytest.fixture
def redis_server(tmp_path):
    """Tests here stop Redis on purpose: each has a server of its own (see own_redis)."""
    yield from own_redis(tmp_path / "redis")



@pytest.fixture
def limits(monkeypatch, redis_url, fast_hashing):
    """3 per account, 6 per address, a 2-second window."""
    from clawweb import settings as settings_mod

    monkeypatch.setenv("CLAWWEB_LOGIN_MAX_FAILURES_PER_ACCOUNT", "3")
    monkeypatch.setenv("CLAWWEB_LOGIN_MAX_FAILURES_PER_IP", "6")
    monkeypatch.setenv("CLAWWEB_LOGIN_LOCKOUT_SECONDS", "2")
    settings_mod.get_settings.cache_clear()
    s = settings_mod.get_settings()
    assert s.redis_url == redis_url and s.login_lockout_seconds == 2
    return s


@pytest.fixture
def users(session, limits):
    made = {}
    for name, role in (("root", Role.admin), ("alice", Role.member)):
        made[name] = User(username=name, role=role, password_hash=passwords.hash_password(PW))
        session.add(made[name])
    session.commit()
    return made


def attempt(session, username, password, ip="10.1.1.1"):
    try:
        auth_sessions.sign_in(session=session, username=username, password=password, ip=ip,
                              user_agent="it")
    except InvalidInput as err:
        session.rollback()
        return err.key, err.params
    session.commit()
    return "ok", {}


def test_account_locks_after_n_failures_even_for_the_right_password(session, users):
    for _ in range(3):
        assert attempt(session, "alice", "wrong-password-1")[0] == "auth.invalid_credentials"
    assert attempt(session, "alice", PW, ip="10.1.1.2") == ("auth.locked", {"minutes": 1})
    assert attempt(session, "root", PW)[0] == "ok"


def test_address_locks_across_many_accounts(session, users):
    for i in range(6):
        assert attempt(session, f"guess{i}", "wrong-password-1", ip="10.2.2.2")[0] == \
            "auth.invalid_credentials"
    assert attempt(session, "alice", PW, ip="10.2.2.2")[0] == "auth.locked"
    assert attempt(session, "alice", PW, ip="10.2.2.3")[0] == "ok"


def test_unknown_user_gets_the_same_answers(session, users):
    real = [attempt(session, "alice", "wrong-password-1", ip=f"10.3.0.{i}") for i in range(4)]
    ghost = [attempt(session, "ghost", "wrong-password-1", ip=f"10.4.0.{i}") for i in range(4)]
    assert real == ghost
    assert real[-1][0] == "auth.locked"


def test_admin_unlock(session, users, redis_url):
    for _ in range(3):
        attempt(session, "alice", "wrong-password-1")
    assert attempt(session, "alice", PW, ip="10.5.5.5")[0] == "auth.locked"
    throttle.unlock(session=session, actor=users["root"], username="alice", ip="127.0.0.1")
    session.commit()
    assert attempt(session, "alice", PW, ip="10.5.5.5")[0] == "ok"
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "auth.unlock")).one()


def test_counters_expire_after_the_window(session, users, redis_url):
    import redis

    for _ in range(3):
        attempt(session, "alice", "wrong-password-1")
    assert attempt(session, "alice", PW)[0] == "auth.locked"
    client = redis.Redis.from_url(redis_url)
    key = streams.login_fail_account_key("alice")
    assert 0 < client.pttl(key) <= 2000  # the real server holds an expiry
    deadline = time.monotonic() + 10
    while client.exists(key) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not client.exists(key)
    assert attempt(session, "alice", PW)[0] == "ok"


def test_redis_outage_refuses_sign_in(session, users, redis_server):
    from clawweb.services.errors import Unavailable

    redis_server.stop()
    try:
        with pytest.raises(Unavailable):
            auth_sessions.sign_in(session=session, username="alice", password=PW,
                                  ip="10.6.6.6", user_agent="it")
    finally:
        redis_server.start()

"""Brute-force throttle (clawweb/services/throttle.py) against fakeredis."""

from __future__ import annotations

import pytest
from sqlmodel import select

from clawweb import streams
from clawweb.models import AuditEvent, Role, User
from clawweb.services import throttle
from clawweb.services.errors import InvalidInput, PermissionDenied, Unavailable


@pytest.fixture
def limits(monkeypatch, settings):
    from clawweb import settings as settings_mod

    monkeypatch.setenv("CLAWWEB_LOGIN_MAX_FAILURES_PER_ACCOUNT", "3")
    monkeypatch.setenv("CLAWWEB_LOGIN_MAX_FAILURES_PER_IP", "5")
    monkeypatch.setenv("CLAWWEB_LOGIN_LOCKOUT_SECONDS", "600")
    settings_mod.get_settings.cache_clear()
    yield settings_mod.get_settings()
    settings_mod.get_settings.cache_clear()


def _locked(username, ip):
    with pytest.raises(InvalidInput) as err:
        throttle.check(username, ip)
    assert err.value.key == "auth.locked"
    return err.value.params["minutes"]


def test_account_locks_at_the_limit(fake_redis, limits):
    for _ in range(2):
        throttle.record_failure("alice", "10.0.0.1")
    throttle.check("alice", "10.0.0.1")  # 2 < 3: still allowed
    assert throttle.record_failure("alice", "10.0.0.2") is True
    assert _locked("alice", "10.0.0.9") == 10  # any address: the account is locked
    throttle.check("bob", "10.0.0.1")  # others are not


def test_account_counter_ignores_letter_case(fake_redis, limits):
    for name in ("Alice", "ALICE", "alice"):
        throttle.record_failure(name, "")
    _locked("aLiCe", "")


def test_ip_locks_across_many_accounts(fake_redis, limits):
    for i in range(5):
        throttle.record_failure(f"user{i}", "10.0.0.7")
    assert _locked("never-tried", "10.0.0.7") == 10
    throttle.check("never-tried", "10.0.0.8")


def test_counters_always_expire_and_a_lock_lasts_the_full_window(fake_redis, limits):
    key = streams.login_fail_account_key("alice")
    throttle.record_failure("alice", "10.0.0.1")
    assert 0 < fake_redis.ttl(key) <= 600
    assert 0 < fake_redis.ttl(streams.login_fail_ip_key("10.0.0.1")) <= 600
    throttle.record_failure("alice", "10.0.0.1")
    fake_redis.expire(key, 5)  # the window is nearly over...
    throttle.record_failure("alice", "10.0.0.1")  # ...when the limit is reached
    assert fake_redis.ttl(key) > 500


def test_minutes_round_up(fake_redis, limits):
    for _ in range(3):
        throttle.record_failure("alice", "")
    fake_redis.expire(streams.login_fail_account_key("alice"), 61)
    assert _locked("alice", "") == 2


def test_unknown_address_has_no_shared_counter(fake_redis, limits):
    for i in range(10):
        throttle.record_failure(f"user{i}", "")
    assert fake_redis.keys(streams.login_fail_ip_key("") + "*") == []
    throttle.check("someone-else", "")


def test_empty_name_counts_per_address_only(fake_redis, limits):
    for _ in range(5):
        throttle.record_failure("", "10.0.0.3")
    assert fake_redis.keys(streams.login_fail_account_key("") + "*") == []
    _locked("", "10.0.0.3")


def test_reset_account_keeps_the_ip_counter(fake_redis, limits):
    for _ in range(3):
        throttle.record_failure("alice", "10.0.0.1")
    throttle.reset_account("ALICE")
    throttle.check("alice", "10.0.0.2")
    assert int(fake_redis.get(streams.login_fail_ip_key("10.0.0.1"))) == 3


def _user(session, name, role):
    user = User(username=name, role=role)
    session.add(user)
    session.commit()
    return user


def test_unlock_is_admin_only_and_audited(fake_redis, limits, session):
    admin = _user(session, "root", Role.admin)
    member = _user(session, "mallory", Role.member)
    for _ in range(3):
        throttle.record_failure("alice", "")
    with pytest.raises(PermissionDenied):
        throttle.unlock(session=session, actor=member, username="alice")
    _locked("alice", "")
    throttle.unlock(session=session, actor=admin, username="Alice", ip="127.0.0.1")
    throttle.check("alice", "")
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "auth.unlock")).one()
    assert (event.actor_id, event.object_id, event.ip) == (admin.id, "alice", "127.0.0.1")


def test_unlock_ip(fake_redis, limits, session):
    admin = _user(session, "root", Role.admin)
    member = _user(session, "mallory", Role.member)
    for i in range(5):
        throttle.record_failure(f"u{i}", "10.9.9.9")
    with pytest.raises(PermissionDenied):
        throttle.unlock_ip(session=session, actor=member, address="10.9.9.9")
    throttle.unlock_ip(session=session, actor=admin, address="10.9.9.9")
    throttle.check("new", "10.9.9.9")
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "auth.unlock_ip")).one()


@pytest.mark.parametrize("call", [
    lambda: throttle.check("alice", "10.0.0.1"),
    lambda: throttle.record_failure("alice", "10.0.0.1"),
    lambda: throttle.reset_account("alice"),
])
def test_redis_down_is_unavailable_not_a_free_pass(fake_redis, limits, call):
    fake_redis.connection_pool.connection_kwargs["server"].connected = False
    with pytest.raises(Unavailable):
        call()

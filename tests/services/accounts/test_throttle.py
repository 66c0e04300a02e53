"""Brute-force throttle (clawweb/services/accounts/throttle.py) against fakeredis."""

from __future__ import annotations

import types

import pytest
from sqlmodel import select

from clawweb import streams
from clawweb.models import AuditEvent, Role, User
from clawweb.services.accounts import throttle
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


# -- Behind a reverse proxy: an address that may be shared is slowed, never locked -------
@pytest.fixture
def proxy_limits(monkeypatch, limits):
    """As ``limits``, plus back-off after 2 failures, 0.5 s spacing cap, 2 s queue,
    and a global soft limit after 4 failures capped at 0.3 s."""
    from clawweb import settings as settings_mod

    monkeypatch.setenv("CLAWWEB_LOGIN_BACKOFF_AFTER_FAILURES", "2")
    monkeypatch.setenv("CLAWWEB_LOGIN_BACKOFF_MAX_SECONDS", "0.5")
    monkeypatch.setenv("CLAWWEB_LOGIN_BACKOFF_QUEUE_SECONDS", "2")
    monkeypatch.setenv("CLAWWEB_LOGIN_GLOBAL_SOFT_FAILURES", "4")
    monkeypatch.setenv("CLAWWEB_LOGIN_GLOBAL_MAX_DELAY_SECONDS", "0.3")
    settings_mod.get_settings.cache_clear()
    yield settings_mod.get_settings()
    settings_mod.get_settings.cache_clear()


def test_untrusted_address_is_never_locked_but_a_trusted_one_is(fake_redis, limits):
    for i in range(50):  # far past the per-address limit of 5
        started = throttle.record_failure(f"user{i}", "10.0.0.1", ip_trusted=False)
        assert started is False  # no lockout of the (possibly shared) address begins
    throttle.check("carol", "10.0.0.1", ip_trusted=False)  # everyone behind it still may try
    assert _locked("carol", "10.0.0.1") == 10  # had the address been trustworthy: locked


def test_account_still_locks_behind_an_untrusted_address(fake_redis, limits):
    for _ in range(3):
        throttle.record_failure("alice", "10.0.0.1", ip_trusted=False)
    with pytest.raises(InvalidInput) as err:
        throttle.check("alice", "10.0.0.1", ip_trusted=False)
    assert err.value.key == "auth.locked"


def test_pace_spaces_attempts_from_an_untrusted_address(fake_redis, proxy_limits, monkeypatch):
    # One instant for all the calls: on a busy machine the calls themselves take
    # tenths of a second, which would shorten the waits they are told.
    monkeypatch.setattr(throttle, "time", types.SimpleNamespace(time=lambda: 1_000_000.0))
    assert throttle.pace("10.0.0.1", ip_trusted=False) == 0.0  # no failures yet
    for i in range(3):  # past the back-off start (2): spacing 2**(3-2) s, capped at 0.5
        throttle.record_failure(f"u{i}", "10.0.0.1", ip_trusted=False)
    waits = [throttle.pace("10.0.0.1", ip_trusted=False) for _ in range(4)]
    # Each attempt takes the next slot, 0.5 s after the previous one, however many
    # arrive at once: a parallel flood is serialised, not let through.
    assert waits[0] == pytest.approx(0.0, abs=0.05)
    for earlier, later in zip(waits, waits[1:]):
        assert later - earlier == pytest.approx(0.5, abs=0.05)
    assert throttle.pace("10.0.0.2", ip_trusted=False) == 0.0  # other addresses unaffected


def test_pace_tells_a_flooding_address_to_retry_shortly(fake_redis, proxy_limits):
    for i in range(3):
        throttle.record_failure(f"u{i}", "10.0.0.1", ip_trusted=False)
    for _ in range(5):  # 0, 0.5, 1.0, 1.5, 2.0 s: the queue (2 s) is full
        throttle.pace("10.0.0.1", ip_trusted=False)
    with pytest.raises(InvalidInput) as err:
        throttle.pace("10.0.0.1", ip_trusted=False)
    assert err.value.key == "auth.slow_down"
    assert 1 <= err.value.params["seconds"] <= 3  # seconds, never a 15-minute lockout


def test_pace_does_not_slow_a_trusted_address(fake_redis, proxy_limits):
    for i in range(3):  # past the back-off start (2), below the global one (4)
        throttle.record_failure(f"u{i}", "10.0.0.1")
    assert throttle.pace("10.0.0.1", ip_trusted=False) == 0.0  # (the first slot is free)
    assert throttle.pace("10.0.0.1", ip_trusted=False) > 0.4  # were it untrusted: spaced
    # A trustworthy address gets the hard per-address lockout instead (at 5).
    assert throttle.pace("10.0.0.1", ip_trusted=True) == 0.0


def test_global_soft_limit_slows_everyone_a_little_and_never_refuses(fake_redis, proxy_limits):
    assert throttle.pace("10.7.0.1", ip_trusted=True) == 0.0
    for i in range(4):  # four different addresses reach the global start (4)
        throttle.record_failure(f"u{i}", f"10.6.0.{i}")
    first = throttle.pace("10.7.0.1", ip_trusted=True)
    assert 0 < first <= 0.3
    for i in range(200):
        throttle.record_failure(f"v{i}", f"10.5.{i // 250}.{i % 250}")
    waits = [throttle.pace("10.7.0.2", ip_trusted=True) for _ in range(50)]
    assert all(0 < w <= 0.3 for w in waits)  # capped, and no refusal of anybody
    assert max(waits) >= first


def test_unlock_ip_also_clears_the_back_off(fake_redis, proxy_limits, session):
    admin = _user(session, "root", Role.admin)
    for i in range(3):
        throttle.record_failure(f"u{i}", "10.0.0.1", ip_trusted=False)
    for _ in range(3):
        throttle.pace("10.0.0.1", ip_trusted=False)
    throttle.unlock_ip(session=session, actor=admin, address="10.0.0.1")
    assert throttle.pace("10.0.0.1", ip_trusted=False) == 0.0


def test_forwarded_header_is_remembered_for_doctor(fake_redis, settings):
    assert throttle.forwarded_header_seen() is False
    throttle.note_forwarded_header()
    throttle.note_forwarded_header()  # cheap to call on every sign-in
    assert throttle.forwarded_header_seen() is True
    assert 0 < fake_redis.ttl(streams.forwarded_seen_key()) <= 30 * 86400


def test_doctor_warns_about_a_proxy_with_no_trusted_hops(fake_redis, monkeypatch, settings):
    from clawweb import manage, settings as settings_mod

    assert manage.proxy_warning() is None
    throttle.note_forwarded_header()
    assert "CLAWWEB_TRUSTED_PROXY_HOPS" in manage.proxy_warning()
    assert manage.proxy_warning() in manage.doctor_warnings()
    monkeypatch.setenv("CLAWWEB_TRUSTED_PROXY_HOPS", "1")
    settings_mod.get_settings.cache_clear()
    assert manage.proxy_warning() is None  # configured: nothing to say


# -- the same against a real redis-server: the slot reservation under real concurrency ---
def test_parallel_attempts_from_one_untrusted_address_get_distinct_slots(redis_url,
                                                                         proxy_limits,
                                                                         monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    # One instant for every thread (as in the test above): slots, not call times.
    monkeypatch.setattr(throttle, "time", types.SimpleNamespace(time=lambda: 1_000_000.0))
    for i in range(3):
        throttle.record_failure(f"u{i}", "10.8.0.1", ip_trusted=False)
    with ThreadPoolExecutor(max_workers=4) as pool:
        waits = sorted(pool.map(lambda _: throttle.pace("10.8.0.1", ip_trusted=False),
                                range(4)))
    # WATCH/MULTI: no two concurrent attempts got the same slot.
    for earlier, later in zip(waits, waits[1:]):
        assert later - earlier == pytest.approx(0.5, abs=0.1)


def test_real_redis_one_attacker_behind_a_proxy_cannot_lock_out_everyone(redis_url,
                                                                         proxy_limits, session,
                                                                         fast_hashing):
    """Sign-in through the services as the HTTP route does: pace, wait, sign in."""
    import time

    from clawweb.services.accounts import auth_sessions, passwords

    pw = "violet-tractor-sings"
    session.add(User(username="alice", role=Role.member, password_hash=passwords.hash_password(pw)))
    session.commit()
    proxy = "10.9.0.1"

    def attempt(username, password, trusted):
        time.sleep(throttle.pace(proxy, ip_trusted=trusted))
        try:
            auth_sessions.sign_in(session=session, username=username, password=password,
                                  ip=proxy, user_agent="it", ip_trusted=trusted)
        except InvalidInput as err:
            session.rollback()
            return err.key
        session.commit()
        return "ok"

    for i in range(8):  # one attacker guessing across accounts, past every per-address limit
        assert attempt(f"guess{i}", "wrong-password-1", False) == "auth.invalid_credentials"
    assert attempt("alice", pw, False) == "ok"  # the real user behind the same proxy
    assert attempt("alice", pw, True) == "auth.locked"  # what a trusted address would get

"""The account page's password change: throttled like sign-in, argon2 in the password pool."""

from __future__ import annotations

import dataclasses
import threading

import pytest

from clawweb import streams

from tests.support.reflex_state import new_state, run_handler

PW = "violet-tractor-sings"
NEW_PW = "orange-submarine-hums"
PROXY = "10.0.0.1"  # the reverse proxy everybody's requests come from


@pytest.fixture
def users(engine, fake_redis, fast_hashing):
    """Factory: a user with a signed-in session; returns its token."""
    from tests.support.reflex_state import signed_in_token

    return lambda name: signed_in_token(engine, name, PW)


def behind_the_proxy(token: str):
    """An AccountState whose socket came through an unconfigured reverse proxy."""
    from reflex.istate.data import HeaderData

    from clawweb.http import session_cookie
    from clawweb.state.account import AccountState

    _, state = new_state(AccountState, token)
    headers = HeaderData.from_router_data({"headers": {
        "cookie": f"{session_cookie.cookie_name()}={token}",
        "x-forwarded-for": "203.0.113.9"}})
    session = dataclasses.replace(state.router.session, client_ip=PROXY)
    state.router = dataclasses.replace(state.router, headers=headers, session=session)
    assert state.client_ip == PROXY and state.client_ip_trusted is False
    return state


def change_password(state, current: str, new: str = NEW_PW):
    from clawweb.state.account import AccountState

    return AccountState.event_handlers["change_password"].fn(
        state, {"current_password": current, "new_password": new, "repeat_password": new})


def test_wrong_passwords_behind_a_proxy_do_not_lock_the_proxy_for_everyone(
        users, fake_redis, monkeypatch):
    """Signed-in users behind one unconfigured proxy share its address: a few of them
    mistyping their current password must not lock that address for all the others."""
    from clawweb import settings as settings_mod

    monkeypatch.setenv("CLAWWEB_LOGIN_MAX_FAILURES_PER_IP", "3")
    settings_mod.get_settings.cache_clear()
    for name in ("ann", "bob", "cat"):
        state = behind_the_proxy(users(name))
        change_password(state, current="not my password 1")
        assert state.password_error == "The current password is wrong."
    # The attempts were counted against the proxy's address (its back-off needs them).
    assert int(fake_redis.get(streams.login_fail_ip_key(PROXY))) == 3

    dan = behind_the_proxy(users("dan"))
    change_password(dan, current=PW)
    assert dan.password_error == ""


@pytest.mark.asyncio
async def test_the_password_change_runs_argon2_in_the_password_pool(users, monkeypatch):
    """argon2 (64 MiB, a core's worth of time) never takes a thread page loads need."""
    from clawweb.services.accounts import profile
    from clawweb.state.account import AccountState

    threads = []
    real_change = profile.change_own_password

    def recording_change(**kwargs):
        threads.append(threading.current_thread().name)
        return real_change(**kwargs)

    monkeypatch.setattr(profile, "change_own_password", recording_change)
    _, state = new_state(AccountState, users("eve"))
    await run_handler(AccountState.event_handlers["change_password"], state,
                      {"current_password": PW, "new_password": NEW_PW,
                       "repeat_password": NEW_PW})
    assert state.password_error == ""
    assert len(threads) == 1 and threads[0].startswith("clawweb-passwords"), threads

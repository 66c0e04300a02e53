"""Sign-in, sign-out, setup and invites as HTTP routes: the session token travels
only in an HttpOnly cookie set by these responses, and foreign origins are refused."""

from __future__ import annotations

from http.cookies import SimpleCookie

import pytest
from sqlmodel import func, select
from starlette.testclient import TestClient

from clawweb.models import AuditEvent, AuthSession, Role, User
from clawweb.services.accounts import auth_sessions, passwords, setup, users as accounts

PW = "violet-tractor-sings"
ORIGIN = "http://127.0.0.1:3000"


@pytest.fixture
def app(engine, fake_redis, fast_hashing):
    from clawweb import api

    return api.router()


@pytest.fixture
def client(app):
    return TestClient(app, base_url=ORIGIN)


@pytest.fixture
def alice(session, engine):
    user = User(username="alice", role=Role.member, password_hash=passwords.hash_password(PW))
    session.add(user)
    session.commit()
    return user


def _post(client, path, body, origin=ORIGIN, **headers):
    if origin is not None:
        headers["Origin"] = origin
    return client.post(path, json=body, headers=headers)


def _cookie(resp, name="clawweb_session"):
    jar = SimpleCookie()
    for raw in resp.headers.get_list("set-cookie"):
        jar.load(raw)
    return jar.get(name)


def _sessions(session) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(AuthSession)).one()


def _resolves(session, token) -> bool:
    session.expire_all()
    return auth_sessions.resolve(session=session, token=token, touch=False) is not None


def test_sign_in_sets_an_http_only_strict_cookie(client, alice, session):
    resp = _post(client, "/api/auth/sign-in",
                 {"username": "alice", "password": PW, "next": "/tasks/3"})
    assert resp.status_code == 200
    assert resp.json() == {"ok": True, "next": "/tasks/3"}
    morsel = _cookie(resp)
    assert morsel["httponly"] is True
    assert morsel["samesite"].lower() == "strict"
    assert morsel["path"] == "/"
    assert int(morsel["max-age"]) == 30 * 86400
    assert not morsel["secure"]  # plain http origin (a dev install)
    assert _resolves(session, morsel.value)
    assert morsel.value not in resp.text  # the body never carries the token


def test_a_sign_in_keeps_the_language_the_devices_browser_asks_for(client, alice, session):
    """What notifications speak to a user who lets the browser choose (auth_sessions)."""
    resp = _post(client, "/api/auth/sign-in", {"username": "alice", "password": PW},
                 **{"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"})
    assert resp.status_code == 200
    session.expire_all()
    _user, row = auth_sessions.resolve(session=session, token=_cookie(resp).value, touch=False)
    assert row.language == "zh"


def test_https_origin_cookie_is_secure_and_host_prefixed(monkeypatch, engine, fake_redis,
                                                         fast_hashing, alice):
    from clawweb import api, settings as settings_mod

    monkeypatch.setenv("CLAWWEB_PUBLIC_URL", "https://claw.example.com")
    settings_mod.get_settings.cache_clear()
    client = TestClient(api.router(), base_url="https://claw.example.com")
    resp = _post(client, "/api/auth/sign-in", {"username": "alice", "password": PW},
                 origin="https://claw.example.com")
    morsel = _cookie(resp, "__Host-clawweb_session")
    assert morsel is not None and morsel["secure"] is True and morsel["httponly"] is True


def test_wrong_password_is_an_error_key_and_sets_no_cookie(client, alice, session):
    resp = _post(client, "/api/auth/sign-in", {"username": "alice", "password": "nope nope 1"})
    assert resp.status_code == 400
    assert resp.json() == {"ok": False, "error": "auth.invalid_credentials", "params": {}}
    assert "set-cookie" not in resp.headers
    assert _sessions(session) == 0


def test_lockout_says_how_many_minutes(client, alice):
    for _ in range(5):
        _post(client, "/api/auth/sign-in", {"username": "alice", "password": "nope nope 1"})
    resp = _post(client, "/api/auth/sign-in", {"username": "alice", "password": PW})
    assert resp.json()["error"] == "auth.locked"
    assert resp.json()["params"] == {"minutes": 15}


@pytest.mark.parametrize("origin", ["http://evil.example", "null", None,
                                    "http://127.0.0.1:3000.evil.example"])
def test_foreign_or_missing_origin_is_refused_before_anything_happens(client, alice, session,
                                                                      origin):
    resp = _post(client, "/api/auth/sign-in", {"username": "alice", "password": PW},
                 origin=origin)
    assert resp.status_code == 403
    assert resp.json()["error"] == "security.origin_refused"
    assert "set-cookie" not in resp.headers
    assert _sessions(session) == 0
    assert session.exec(select(AuditEvent)).all() == []  # not even a failure counted


@pytest.mark.parametrize("nxt,expected", [
    ("/projects/2", "/projects/2"), ("//evil.example", "/projects"),
    ("https://evil.example/", "/projects"), ("/\\evil.example", "/projects"),
    ("/login?next=/x", "/projects"), ("", "/projects"), (7, "/projects"),
])
def test_next_is_only_ever_a_local_path(client, alice, nxt, expected):
    resp = _post(client, "/api/auth/sign-in", {"username": "alice", "password": PW, "next": nxt})
    assert resp.json()["next"] == expected


def test_every_sign_in_gets_a_new_token_and_ends_the_browsers_previous_one(client, alice,
                                                                            session):
    first = _cookie(_post(client, "/api/auth/sign-in",
                          {"username": "alice", "password": PW})).value
    second = _cookie(_post(client, "/api/auth/sign-in", {"username": "alice", "password": PW},
                           Cookie=f"clawweb_session={first}")).value
    assert first != second
    assert not _resolves(session, first) and _resolves(session, second)


def test_sign_out_revokes_at_once_and_clears_the_cookie(client, alice, session):
    token = _cookie(_post(client, "/api/auth/sign-in",
                          {"username": "alice", "password": PW})).value
    refused = _post(client, "/api/auth/sign-out", {}, origin="http://evil.example",
                    Cookie=f"clawweb_session={token}")
    assert refused.status_code == 403 and _resolves(session, token)  # no logout CSRF
    resp = _post(client, "/api/auth/sign-out", {}, Cookie=f"clawweb_session={token}")
    assert resp.status_code == 200 and resp.json() == {"ok": True, "next": "/login"}
    cleared = _cookie(resp)
    assert cleared.value == "" and int(cleared["max-age"]) == 0
    assert not _resolves(session, token)  # a stolen copy is useless now


def test_setup_creates_the_admin_and_signs_in(client, session):
    code = setup.ensure_setup_code(session=session)
    body = {"code": code.lower(), "username": "root", "password": PW, "password2": PW}
    differ = _post(client, "/api/auth/setup", {**body, "password2": PW + "x"})
    assert differ.json()["error"] == "setup.passwords_differ"
    wrong = _post(client, "/api/auth/setup", {**body, "code": "AAAA-BBBB"})
    assert wrong.json()["error"] == "setup.bad_code"
    resp = _post(client, "/api/auth/setup", body)
    assert resp.json() == {"ok": True, "next": "/projects"}
    assert _resolves(session, _cookie(resp).value)
    refused = _post(client, "/api/auth/setup", {**body, "username": "root2"}, origin=None)
    assert refused.status_code == 403


def test_invite_acceptance_sets_the_password_and_signs_in(client, session):
    admin = User(username="root", role=Role.admin, password_hash=passwords.hash_password(PW))
    session.add(admin)
    session.commit()
    user, token = accounts.create_user(session=session, actor=admin, username="ivan",
                                       mode="invite")
    session.commit()
    body = {"invite": token, "password": PW + " ivan", "password2": PW + " ivan"}
    resp = _post(client, "/api/auth/invite", body)
    assert resp.json() == {"ok": True, "next": "/projects"}
    found = auth_sessions.resolve(session=session, token=_cookie(resp).value, touch=False)
    assert found[0].username == "ivan"
    again = _post(client, "/api/auth/invite", body)
    assert again.json()["error"] == "accounts.invite_invalid"


def test_behind_an_unconfigured_proxy_one_attacker_cannot_lock_everyone_out(
        client, alice, fake_redis, monkeypatch):
    from clawweb import settings as settings_mod, streams

    monkeypatch.setenv("CLAWWEB_LOGIN_BACKOFF_MAX_SECONDS", "0.05")
    settings_mod.get_settings.cache_clear()
    proxy = {"X-Forwarded-For": "203.0.113.9"}  # every request arrives from the one proxy
    for i in range(25):  # past the per-address limit of 20
        resp = _post(client, "/api/auth/sign-in",
                     {"username": f"guess{i}", "password": "nope nope 1"}, **proxy)
        assert resp.json()["error"] == "auth.invalid_credentials"
    resp = _post(client, "/api/auth/sign-in", {"username": "alice", "password": PW}, **proxy)
    assert resp.json()["ok"] is True
    assert fake_redis.exists(streams.forwarded_seen_key())  # for `manage doctor`


def test_a_body_that_is_not_a_json_object_is_refused(client):
    resp = client.post("/api/auth/sign-in", content=b"username=alice",
                       headers={"Origin": ORIGIN, "Content-Type": "text/plain"})
    assert resp.status_code == 400 and resp.json()["error"] == "errors.unexpected"


SIGN_IN_SECONDS = 1.0


@pytest.mark.asyncio
async def test_a_sign_in_flood_stays_in_the_password_pool_and_leaves_handler_threads_free(
        app, monkeypatch):
    """argon2 behind the routes runs a few at a time (64 MiB and a core each, and a
    database connection held throughout) on threads no event handler needs."""
    import asyncio
    import threading
    import time

    import httpx

    from clawweb.services.errors import InvalidInput
    from clawweb.state import offload

    lock, running, seen = threading.Lock(), [0], {"peak": 0, "threads": set()}

    def blocking_sign_in(**_kwargs):
        with lock:
            running[0] += 1
            seen["peak"] = max(seen["peak"], running[0])
            seen["threads"].add(threading.current_thread().name)
        time.sleep(SIGN_IN_SECONDS)  # as argon2's C code blocks its thread
        with lock:
            running[0] -= 1
        raise InvalidInput("auth.invalid_credentials")

    monkeypatch.setattr(auth_sessions, "sign_in", blocking_sign_in)
    flood = 4 * offload.PASSWORD_THREADS
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url=ORIGIN) as http:
        attempts = [asyncio.create_task(http.post(
            "/api/auth/sign-in", json={"username": f"u{i}", "password": "nope nope 1"},
            headers={"Origin": ORIGIN})) for i in range(flood)]
        await asyncio.sleep(0.1)  # the flood holds every thread it is allowed
        started = time.monotonic()
        await asyncio.gather(*(offload.run(offload.HANDLERS, time.sleep, 0)
                               for _ in range(offload.HANDLER_THREADS)))
        handler_wait = time.monotonic() - started
        replies = await asyncio.gather(*attempts)
    assert [r.json()["error"] for r in replies] == ["auth.invalid_credentials"] * flood
    assert seen["peak"] == offload.PASSWORD_THREADS, seen
    assert all(name.startswith("clawweb-passwords") for name in seen["threads"]), seen
    # Had the flood taken the handler threads, they would be free only as a sign-in
    # ends, ~0.9 s from here; a loaded machine's scheduling is well under half that.
    assert handler_wait < SIGN_IN_SECONDS / 2, \
        f"handler threads were busy for {handler_wait:.2f}s"

"""Web Push through pywebpush to a push service on loopback that checks VAPID and decrypts."""

from __future__ import annotations

import json
import stat

import pytest
from sqlmodel import select

from clawweb.models import PushSubscription
from clawweb.services.errors import InvalidInput, NotFound
from clawweb.services.notify import push
from tests.services.agent_fixtures import make_user
from tests.support.push_service import PushService


@pytest.fixture
def service():
    svc = PushService().start()
    yield svc
    svc.stop()


@pytest.fixture
def alice(session):
    return make_user(session, "alice")


def _reload_key():
    push._load.cache_clear()
    return push.application_server_key()


def test_vapid_keys_are_made_once_under_the_data_dir_readable_only_by_us(settings):
    path = settings.data_dir.resolve() / "vapid_private.pem"
    assert not path.exists()
    first = _reload_key()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert _reload_key() == first  # kept, not regenerated
    assert len(push._unb64url(first)) == 65


def test_the_payload_is_encrypted_for_the_browser_and_signed_for_the_service(
        session, alice, service):
    info = service.subscription()
    row = push.subscribe(session=session, user=alice, info=info, user_agent="Chrome/130 Android")
    assert info["endpoint"] not in row.ciphertext and info["keys"]["auth"] not in row.ciphertext
    payload = {"v": 1, "type": "show", "title": "Task #1 failed", "body": "demo: make"}
    assert push.send(session=session, row=row, payload=payload) is True
    got = service.wait_for(lambda r: len(r) == 1)[0]
    assert got.payload == payload
    assert got.vapid_key == push.application_server_key()
    assert got.claims["aud"] == service.origin and got.claims["sub"].startswith("mailto:")
    assert service.rejected == []


def test_a_forgotten_subscription_is_removed_and_a_broken_service_is_a_failure(
        session, alice, service):
    gone, broken = service.subscription(), service.subscription()
    rows = [push.subscribe(session=session, user=alice, info=i) for i in (gone, broken)]
    service.answer(gone, 410)
    service.answer(broken, 500)
    assert push.send(session=session, row=rows[0], payload={"v": 1}) is False
    session.commit()
    with pytest.raises(push.PushFailed) as err:
        push.send(session=session, row=rows[1], payload={"v": 1})
    assert err.value.reason == "HTTP 500"
    left = session.exec(select(PushSubscription.id)).all()
    assert left == [rows[1].id]


@pytest.mark.parametrize("endpoint", [
    "http://push.example.com/x", "ftp://127.0.0.1/x", "https://user:pw@push.example.com/x",
    "javascript:alert(1)", "https://push.example.com/" + "a" * 3000])
def test_endpoints_must_be_https_or_loopback(session, alice, service, endpoint):
    info = service.subscription()
    info["endpoint"] = endpoint
    with pytest.raises(InvalidInput):
        push.subscribe(session=session, user=alice, info=info)


def test_keys_must_be_a_p256_point_and_a_16_byte_secret(session, alice, service):
    for keys in ({"p256dh": "AAAA", "auth": "x"}, {"auth": "x"}, "nope"):
        info = {**service.subscription(), "keys": keys}
        with pytest.raises(InvalidInput):
            push.subscribe(session=session, user=alice, info=info)
    assert push.subscribe(session=session, user=alice,
                          info=json.loads(json.dumps(service.subscription()))).id


def test_a_device_is_removed_only_by_its_owner_and_moves_to_whoever_subscribes(
        session, alice, service):
    bob = make_user(session, "bob")
    info = service.subscription()
    row = push.subscribe(session=session, user=alice, info=info)
    with pytest.raises(NotFound):
        push.unsubscribe(session=session, user=bob, subscription_id=row.id)
    moved = push.subscribe(session=session, user=bob, info=info)  # bob signed in on it
    assert moved.id == row.id and push.devices(session=session, user_id=alice.id) == []
    assert push.send(session=session, row=moved, payload={"v": 1})
    assert push.unsubscribe(session=session, user=bob, subscription_id=row.id)


def test_signing_out_on_a_device_stops_its_pushes(session, alice, service, fake_redis):
    """A phone signed out (or whose session was ended from another device) must not
    keep showing the user's approvals and task results to whoever holds it next."""
    from clawweb.models import AuthSession
    from clawweb.services.accounts import auth_sessions
    from clawweb.services.accounts.auth_sessions import hash_token

    def opened(token: str) -> AuthSession:
        return session.exec(select(AuthSession).where(
            AuthSession.token_hash == hash_token(token))).one()

    phone_token = auth_sessions.open_session(session=session, user=alice, ip="10.0.0.2",
                                             user_agent="phone")
    laptop_token = auth_sessions.open_session(session=session, user=alice, ip="10.0.0.3",
                                              user_agent="laptop")
    session.commit()
    phone = push.subscribe(session=session, user=alice, info=service.subscription(),
                           auth_session_id=opened(phone_token).id)
    laptop = push.subscribe(session=session, user=alice, info=service.subscription(),
                            auth_session_id=opened(laptop_token).id)
    auth_sessions.sign_out(session=session, token=phone_token)
    session.commit()
    assert [d.id for d in push.devices(session=session, user_id=alice.id)] == [laptop.id]
    auth_sessions.revoke(session=session, actor=alice, session_id=opened(laptop_token).id)
    session.commit()
    assert push.devices(session=session, user_id=alice.id) == []
    assert phone.id != laptop.id

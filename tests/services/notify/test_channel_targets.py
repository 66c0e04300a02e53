"""A channel cannot turn the server into a client of its own private network.

Mail, ntfy and webhook channels take any host a member types, and the server
(not the member's browser) connects to it: without a check, a member could
point one at Redis on loopback or a cloud metadata address.
"""

from __future__ import annotations

import socket

import pytest

from clawweb import settings as settings_mod
from clawweb.services.errors import InvalidInput
from clawweb.services.notify import channel_kinds, channels, targets, text

PRIVATE = ["127.0.0.1", "10.1.2.3", "169.254.169.254", "192.168.0.9", "localhost",
           "db.localhost", "0.0.0.0"]


@pytest.mark.parametrize("host", PRIVATE)
def test_a_webhook_to_a_private_address_is_refused(host):
    with pytest.raises(InvalidInput) as err:
        channel_kinds.build("webhook", {"url": f"http://{host}:6379/x"})
    assert err.value.key == "notify.channel.private_host"


def _allow(monkeypatch, hosts: str) -> None:
    monkeypatch.setenv("CLAWWEB_NOTIFY_PRIVATE_HOSTS", hosts)
    settings_mod.get_settings.cache_clear()


def test_an_ipv6_loopback_is_private():
    with pytest.raises(InvalidInput) as err:
        targets.check("[::1]", 80, "url")
    assert err.value.key == "notify.channel.private_host"


def test_mail_and_ntfy_servers_are_checked_too():
    with pytest.raises(InvalidInput):
        channel_kinds.build("email", {"smtp_host": "127.0.0.1", "sender": "a@b.example",
                                      "to": "c@d.example", "security": "none"})
    with pytest.raises(InvalidInput):
        channel_kinds.build("ntfy", {"server": "http://10.0.0.1", "topic": "t"})


def test_a_host_the_admin_listed_is_allowed(monkeypatch):
    _allow(monkeypatch, "127.0.0.1:8025, relay.lan")
    url, _ = channel_kinds.build("webhook", {"url": "http://127.0.0.1:8025/hook"})
    assert url.startswith("json://127.0.0.1:8025/")
    channel_kinds.build("email", {"smtp_host": "relay.lan", "sender": "a@b.example",
                                  "to": "c@d.example"})
    with pytest.raises(InvalidInput):  # the same host on another port is not listed
        channel_kinds.build("webhook", {"url": "http://127.0.0.1:6379/hook"})


def test_a_public_name_is_accepted_without_resolving_it(monkeypatch):
    def no_dns(*_a, **_k):
        raise AssertionError("adding a channel must not resolve names")
    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    channel_kinds.build("webhook", {"url": "https://hooks.example.com/x"})


def test_a_name_that_resolves_to_a_private_address_is_not_sent_to(monkeypatch):
    calls = []

    def fake_dns(host, port, *_a, **_k):
        calls.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port or 0))]
    monkeypatch.setattr(socket, "getaddrinfo", fake_dns)
    url, _ = channel_kinds.build("webhook", {"url": "https://hooks.example.com/x"})
    assert targets.refusal(url) == "private address refused"
    assert calls == ["hooks.example.com"]


def test_send_refuses_a_channel_whose_listing_was_withdrawn(monkeypatch, session):
    _allow(monkeypatch, "127.0.0.1:9")
    from tests.services.agent_fixtures import make_user
    alice = make_user(session, "alice")
    row = channels.add(session=session, user=alice, kind="webhook",
                       values={"url": "http://127.0.0.1:9/hook"})
    _allow(monkeypatch, "")
    sent = channels.send(row, text.Message(title="t", body="b", link=""))
    assert sent == (False, "private address refused")

"""Who is the client: the address the throttle counts, and whether it can be trusted."""

from __future__ import annotations

import importlib

import pytest

from clawweb.http.client import client_address

CASES = [
    # (peer, X-Forwarded-For, hops)
    ("10.0.0.1", "", 0),
    ("10.0.0.1", "203.0.113.9", 0),
    ("127.0.0.1", "203.0.113.9", 1),
    ("127.0.0.1", "198.51.100.7, 203.0.113.9", 1),
    ("127.0.0.1", "198.51.100.7, 203.0.113.9", 2),
    ("127.0.0.1", "203.0.113.9", 2),  # fewer entries than hops: the peer
    ("127.0.0.1", " , ", 1),
]


@pytest.mark.parametrize("peer,xff,hops", CASES)
def test_same_address_as_reflex_gives_the_event_handlers(monkeypatch, peer, xff, hops):
    """The HTTP routes and the WebSocket handlers must count the same address."""
    import reflex.app as rx_app

    class Config:
        trusted_proxy_hops = hops

    monkeypatch.setattr(rx_app, "get_config", lambda: Config)
    headers = [(b"host", b"claw")] + ([(b"x-forwarded-for", xff.encode())] if xff else [])
    environ = {"asgi.scope": {"client": (peer, 5555), "headers": headers}}
    reflex_ip = rx_app.EventNamespace._build_static_router_data(None, "sid", environ)[
        "ip"]
    ours, _trusted = client_address(peer, {"x-forwarded-for": xff} if xff else {}, hops)
    assert ours == reflex_ip


@pytest.mark.parametrize("headers,hops,trusted", [
    ({}, 0, True),  # the TCP peer itself, nothing claims otherwise
    ({"x-forwarded-for": "203.0.113.9"}, 0, False),  # a proxy in front, hops unset
    ({"forwarded": "for=203.0.113.9"}, 0, False),
    ({"x-real-ip": "203.0.113.9"}, 0, False),
    ({"x-forwarded-for": "203.0.113.9"}, 1, True),  # taken through a trusted hop
    ({}, 1, True),
])
def test_an_address_is_trusted_only_when_no_proxy_may_hide_behind_it(headers, hops,
                                                                    trusted):
    assert client_address("10.0.0.1", headers, hops)[1] is trusted


def test_reflex_gets_the_trusted_hops_setting(monkeypatch, tmp_path):
    from clawweb import settings as settings_mod

    monkeypatch.setenv("CLAWWEB_DATA_DIR", str(tmp_path))
    for hops in ("1", "0"):
        monkeypatch.setenv("CLAWWEB_TRUSTED_PROXY_HOPS", hops)
        settings_mod.get_settings.cache_clear()
        try:
            import rxconfig
            assert importlib.reload(rxconfig).config.trusted_proxy_hops == int(hops)
        finally:
            settings_mod.get_settings.cache_clear()


def test_event_handlers_see_the_same_trust(settings):
    """AppState.client_ip_trusted, for handlers that throttle (the WebSocket side)."""
    import dataclasses

    from reflex.istate.data import HeaderData

    from clawweb.state.base import AppState
    from tests.support.reflex_state import new_state

    _root, state = new_state(AppState)
    assert state.client_ip_trusted is True  # no proxy header
    headers = HeaderData.from_router_data({"headers": {"x-forwarded-for": "203.0.113.9"}})
    state.router = dataclasses.replace(state.router, headers=headers)
    assert state.client_ip_trusted is False

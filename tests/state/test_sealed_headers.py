"""Tab states pickled for Reflex's Redis state manager hold no raw session cookie."""

from __future__ import annotations

import pickle

import pytest
from reflex.istate.data import HeaderData

from clawweb.http import session_cookie

from tests.support.reflex_state import new_state

TOKEN = "raw-session-token-0123456789abcdef"


@pytest.fixture
def headers(settings):
    from clawweb.state import sealed_headers

    sealed_headers.install()  # the app module does this at import
    cookie = f"{session_cookie.cookie_name()}={TOKEN}; theme=dark"
    return HeaderData.from_router_data({"headers": {
        "cookie": cookie, "authorization": f"Bearer {TOKEN}", "user-agent": "phone",
        "accept-language": "zh-CN"}})


def test_pickled_headers_carry_the_cookie_only_sealed_and_come_back_whole(headers):
    blob = pickle.dumps(headers)
    assert TOKEN.encode() not in blob
    back = pickle.loads(blob)
    assert back == headers
    assert back.raw_headers["authorization"] == f"Bearer {TOKEN}"
    assert (back.user_agent, back.accept_language) == ("phone", "zh-CN")


def test_a_pickled_tab_state_resolves_the_same_session(settings, engine, headers):
    from reflex.state import BaseState

    from clawweb.state.base import AppState

    root, _ = new_state(AppState, TOKEN)
    # As Reflex's event processing leaves it: the raw router data too.
    root.router_data = {"pathname": "/tasks/", "headers": {
        "cookie": f"{session_cookie.cookie_name()}={TOKEN}", "user-agent": "phone"}}
    blob = root._serialize()
    assert TOKEN.encode() not in blob
    again = BaseState._deserialize(data=blob)
    assert session_cookie.read_token(again.router.headers.cookie) == TOKEN
    assert again.router_data["headers"] == {"user-agent": "phone"}
    assert again.router_data["pathname"] == "/tasks/"


def test_headers_sealed_under_another_key_come_back_without_the_cookie(
        headers, monkeypatch):
    from clawweb import settings as settings_mod

    blob = pickle.dumps(headers)
    monkeypatch.setenv("CLAWWEB_SECRET_KEY", "another-installation-entirely-" * 2)
    settings_mod.get_settings.cache_clear()
    back = pickle.loads(blob)
    assert back.cookie == "" and "authorization" not in back.raw_headers
    assert back.user_agent == "phone"

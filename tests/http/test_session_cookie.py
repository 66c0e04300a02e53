"""Handlers find the session in the HttpOnly cookie of the socket's handshake, and the
token never appears in the state Reflex sends to the browser."""

from __future__ import annotations

import dataclasses

import pytest
from reflex.istate.data import HeaderData
from reflex_base.utils.format import json_dumps
from sqlmodel import Session

from clawweb.models import User
from tests.support.reflex_state import new_state

PW = "olive pw 12345 long"


@pytest.fixture
def token(engine, fake_redis, fast_hashing):
    from clawweb.services.accounts import auth_sessions, passwords

    with Session(engine) as s:
        s.add(User(username="olive", password_hash=passwords.hash_password(PW)))
        s.commit()
        _, raw = auth_sessions.sign_in(session=s, username="olive", password=PW, ip="",
                                       user_agent="")
        s.commit()
    return raw


def _with_cookie(state, cookie: str):
    headers = HeaderData.from_router_data({"headers": {"cookie": cookie}})
    state.router = dataclasses.replace(state.router, headers=headers)


def test_current_user_comes_from_the_handshake_cookie(token):
    from clawweb.state.base import AppState

    _root, state = new_state(AppState)
    assert state.current_user() is None
    _with_cookie(state, f"a=1; clawweb_session={token}; b=2")
    assert state.current_user().username == "olive"
    assert state.signed_in is True
    _with_cookie(state, f"clawweb_session_old={token}")  # another cookie's value: no
    assert state.current_user() is None


def test_the_token_is_not_in_what_the_browser_receives(token):
    from clawweb.state.base import AppState

    root, state = new_state(AppState, token)
    assert state.current_user() is not None
    sent = json_dumps(root.dict())  # the full state, as Reflex serialises it for the page
    assert token not in sent
    assert "olive" in sent  # (the serialisation is the real one: it has the user's name)


def test_a_handler_can_forget_the_token_but_never_set_one(token):
    from clawweb.state.base import AppState

    _root, state = new_state(AppState, token)
    with pytest.raises(ValueError):
        state.session_token = "attacker-chosen"
    state.session_token = ""  # signed out here; the socket's cookie is still the old one
    assert state.session_token == "" and state.current_user() is None

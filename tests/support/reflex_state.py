"""Driving Reflex State classes directly in tests, without a running app."""

from __future__ import annotations


class BackgroundProxy:
    """Stands in for Reflex's StateProxy so a background handler can run in a test:
    ``async with self`` is a no-op and attribute access goes to the real state."""

    def __init__(self, state):
        object.__setattr__(self, "_state", state)

    def __getattr__(self, name):
        return getattr(self._state, name)

    def __setattr__(self, name, value):
        setattr(self._state, name, value)

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        return False


def new_state(cls, token: str = ""):
    """A fresh state tree; returns (root, the ``cls`` substate) signed in with ``token``.

    The token arrives as the browser's would: the session cookie in the Cookie
    header of the event socket's handshake.
    """
    import dataclasses

    import reflex as rx
    from reflex.istate.data import HeaderData

    from clawweb.http import session_cookie

    root = rx.State(_reflex_internal_init=True)
    state = root.get_substate(cls.get_full_name().split("."))
    if token:
        cookie = f"theme=dark; {session_cookie.cookie_name()}={token}"
        headers = HeaderData.from_router_data({"headers": {"cookie": cookie}})
        state.router = dataclasses.replace(state.router, headers=headers)
    assert state.session_token == token
    return root, state

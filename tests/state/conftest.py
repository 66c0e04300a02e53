"""State tests drive handlers with no browser behind them."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def tab_is_open(monkeypatch):
    """Every test's tab counts as open unless the test says otherwise.

    ``client_connected`` asks the process's Reflex app for the tab's socket; once
    any earlier test in the same process has loaded the app, a test's state has
    no socket there, and a live loop would end as "tab gone" 3 s in (tests that
    check exactly that patch ``live_loops.client_connected`` themselves).
    """
    from clawweb.state import live_loops

    monkeypatch.setattr(live_loops, "client_connected", lambda _state: True)


@pytest.fixture
def member_token(engine, fake_redis, fast_hashing):
    """The session token of a freshly signed-in user, ``ann`` (no projects)."""
    from tests.support.reflex_state import signed_in_token

    return signed_in_token(engine, "ann", "violet-tractor-sings")

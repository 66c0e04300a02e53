"""Events resend only the vars they change.

Reflex sends every var a handler sets, equal or not, and the browser redraws
whatever reads it. Every event checks its caller, which used to set the signed-in
user's vars (and ``lang``, read by nearly every component) again each time, so
each of the many events of a page change redrew the whole page.
"""

from __future__ import annotations

import asyncio

from sqlmodel import Session, select

from clawweb.models import User

from tests.support.reflex_state import new_state, run_handler


def _event(root, state, name: str) -> dict:
    """Run one handler as a new event of the tab; the delta it would send."""
    root._clean()
    while name not in type(state).event_handlers:  # an AppState event, say
        state = state.parent_state
    asyncio.run(run_handler(type(state).event_handlers[name], state))
    return root.get_delta()


def _sent(delta: dict, cls) -> dict:
    return delta.get(cls.get_full_name(), {})


def test_a_tick_from_a_signed_in_tab_resends_none_of_its_vars(member_token, fake_redis):
    from clawweb.state.base import AppState
    from clawweb.state.fleet import FleetState

    root, state = new_state(FleetState, member_token)
    first = _event(root, state, "init_language")
    assert _sent(first, AppState).get("signed_in_rx_state_") is True
    again = _event(root, state, "init_language")
    assert _sent(again, AppState) == {}, "the second event resent unchanged vars"
    _event(root, state, "poll_workers")
    assert _sent(_event(root, state, "poll_workers"), FleetState) == {}


def test_a_changed_name_is_still_sent(member_token, engine, fake_redis):
    from clawweb.state.base import AppState
    from clawweb.state.fleet import FleetState

    root, state = new_state(FleetState, member_token)
    _event(root, state, "init_language")
    with Session(engine) as s:
        user = s.exec(select(User).where(User.username == "ann")).one()
        user.display_name = "Una Renamed"
        s.add(user)
        s.commit()
    sent = _sent(_event(root, state, "init_language"), AppState)
    assert sent == {"display_name_rx_state_": "Una Renamed"}

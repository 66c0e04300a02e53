"""The quiet-hours form offers the browser's zone until one is saved, and saves what it shows."""

from __future__ import annotations

import pytest

from clawweb.services.accounts import auth_sessions
from clawweb.services.notify import prefs
from tests.services.agent_fixtures import make_user
from tests.support.reflex_state import new_state


@pytest.fixture
def caller(session):
    user = make_user(session, "zoe")
    token = auth_sessions.open_session(session=session, user=user, ip="", user_agent="")
    session.commit()
    return user, token


def _handler(name):
    from clawweb.state.quiet_hours import QuietHoursState
    return QuietHoursState.event_handlers[name].fn


def _shown(root) -> tuple[str, bool]:
    """What the browser is sent: the form's zone, and whether it came from the browser."""
    from clawweb.state.quiet_hours import QuietHoursState

    sent = root.get_delta().get(QuietHoursState.get_full_name(), {})
    root._clean()
    return sent["quiet_zone_rx_state_"], sent["zone_from_browser_rx_state_"]


def test_the_browsers_zone_is_offered_while_none_is_saved(session, caller, fake_redis):
    from clawweb.state.quiet_hours import QuietHoursState

    _, token = caller
    root, state = new_state(QuietHoursState, token)
    asked = _handler("load_quiet")(state)
    assert "Intl.DateTimeFormat().resolvedOptions().timeZone" in repr(asked)
    assert _shown(root) == ("UTC", False)  # before the browser answers
    _handler("got_browser_zone")(state, "Asia/Shanghai")
    assert _shown(root) == ("Asia/Shanghai", True)


@pytest.mark.parametrize("answer", ["Mars/Olympus", "<img src=x>", "", "Asia/" + "x" * 200])
def test_an_unknown_zone_from_the_browser_is_not_offered(session, caller, fake_redis, answer):
    from clawweb.state.quiet_hours import QuietHoursState

    _, token = caller
    root, state = new_state(QuietHoursState, token)
    _handler("load_quiet")(state)
    _handler("got_browser_zone")(state, "Asia/Shanghai")
    _handler("got_browser_zone")(state, answer)
    assert _shown(root) == ("UTC", False)


def test_a_saved_zone_wins_over_the_browsers(session, caller, fake_redis):
    from clawweb.state.quiet_hours import QuietHoursState

    user, token = caller
    root, state = new_state(QuietHoursState, token)
    _handler("load_quiet")(state)
    _handler("got_browser_zone")(state, "Asia/Shanghai")
    _handler("save_quiet")(state, {"timezone": "Europe/Berlin", "start": "22:00", "end": "07:00"})
    session.expire_all()
    assert prefs.quiet_settings(session=session, user_id=user.id).timezone == "Europe/Berlin"
    assert _shown(root) == ("Europe/Berlin", False)

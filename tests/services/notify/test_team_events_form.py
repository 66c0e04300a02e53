"""A project's owner chooses on the channels page which events the project's channel hears.

The service and the handler existed (``channels.set_team_events``,
``NotifyState.save_team_events``); the channel card must offer them, with each
event ticked as the channel stands. The card is checked in its compiled form.
"""

from __future__ import annotations

import pytest

from clawweb.services.accounts import auth_sessions
from clawweb.services.notify import channels, events, views
from tests.services.agent_fixtures import make_project, make_user
from tests.support.reflex_state import new_state


@pytest.fixture
def world(session, fake_redis, settings):
    alice = make_user(session, "alice")
    project = make_project(session, alice, "shop")
    team = channels.add(session=session, user=alice, kind="webhook", project_id=project.id,
                        values={"url": "https://team.example.com/hook"})
    mine = channels.add(session=session, user=alice, kind="webhook",
                        values={"url": "https://alice.example.com/hook"})
    return alice, project, team, mine


def test_a_project_channel_row_carries_each_event_ticked_as_it_stands(session, world):
    alice, _, team, mine = world
    rows = {r["id"]: r for r in views.channel_rows(session, alice, "zh")}
    boxes = rows[team.id]["event_boxes"]
    assert [b["key"] for b in boxes] == list(events.ORDER)
    assert {b["key"] for b in boxes if b["on"]} == set(events.defaults("team"))
    assert all(b["label"] == views.event_label(b["key"], "zh") for b in boxes)
    assert rows[mine.id]["event_boxes"] == []  # a user's own channel follows their preferences


def _walk(component):
    yield component
    for child in getattr(component, "children", None) or []:
        yield from _walk(child)


def test_the_channel_card_submits_the_team_events_form():
    from clawweb.components.notify_settings import channel_list

    tree = channel_list()
    js = str(tree)
    assert '"team-events"' in js and '"team-event-' in js and '"team-events-save"' in js
    forms = [c for c in _walk(tree)
             if "team-events" == str(getattr(c, "custom_attrs", {}).get("data-testid", ""))]
    assert len(forms) == 1
    assert "NotifyState.save_team_events" in str(forms[0].event_triggers["on_submit"])


def test_saving_the_form_changes_what_the_team_hears(session, world):
    from clawweb.state.notify import NotifyState

    alice, _, team, _ = world
    token = auth_sessions.open_session(session=session, user=alice, ip="", user_agent="")
    session.commit()
    _, state = new_state(NotifyState, token)
    NotifyState.event_handlers["save_team_events"].fn(
        state, {"channel_id": str(team.id), f"ev:{events.TASK_SUCCEEDED}": "on",
                f"ev:{events.APPROVAL_REQUESTED}": "on"})
    session.expire_all()
    assert session.get(type(team), team.id).events == [events.TASK_SUCCEEDED,
                                                       events.APPROVAL_REQUESTED]
    row = next(r for r in state.channel_rows if r["id"] == team.id)
    assert {b["key"] for b in row["event_boxes"] if b["on"]} == {events.TASK_SUCCEEDED,
                                                                 events.APPROVAL_REQUESTED}

"""Preferences: sensible defaults, per project or for all, quiet hours in the user's time zone."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from clawweb.models import ProjectRole
from clawweb.services.errors import InvalidInput, NotFound, PermissionDenied
from clawweb.services.notify import channels, events, prefs
from tests.services.agent_fixtures import add_member, make_project, make_user


@pytest.fixture
def world(session, settings):
    alice, bob = make_user(session, "alice"), make_user(session, "bob")
    shop, blog = make_project(session, alice, "shop"), make_project(session, bob, "blog")
    add_member(session, blog, alice, ProjectRole.viewer)
    return alice, bob, shop, blog


def test_with_no_choice_push_gets_approvals_and_failures_only(session, world):
    alice, _, shop, _ = world
    got = prefs.events_for(session=session, user_id=alice.id, project_id=shop.id,
                           channel=prefs.PUSH)
    assert set(got) == {events.APPROVAL_REQUESTED, events.APPROVAL_EXPIRING,
                        events.APPROVAL_EXPIRED, events.TASK_FAILED, events.TASK_TIMED_OUT,
                        events.BUDGET_REACHED}
    assert events.TASK_SUCCEEDED not in got


def test_a_project_choice_wins_over_all_projects(session, world):
    alice, _, shop, blog = world
    prefs.set_events(session=session, user=alice, project_id=0, channel=prefs.PUSH,
                     chosen=[events.TASK_SUCCEEDED, "not.an.event"])
    prefs.set_events(session=session, user=alice, project_id=shop.id, channel=prefs.PUSH,
                     chosen=[events.APPROVAL_REQUESTED])
    assert prefs.events_for(session=session, user_id=alice.id, project_id=shop.id,
                            channel=prefs.PUSH) == [events.APPROVAL_REQUESTED]
    assert prefs.events_for(session=session, user_id=alice.id, project_id=blog.id,
                            channel=prefs.PUSH) == [events.TASK_SUCCEEDED]
    prefs.reset_project(session=session, user=alice, project_id=shop.id)
    assert prefs.events_for(session=session, user_id=alice.id, project_id=shop.id,
                            channel=prefs.PUSH) == [events.TASK_SUCCEEDED]


def test_choices_only_for_own_channels_and_visible_projects(session, world):
    alice, bob, shop, _ = world
    bobs = channels.add(session=session, user=bob, kind="webhook",
                        values={"url": "https://example.com/h"})
    with pytest.raises(NotFound):
        prefs.set_events(session=session, user=alice, project_id=0,
                         channel=prefs.channel_ref(bobs.id), chosen=[events.TASK_FAILED])
    with pytest.raises((NotFound, PermissionDenied)):
        prefs.set_events(session=session, user=bob, project_id=shop.id, channel=prefs.PUSH,
                         chosen=[events.TASK_FAILED])


@pytest.mark.parametrize("when,quiet", [
    ("2026-06-01T13:30:00+00:00", True),   # 22:30 in Tokyo
    ("2026-06-01T21:59:00+00:00", True),   # 06:59 the next morning
    ("2026-06-01T22:00:00+00:00", False),  # 07:00: over
    ("2026-06-01T03:00:00+00:00", False),  # noon
])
def test_quiet_hours_follow_the_users_time_zone_across_midnight(session, world, when, quiet):
    alice = world[0]
    row = prefs.set_quiet_hours(session=session, user=alice, timezone="Asia/Tokyo",
                                start="22:00", end="07:00")
    now = datetime.fromisoformat(when)
    assert prefs.in_quiet_hours(row, now) is quiet
    assert prefs.lets_through(session=session, user_id=alice.id, event=events.TASK_FAILED,
                              now=now) is not quiet
    assert prefs.lets_through(session=session, user_id=alice.id,
                              event=events.APPROVAL_REQUESTED, now=now) is True


def test_a_daytime_window_and_none(session, world):
    alice = world[0]
    row = prefs.set_quiet_hours(session=session, user=alice, timezone="Europe/Berlin",
                                start="12:00", end="13:00")
    assert prefs.in_quiet_hours(row, datetime(2026, 1, 5, 11, 30, tzinfo=timezone.utc))
    assert not prefs.in_quiet_hours(row, datetime(2026, 1, 5, 12, 30, tzinfo=timezone.utc))
    row = prefs.set_quiet_hours(session=session, user=alice, timezone="UTC", start="", end="")
    assert not prefs.in_quiet_hours(row, datetime(2026, 1, 5, 3, 0, tzinfo=timezone.utc))


@pytest.mark.parametrize("tz,start,end", [
    ("Mars/Olympus", "22:00", "07:00"), ("UTC", "25:00", "07:00"), ("UTC", "22:00", ""),
    ("UTC", "7:00", "08:00"), ("UTC", "08:00", "08:00"), ("", "", "")])
def test_bad_quiet_hours_are_refused(session, world, tz, start, end):
    with pytest.raises(InvalidInput):
        prefs.set_quiet_hours(session=session, user=world[0], timezone=tz, start=start, end=end)

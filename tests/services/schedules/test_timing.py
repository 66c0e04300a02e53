"""When schedules are due: cron on the wall clock of a non-UTC zone across both DST
changes, intervals in plain UTC, downtime counted, and what cannot be a schedule."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from clawweb.services.errors import InvalidInput
from clawweb.services.schedules.timing import Timing, check, due_between, next_after, upcoming

UTC = timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(times, tz):
    return [t.astimezone(tz).strftime("%m-%d %H:%M %Z") for t in times]


def test_a_daily_cron_keeps_its_wall_clock_time_across_spring_forward():
    # Berlin moves from CET (+1) to CEST (+2) on 2026-03-29.
    times = upcoming(Timing("0 9 * * *", "Europe/Berlin"), utc(2026, 3, 27, 12), 4)
    assert times == [utc(2026, 3, 28, 8), utc(2026, 3, 29, 7), utc(2026, 3, 30, 7),
                     utc(2026, 3, 31, 7)]
    assert local(times, BERLIN) == ["03-28 09:00 CET", "03-29 09:00 CEST", "03-30 09:00 CEST",
                                    "03-31 09:00 CEST"]


def test_a_daily_cron_keeps_its_wall_clock_time_across_fall_back():
    times = upcoming(Timing("0 9 * * *", "Europe/Berlin"), utc(2026, 10, 24, 0), 3)
    assert times == [utc(2026, 10, 24, 7), utc(2026, 10, 25, 8), utc(2026, 10, 26, 8)]
    # and another zone with other dates (second Sunday of March)
    ny = upcoming(Timing("30 6 * * 1-5", "America/New_York"), utc(2026, 3, 6, 0), 3)
    assert local(ny, NEW_YORK) == ["03-06 06:30 EST", "03-09 06:30 EDT", "03-10 06:30 EDT"]
    assert ny[1] - ny[0] == timedelta(days=3) - timedelta(hours=1)


def test_a_skipped_wall_time_runs_once_shifted_forward():
    times = upcoming(Timing("30 2 * * *", "Europe/Berlin"), utc(2026, 3, 27, 12), 3)
    assert local(times, BERLIN) == ["03-28 02:30 CET", "03-29 03:30 CEST", "03-30 02:30 CEST"]


def test_a_repeated_wall_time_runs_once_at_its_first_occurrence():
    times = upcoming(Timing("30 2 * * *", "Europe/Berlin"), utc(2026, 10, 24, 12), 2)
    assert times == [utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)]
    assert local(times, BERLIN) == ["10-25 02:30 CEST", "10-26 02:30 CET"]


def test_a_half_hourly_cron_has_no_gap_and_no_double_across_spring_forward():
    times = upcoming(Timing("*/30 * * * *", "Europe/Berlin"), utc(2026, 3, 29, 0, 15), 4)
    assert times == [utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1), utc(2026, 3, 29, 1, 30),
                     utc(2026, 3, 29, 2)]
    assert local(times, BERLIN) == ["03-29 01:30 CET", "03-29 03:00 CEST", "03-29 03:30 CEST",
                                    "03-29 04:00 CEST"]


def test_due_times_over_a_dst_change_are_each_once_and_in_order():
    due = due_between(Timing("0 * * * *", "Europe/Berlin"), utc(2026, 10, 24, 22),
                      utc(2026, 10, 25, 4), keep=100)
    # The repeated hour (02:00 local twice) runs once: 01:00Z is its second pass.
    assert due.times == [utc(2026, 10, 24, 22), utc(2026, 10, 24, 23), utc(2026, 10, 25, 0),
                         utc(2026, 10, 25, 2), utc(2026, 10, 25, 3), utc(2026, 10, 25, 4)]
    assert due.total == 6 and due.next_at == utc(2026, 10, 25, 5)


def test_intervals_are_plain_utc_and_count_downtime():
    timing = Timing(interval_seconds=3600)
    assert next_after(timing, utc(2026, 3, 29, 0, 10), anchor=utc(2026, 3, 28, 23)) == \
        utc(2026, 3, 29, 1)
    due = due_between(timing, utc(2026, 3, 28, 23), utc(2026, 3, 29, 4, 30), keep=2)
    assert due.total == 6 and due.times == [utc(2026, 3, 29, 3), utc(2026, 3, 29, 4)]
    assert due.next_at == utc(2026, 3, 29, 5)
    assert due_between(timing, utc(2026, 3, 30), utc(2026, 3, 29), keep=5).times == []


def test_a_long_downtime_is_counted_up_to_a_limit_and_quickly():
    import time

    started = time.monotonic()
    due = due_between(Timing("* * * * *", "Asia/Shanghai"), utc(2026, 1, 1), utc(2026, 1, 30),
                      keep=3)
    assert time.monotonic() - started < 5
    assert due.total == 5000
    assert due.times == [utc(2026, 1, 29, 23, 58), utc(2026, 1, 29, 23, 59), utc(2026, 1, 30)]
    assert due.next_at == utc(2026, 1, 30, 0, 1)


@pytest.mark.parametrize("timing, key", [
    (Timing("", "UTC", 0), "schedules.cron_or_interval"),
    (Timing("0 9 * * *", "UTC", 3600), "schedules.cron_or_interval"),
    (Timing("0 9 * *", "UTC"), "schedules.bad_cron"),
    (Timing("0 9 * * * 5", "UTC"), "schedules.bad_cron"),  # no seconds field
    (Timing("61 9 * * *", "UTC"), "schedules.bad_cron"),
    (Timing("0 9 * * *", "Mars/Olympus"), "schedules.bad_timezone"),
    (Timing("* * * * *", "UTC"), "schedules.too_often"),
    (Timing("", "UTC", 30), "schedules.bad_interval"),
])
def test_what_cannot_be_a_schedule(timing, key):
    with pytest.raises(InvalidInput) as err:
        check(timing, 120, utc(2026, 1, 1))
    assert err.value.key == key


def test_check_cleans_what_it_accepts():
    assert check(Timing("  0   9 * * 1-5 ", "Europe/Berlin"), 60, utc(2026, 1, 1)) == \
        Timing("0 9 * * 1-5", "Europe/Berlin", 0)
    assert check(Timing("@daily", "UTC"), 60, utc(2026, 1, 1)).cron == "@daily"
    assert check(Timing("", "Asia/Shanghai", 900), 60, utc(2026, 1, 1)) == \
        Timing("", "Asia/Shanghai", 900)

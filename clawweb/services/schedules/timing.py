"""When a schedule is due. Every time in and out is aware UTC.

Cron expressions (five fields, or croniter's ``@daily`` style macros) run on
the wall clock of the schedule's time zone (``zoneinfo``): croniter walks
naive local times and each is placed in the zone with ``fold=0``. So across a
DST change a daily 09:00 stays 09:00 local; a time the clocks skip (02:30 on
the spring-forward night) runs once, shifted forward by the gap (03:30); a
time that happens twice (the fall-back night) runs once, at its first
occurrence. Intervals are plain UTC arithmetic from the previous due time.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from clawweb.services.errors import InvalidInput

# Enough for a minute cron over a week of downtime; beyond it the newest are
# found by walking back from now instead.
COUNT_LIMIT = 5_000
MAX_STEPS = 1000  # a cron walk that finds no time in this many steps is refused
MAX_INTERVAL = 366 * 86400


@dataclass(frozen=True)
class Timing:
    """What decides a schedule's times (a Schedule row has these fields)."""

    cron: str = ""
    timezone: str = "UTC"
    interval_seconds: int = 0


@dataclass(frozen=True)
class Due:
    times: list[datetime]  # due times up to now, oldest first (at most the newest ``keep``)
    total: int  # how many there were in all (capped at COUNT_LIMIT)
    next_at: datetime  # the first due time after now


def zone(name: str) -> ZoneInfo:
    """The IANA zone called ``name``.

    Raises:
        InvalidInput: ``schedules.bad_timezone``.
    """
    try:
        return ZoneInfo(str(name or ""))
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise InvalidInput("schedules.bad_timezone", zone=str(name)[:64]) from None


def as_utc(value: datetime) -> datetime:
    """``value`` as aware UTC (naive values, as SQLite returns them, are UTC)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def _place(wall: datetime, tz: ZoneInfo) -> datetime:
    return wall.replace(tzinfo=tz, fold=0).astimezone(timezone.utc)


def _wall(at: datetime, tz: ZoneInfo) -> datetime:
    return as_utc(at).astimezone(tz).replace(tzinfo=None, fold=0)


def _cron_walk(expr: str, tz: ZoneInfo, after: datetime):
    """Due times strictly after ``after``, in order, each once.

    One croniter walk over naive wall times; placing them can go back in time
    around a skipped hour (02:30 becomes 03:30, then 03:00 comes), so anything
    not after the last time given is dropped.
    """
    walk, last, idle = croniter(expr, _wall(after, tz)), after, 0
    while idle < MAX_STEPS:
        at = _place(walk.get_next(datetime), tz)
        if at > last:
            idle, last = 0, at
            yield at
        else:
            idle += 1
    raise InvalidInput("schedules.bad_cron")


def _cron_next(expr: str, tz: ZoneInfo, after: datetime) -> datetime:
    return next(_cron_walk(expr, tz, after))


def _cron_prev(expr: str, tz: ZoneInfo, until: datetime, count: int) -> list[datetime]:
    walk, out = croniter(expr, _wall(until, tz) + timedelta(seconds=1)), []
    for _ in range(count * 3 + MAX_STEPS):
        at = _place(walk.get_prev(datetime), tz)
        if at <= until and at not in out:
            out.append(at)
            if len(out) == count:
                break
    return sorted(out)


def next_after(timing: Timing, after: datetime, anchor: datetime | None = None) -> datetime:
    """The first due time strictly after ``after``.

    Args:
        anchor: intervals count from here (a previous due time); default ``after``.
    """
    after = as_utc(after)
    if timing.cron:
        return _cron_next(timing.cron, zone(timing.timezone), after)
    step = timedelta(seconds=timing.interval_seconds)
    base = as_utc(anchor) if anchor is not None else after
    if base > after:
        return base
    return base + step * ((after - base) // step + 1)


def due_between(timing: Timing, first: datetime, now: datetime, keep: int) -> Due:
    """The due times from ``first`` (itself due) up to ``now``, and the next one after.

    Args:
        keep: how many of the newest to return (all are counted).
    """
    first, now = as_utc(first), as_utc(now)
    if first > now:
        return Due([], 0, first)
    if not timing.cron:
        step = timedelta(seconds=timing.interval_seconds)
        total = (now - first) // step + 1
        times = [first + step * k for k in range(max(0, total - keep), total)]
        return Due(times, min(total, COUNT_LIMIT), first + step * total)
    tz, newest, total = zone(timing.timezone), deque([first], maxlen=keep), 1
    walk = _cron_walk(timing.cron, tz, first)
    at = next(walk)
    while at <= now and total < COUNT_LIMIT:
        newest.append(at)
        total += 1
        at = next(walk)
    if at <= now:  # more than COUNT_LIMIT: the newest are found walking back from now
        newest = deque(_cron_prev(timing.cron, tz, now, keep), maxlen=keep)
        at = _cron_next(timing.cron, tz, now)
    return Due(list(newest), total, at)


def upcoming(timing: Timing, after: datetime, count: int = 5) -> list[datetime]:
    """The next ``count`` due times after ``after``."""
    out, at = [], as_utc(after)
    for _ in range(count):
        at = next_after(timing, at, anchor=at if not timing.cron and out else None)
        out.append(at)
    return out


def check(timing: Timing, min_interval: int, now: datetime) -> Timing:
    """``timing`` cleaned, or why it cannot be a schedule.

    Raises:
        InvalidInput: ``schedules.cron_or_interval``, ``schedules.bad_cron``,
            ``schedules.bad_timezone``, ``schedules.too_often``,
            ``schedules.bad_interval``.
    """
    cron = " ".join(str(timing.cron or "").split())
    interval = int(timing.interval_seconds or 0)
    tz = zone(timing.timezone or "UTC")
    if bool(cron) == bool(interval):
        raise InvalidInput("schedules.cron_or_interval")
    if interval:
        if not min_interval <= interval <= MAX_INTERVAL:
            raise InvalidInput("schedules.bad_interval", min=min_interval, max=MAX_INTERVAL)
        return Timing("", tz.key, interval)
    fields = cron.split()
    if len(cron) > 120 or not (cron.startswith("@") and len(fields) == 1 or len(fields) == 5) \
            or not croniter.is_valid(cron):
        raise InvalidInput("schedules.bad_cron")
    times = upcoming(Timing(cron, tz.key), now, 50)
    if min((b - a).total_seconds() for a, b in zip(times, times[1:])) < min_interval:
        raise InvalidInput("schedules.too_often", min=min_interval)
    return Timing(cron, tz.key, 0)

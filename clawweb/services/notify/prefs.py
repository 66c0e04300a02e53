"""Per-user choices: which events go to which channel, per project or for all; quiet hours.

With nothing chosen, the in-app centre gets every event (it is not a channel
here: it always does), Web Push and a user's own chat channels get approvals
and failures (``events.defaults``). A choice for one project wins over the
choice for all projects. During quiet hours, in the user's own time zone,
only approval events go out; the rest are still in the centre.
"""

from __future__ import annotations

import functools
import re
from datetime import datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlmodel import Session, select

from clawweb.models import NotifyChannel, NotifyPref, NotifySettings, User, utcnow
from clawweb.services import audit
from clawweb.services.errors import InvalidInput, NotFound
from clawweb.services.notify import events

PUSH = "push"
ALL_PROJECTS = 0
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def channel_ref(channel_id: int) -> str:
    """How a NotifyPref row names a user's own chat channel."""
    return f"ch:{channel_id}"


def events_for(*, session: Session, user_id: int, project_id: int | None,
               channel: str) -> list[str]:
    """The events ``channel`` ("push" or "ch:<id>") carries for one project."""
    rows = {r.project_id: r for r in session.exec(select(NotifyPref).where(
        NotifyPref.user_id == user_id, NotifyPref.channel == channel,
        NotifyPref.project_id.in_([ALL_PROJECTS, project_id or ALL_PROJECTS])))}
    row = rows.get(project_id or ALL_PROJECTS) or rows.get(ALL_PROJECTS)
    if row is not None:
        return events.clean(row.events)
    return events.defaults("push" if channel == PUSH else "channel")


def _check_channel(session: Session, user: User, channel: str) -> None:
    if channel == PUSH:
        return
    try:
        channel_id = int(channel.removeprefix("ch:")) if channel.startswith("ch:") else 0
    except ValueError:
        channel_id = 0
    row = session.get(NotifyChannel, channel_id) if channel_id else None
    if row is None or row.owner_type != "user" or row.owner_id != user.id:
        raise NotFound()


def _check_project(session: Session, user: User, project_id: int) -> None:
    if project_id == ALL_PROJECTS:
        return
    from clawweb.services.projects import service as projects  # noqa: PLC0415 - imports a lot

    projects.get_project(session=session, user=user, project_id=project_id)


def set_events(*, session: Session, user: User, project_id: int, channel: str,
               chosen: list[str], ip: str = "") -> list[str]:
    """Choose the events of one of the user's channels for a project (0: all).

    Raises:
        NotFound: the channel is not the user's, or the project is not visible to them.
    """
    _check_channel(session, user, channel)
    _check_project(session, user, project_id)
    chosen = events.clean(chosen)
    row = session.exec(select(NotifyPref).where(
        NotifyPref.user_id == user.id, NotifyPref.project_id == project_id,
        NotifyPref.channel == channel)).first()
    row = row or NotifyPref(user_id=user.id, project_id=project_id, channel=channel)
    row.events, row.updated_at = chosen, utcnow()
    session.add(row)
    audit.record(session=session, actor=user, action="notify.prefs", object_type="user",
                 object_id=user.id, after={"project_id": project_id, "channel": channel,
                                           "events": chosen}, ip=ip)
    session.commit()
    return chosen


def reset_project(*, session: Session, user: User, project_id: int) -> None:
    """Forget a project's own choices: it follows "all projects" again."""
    if project_id == ALL_PROJECTS:
        return
    for row in session.exec(select(NotifyPref).where(
            NotifyPref.user_id == user.id, NotifyPref.project_id == project_id)):
        session.delete(row)
    session.commit()


def quiet_settings(*, session: Session, user_id: int) -> NotifySettings:
    """The user's row, or the defaults (UTC, no quiet hours) when none is stored."""
    return session.get(NotifySettings, user_id) or NotifySettings(user_id=user_id)


@functools.lru_cache(maxsize=1)
def timezones() -> frozenset[str]:
    """IANA zone names this system knows (tzdata)."""
    return frozenset(available_timezones())


def valid_timezone(name: str) -> bool:
    if not name or name not in timezones():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def set_quiet_hours(*, session: Session, user: User, timezone: str, start: str, end: str,
                    ip: str = "") -> NotifySettings:
    """Store quiet hours ("HH:MM" to "HH:MM" in ``timezone``; empty start and end: none).

    Raises:
        InvalidInput: an unknown time zone, a malformed time, or start equal to end.
    """
    timezone, start, end = (timezone or "").strip(), (start or "").strip(), (end or "").strip()
    if not valid_timezone(timezone):
        raise InvalidInput("notify.prefs.bad_timezone")
    if bool(start) != bool(end) or (start and (not _HHMM.match(start) or not _HHMM.match(end))):
        raise InvalidInput("notify.prefs.bad_time")
    if start and start == end:
        raise InvalidInput("notify.prefs.same_time")
    row = session.get(NotifySettings, user.id) or NotifySettings(user_id=user.id)
    row.timezone, row.quiet_start, row.quiet_end, row.updated_at = timezone, start, end, utcnow()
    session.add(row)
    audit.record(session=session, actor=user, action="notify.quiet_hours", object_type="user",
                 object_id=user.id, after={"timezone": timezone, "start": start, "end": end},
                 ip=ip)
    session.commit()
    return row


def _clock(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def in_quiet_hours(row: NotifySettings, now: datetime | None = None) -> bool:
    """Whether ``now`` (aware; default: now) falls in the row's quiet hours."""
    if not row.quiet_start or not row.quiet_end:
        return False
    try:
        local = (now or utcnow()).astimezone(ZoneInfo(row.timezone or "UTC")).time()
    except (ZoneInfoNotFoundError, ValueError):
        local = (now or utcnow()).time()
    start, end = _clock(row.quiet_start), _clock(row.quiet_end)
    if start < end:
        return start <= local < end
    return local >= start or local < end  # across midnight, e.g. 22:00 to 07:00


def lets_through(*, session: Session, user_id: int, event: str,
                 now: datetime | None = None) -> bool:
    """False for a non-approval event during the user's quiet hours."""
    if events.get(event).approval:
        return True
    return not in_quiet_hours(quiet_settings(session=session, user_id=user_id), now)

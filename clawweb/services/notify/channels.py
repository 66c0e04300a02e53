"""Chat, mail and webhook channels of a user or of a project, sent through apprise.

A user adds their own channels; a project's owner adds the project's (the
team's group chat hears about failures). The apprise URL is sealed with
``crypto`` and bound to its row, the list shows only a masked hint, and a
failure is told as "HTTP 403" or "connection failed", never with the URL.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import apprise
from sqlmodel import Session, select

from clawweb import routes
from clawweb.i18n import LANGUAGES, t
from clawweb.models import (ChannelHealth, NotifyChannel, NotifyPref, ProjectRole, User,
                            iso_utc)
from clawweb.services import audit, crypto
from clawweb.services.accounts import auth_sessions
from clawweb.services.errors import InvalidInput, NotFound
from clawweb.services.notify import channel_kinds, events, targets, text
from clawweb.settings import get_settings

log = logging.getLogger(__name__)

MAX_PER_OWNER = 20
MAX_NAME = 100
_STATUS = re.compile(r"error=(\d{3})")


def key_of(channel_id: int) -> str:
    """The channel's name in Delivery and ChannelHealth rows."""
    return f"ch:{channel_id}"


def _aad(row: NotifyChannel) -> str:
    return f"notify-channel:{row.id}:{row.owner_type}:{row.owner_id}"


def _require_owner(session: Session, user: User, project_id: int) -> None:
    from clawweb.services.projects import service as projects  # noqa: PLC0415 - imports a lot

    projects.get_project(session=session, user=user, project_id=project_id,
                         at_least=ProjectRole.owner)


def _manageable(session: Session, user: User, channel_id: int) -> NotifyChannel:
    row = session.get(NotifyChannel, channel_id)
    if row is None:
        raise NotFound()
    if row.owner_type == "user":
        if row.owner_id != user.id:
            raise NotFound()
    else:
        _require_owner(session, user, row.owner_id)
    return row


def add(*, session: Session, user: User, kind: str, values: dict[str, str], name: str = "",
        project_id: int | None = None, language: str = "", ip: str = "") -> NotifyChannel:
    """Add a channel of the user (``project_id`` None) or of a project they own.

    Raises:
        InvalidInput: bad kind or values, a name too long, too many channels.
        PermissionDenied / NotFound: not the project's owner.
    """
    url, hint = channel_kinds.build(kind, values)
    owner_type, owner_id = ("project", project_id) if project_id else ("user", user.id)
    if owner_type == "project":
        _require_owner(session, user, owner_id)
    name = (name or "").strip()
    if len(name) > MAX_NAME:
        raise InvalidInput("notify.channel.name_too_long")
    count = len(session.exec(select(NotifyChannel.id).where(
        NotifyChannel.owner_type == owner_type, NotifyChannel.owner_id == owner_id)).all())
    if count >= MAX_PER_OWNER:
        raise InvalidInput("notify.channel.too_many", max=MAX_PER_OWNER)
    reads = text.language(auth_sessions.device_language(session=session, user=user))
    row = NotifyChannel(owner_type=owner_type, owner_id=owner_id, kind=kind,
                        name=name or t(channel_kinds.KINDS[kind].label_key, reads),
                        hint=hint, language=language if language in LANGUAGES else reads,
                        created_by=user.id,
                        events=events.defaults("team") if owner_type == "project" else [])
    session.add(row)
    session.flush()  # the id binds the ciphertext to this row
    row.ciphertext = crypto.encrypt(url, aad=_aad(row))
    audit.record(session=session, actor=user, action="notify.channel_add",
                 object_type="notify_channel", object_id=row.id,
                 after={"kind": kind, "owner": f"{owner_type}:{owner_id}", "name": row.name},
                 ip=ip)
    session.commit()
    return row


def remove(*, session: Session, user: User, channel_id: int, ip: str = "") -> None:
    row = _manageable(session, user, channel_id)
    for pref in session.exec(select(NotifyPref).where(NotifyPref.channel == key_of(row.id))):
        session.delete(pref)
    health = session.get(ChannelHealth, key_of(row.id))
    if health is not None:
        session.delete(health)
    session.delete(row)
    audit.record(session=session, actor=user, action="notify.channel_remove",
                 object_type="notify_channel", object_id=channel_id, ip=ip)
    session.commit()


def set_team_events(*, session: Session, user: User, channel_id: int, chosen: list[str],
                    ip: str = "") -> list[str]:
    """The events a project channel hears (its owner chooses)."""
    row = _manageable(session, user, channel_id)
    if row.owner_type != "project":
        raise NotFound()
    row.events = events.clean(chosen)
    session.add(row)
    audit.record(session=session, actor=user, action="notify.channel_events",
                 object_type="notify_channel", object_id=row.id,
                 after={"events": row.events}, ip=ip)
    session.commit()
    return row.events


def resume(*, session: Session, user: User, channel_id: int) -> None:
    """Close the circuit breaker of a channel the user manages."""
    row = _manageable(session, user, channel_id)
    health = session.get(ChannelHealth, key_of(row.id))
    if health is not None:
        health.failures, health.paused_at, health.last_error = 0, None, ""
        session.add(health)
        session.commit()


def user_channels(*, session: Session, user_id: int) -> list[NotifyChannel]:
    return list(session.exec(select(NotifyChannel).where(
        NotifyChannel.owner_type == "user", NotifyChannel.owner_id == user_id)
        .order_by(NotifyChannel.id)))


def project_channels(*, session: Session, project_id: int) -> list[NotifyChannel]:
    return list(session.exec(select(NotifyChannel).where(
        NotifyChannel.owner_type == "project", NotifyChannel.owner_id == project_id)
        .order_by(NotifyChannel.id)))


def for_manager(*, session: Session, user: User, channel_id: int) -> NotifyChannel:
    """The channel, when ``user`` may test, change or remove it."""
    return _manageable(session, user, channel_id)


def as_public(row: NotifyChannel, health: ChannelHealth | None) -> dict[str, Any]:
    """What the list shows: kind, name, masked hint, breaker state. Never the URL."""
    return {"id": row.id, "kind": row.kind, "name": row.name, "hint": row.hint,
            "owner_type": row.owner_type, "owner_id": row.owner_id,
            "language": row.language, "events": list(row.events or []),
            "paused": bool(health and health.paused_at), "failures": health.failures if health
            else 0, "last_error": health.last_error if health else "",
            "created": iso_utc(row.created_at)}


def _reason(logs: str) -> str:
    found = _STATUS.search(logs)
    if found:
        return f"HTTP {found.group(1)}"
    lowered = logs.lower()
    if "connection" in lowered or "socket" in lowered or "timed out" in lowered:
        return "connection failed"
    return "refused"


def send(row: NotifyChannel, message: text.Message) -> tuple[bool, str]:
    """Send one message; returns (delivered, a reason safe to show)."""
    try:
        url = crypto.decrypt(row.ciphertext, aad=_aad(row))
    except crypto.SecretUnreadable:
        return False, "channel unreadable"
    refused = targets.refusal(url)
    if refused:
        return False, refused
    # No icons: apprise would otherwise hand every service a URL of its own
    # (an image on github.com) for the receiving app to fetch.
    asset = apprise.AppriseAsset(storage_mode="memory", app_id="clawweb",
                                 app_desc="clawweb", app_url=get_settings().origin,
                                 image_url_mask="", image_url_logo="", image_path_mask="")
    target = apprise.Apprise(asset=asset)
    if not target.add(url):
        return False, "channel invalid"
    link = get_settings().origin + message.link if message.link else ""
    body = message.body + (f"\n{link}" if link else "")
    with apprise.LogCapture(level=logging.INFO) as captured:
        ok = target.notify(title=message.title, body=body,
                           body_format=apprise.NotifyFormat.TEXT)
        logs = captured.getvalue()
    return (True, "") if ok else (False, _reason(logs))


def test_message(lang: str) -> text.Message:
    lang = text.language(lang)
    return text.Message(title=t("notify.test.title", lang), body=t("notify.test.body", lang),
                        link=routes.NOTIFICATIONS)

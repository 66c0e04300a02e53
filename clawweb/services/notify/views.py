"""Read models for the notification pages: plain dicts, text in the reader's language.

Everything here is about the caller only: their notifications, their own
channels and the channels of projects they own, their devices, their log.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from clawweb.i18n import t
from clawweb.models import ChannelHealth, NotifySettings, ProjectRole, User, iso_utc
from clawweb.services.notify import centre, channel_kinds, channels, delivery, events, prefs, push
from clawweb.services.notify import text


def event_label(key: str, lang: str) -> str:
    name_key = "notify.name." + key.replace(".", "_")
    return t(name_key, lang)


def centre_rows(session: Session, user: User, lang: str) -> list[dict[str, Any]]:
    return [centre.as_public(r, lang) for r in centre.list_for(session=session, user_id=user.id)]


def projects_of(session: Session, user: User, at_least: ProjectRole = ProjectRole.viewer):
    """(id, name) of projects the user has at least ``at_least`` on."""
    from clawweb.models import PROJECT_ROLE_RANK
    from clawweb.services import access
    from clawweb.services.projects import service as projects  # noqa: PLC0415 - imports a lot

    out = []
    for project in projects.list_projects(session=session, user=user):
        role = access.require_role(session=session, user=user, project_id=project.id,
                                   at_least=ProjectRole.viewer)
        if PROJECT_ROLE_RANK[role] >= PROJECT_ROLE_RANK[at_least]:
            out.append((project.id, project.name))
    return out


def pref_cards(session: Session, user: User, project_id: int, lang: str) -> list[dict[str, Any]]:
    """One card per channel of the user (push first) with each event on or off."""
    targets = [(prefs.PUSH, t("notify.channel.push", lang), "push")]
    targets += [(prefs.channel_ref(c.id), c.name, c.kind)
                for c in channels.user_channels(session=session, user_id=user.id)]
    cards = []
    for ref, name, kind in targets:
        chosen = set(prefs.events_for(session=session, user_id=user.id,
                                      project_id=project_id or None, channel=ref))
        cards.append({"channel": ref, "name": name, "kind": kind, "events": [
            {"key": k, "label": event_label(k, lang), "on": k in chosen} for k in events.ORDER]})
    return cards


def quiet_view(session: Session, user: User) -> dict[str, str]:
    stored = session.get(NotifySettings, user.id)
    row = stored or prefs.quiet_settings(session=session, user_id=user.id)
    # "" until the user saves quiet hours: the page offers the browser's zone instead of
    # the UTC a default row means.
    return {"timezone": row.timezone if stored else "", "start": row.quiet_start,
            "end": row.quiet_end}


def channel_rows(session: Session, user: User, lang: str) -> list[dict[str, Any]]:
    """The user's own channels, then those of the projects they own."""
    rows = [(c, "") for c in channels.user_channels(session=session, user_id=user.id)]
    for project_id, name in projects_of(session, user, ProjectRole.owner):
        rows += [(c, name) for c in channels.project_channels(session=session,
                                                              project_id=project_id)]
    out = []
    for row, project in rows:
        public = channels.as_public(row, session.get(ChannelHealth, channels.key_of(row.id)))
        heard = set(public["events"])
        boxes = [{"key": k, "label": event_label(k, lang), "on": k in heard}
                 for k in events.ORDER] if row.owner_type == "project" else []
        out.append({**public, "project": project,
                    "kind_label": t(channel_kinds.KINDS[row.kind].label_key, lang)
                    if row.kind in channel_kinds.KINDS else row.kind,
                    "events_text": ", ".join(event_label(k, lang) for k in public["events"]),
                    "event_boxes": boxes})
    return out


def device_rows(session: Session, user: User) -> list[dict[str, Any]]:
    return [push.as_public(r) for r in push.devices(session=session, user_id=user.id)]


def log_rows(session: Session, user: User, lang: str) -> list[dict[str, Any]]:
    owned = [pid for pid, _ in projects_of(session, user, ProjectRole.owner)]
    out = []
    for row in delivery.log_for(session=session, user_id=user.id, project_ids=owned):
        label = delivery.channel_label(session, row.channel_key)
        kind = label["kind"]
        kind_text = t("notify.channel.push", lang) if kind == "push" else (
            t(channel_kinds.KINDS[kind].label_key, lang) if kind in channel_kinds.KINDS
            else t("notify.channel.removed", lang))
        title = text.render(row.event, row.params, lang).title
        out.append({"id": row.id, "created": iso_utc(row.created_at), "channel": kind_text,
                    "channel_name": label["name"], "title": title, "status": row.status,
                    "status_text": t(f"notify.status.{row.status}", lang),
                    "reason": row.reason, "attempts": row.attempts,
                    "grouped": row.group_id is not None})
    return out


def kind_options(lang: str) -> list[dict[str, str]]:
    return [{"value": k, "label": t(v.label_key, lang)} for k, v in channel_kinds.KINDS.items()]


def kind_fields(kind: str, lang: str) -> list[dict[str, Any]]:
    spec = channel_kinds.KINDS.get(kind)
    if spec is None:
        return []
    return [{"name": f.name, "label": t(f.label_key, lang), "secret": f.secret,
             "required": f.required, "placeholder": f.placeholder} for f in spec.fields]

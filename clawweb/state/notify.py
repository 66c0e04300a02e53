"""The notification pages: the centre, preferences, channels, devices, delivery log.

Handlers act for the caller only: their own rows come from services that take
the user from the session, never an owner id from the browser; a channel id
from the browser is checked by ``channels.for_manager`` (own channel, or a
channel of a project the caller owns). Texts are made in the reader's language.
"""

from __future__ import annotations

import asyncio
from typing import Any

import reflex as rx

from clawweb.db import session_scope
from clawweb.i18n import t
from clawweb.models import ProjectRole
from clawweb.services.accounts import auth_sessions
from clawweb.services.errors import InvalidInput, ServiceError
from clawweb.services.notify import centre, channels, events, prefs, push, views
from clawweb.state.access import signed_in, streaming
from clawweb.state.account import summarize_user_agent
from clawweb.state.base import AppState

ENABLE_JS = ("window.clawwebPush ? window.clawwebPush.enable() "
             ": Promise.resolve({ok: false, error: 'unsupported'})")
DEFAULT_KIND = "webhook"


def _int(value, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _chosen(form: dict) -> list[str]:
    return [key for key in events.ORDER if str(form.get(f"ev:{key}", "")) in ("on", "true")]


def _send_test(user, channel_id: int) -> tuple[bool, str]:
    with session_scope() as s:
        row = channels.for_manager(session=s, user=user, channel_id=channel_id)
        lang = row.language if row.owner_type == "project" else \
            auth_sessions.device_language(session=s, user=user)
        ok, reason = channels.send(row, channels.test_message(lang))
        if ok:  # a channel that works again is resumed
            channels.resume(session=s, user=user, channel_id=channel_id)
        return ok, reason


class NotifyState(AppState):
    items: list[dict[str, Any]] = []
    items_loaded: bool = False
    scope: str = "0"
    scope_options: list[dict[str, str]] = []
    cards: list[dict[str, Any]] = []
    channel_rows: list[dict[str, Any]] = []
    owner_options: list[dict[str, str]] = []
    kind_options: list[dict[str, str]] = []
    new_kind: str = DEFAULT_KIND
    new_fields: list[dict[str, Any]] = []
    channel_error: str = ""
    testing_id: int = 0
    devices: list[dict[str, Any]] = []
    push_paused: bool = False
    log: list[dict[str, Any]] = []

    # -- the centre ----------------------------------------------------------------------
    @rx.event
    @signed_in
    def load_centre(self):
        user = self.require_user()
        with session_scope() as s:
            self.items = views.centre_rows(s, user, self.lang)
        self.items_loaded = True

    @rx.event
    @signed_in
    def open_item(self, notification_id: int):
        """Mark one of the caller's notifications read and go where it points."""
        user = self.require_user()
        with session_scope() as s:
            link = centre.open_item(session=s, user_id=user.id,
                                    notification_id=_int(notification_id))
            self.items = views.centre_rows(s, user, self.lang)
        return rx.redirect(link)

    @rx.event
    @signed_in
    def mark_all_read(self):
        user = self.require_user()
        with session_scope() as s:
            centre.mark_all_read(session=s, user_id=user.id)
            self.items = views.centre_rows(s, user, self.lang)

    # -- preferences (quiet hours: state/quiet_hours.py) -----------------------------
    def _load_prefs(self, user) -> None:
        with session_scope() as s:
            scopes = [{"value": "0", "label": self.tr("notify.ui.all_projects")}]
            scopes += [{"value": str(pid), "label": name}
                       for pid, name in views.projects_of(s, user)]
            if self.scope not in {o["value"] for o in scopes}:
                self.scope = "0"
            self.scope_options = scopes
            self.cards = views.pref_cards(s, user, _int(self.scope), self.lang)

    @rx.event
    @signed_in
    def load_settings(self):
        self._load_prefs(self.require_user())

    @rx.event
    @signed_in
    def choose_scope(self, value: str):
        """Show the choices for all projects ("0") or for one project."""
        self.scope = str(_int(value))
        self._load_prefs(self.require_user())

    @rx.event
    @signed_in
    def save_channel_events(self, form: dict):
        """One channel's events for the shown scope (checkboxes ``ev:<event>``)."""
        user = self.require_user()
        with session_scope() as s:
            prefs.set_events(session=s, user=user, project_id=_int(self.scope),
                             channel=str(form.get("channel", ""))[:48], chosen=_chosen(form),
                             ip=self.client_ip)
        self._load_prefs(user)
        return rx.toast.success(self.tr("notify.ui.saved"))

    @rx.event
    @signed_in
    def reset_scope(self):
        """Make the shown project follow the choices for all projects again."""
        user = self.require_user()
        with session_scope() as s:
            prefs.reset_project(session=s, user=user, project_id=_int(self.scope))
        self._load_prefs(user)

    # -- channels --------------------------------------------------------------------------
    def _load_channels(self, user) -> None:
        with session_scope() as s:
            self.channel_rows = views.channel_rows(s, user, self.lang)
            owners = [{"value": "0", "label": self.tr("notify.ui.owner_me")}]
            owners += [{"value": str(pid), "label": name}
                       for pid, name in views.projects_of(s, user, ProjectRole.owner)]
        self.owner_options = owners
        self.kind_options = views.kind_options(self.lang)
        self.new_fields = views.kind_fields(self.new_kind, self.lang)

    @rx.event
    @signed_in
    def load_channels(self):
        self.channel_error = ""
        self._load_channels(self.require_user())

    @rx.event
    @signed_in
    def choose_kind(self, kind: str):
        self.require_user()
        self.new_kind = kind if kind in {o["value"] for o in views.kind_options("en")} \
            else DEFAULT_KIND
        self.new_fields = views.kind_fields(self.new_kind, self.lang)

    @rx.event
    @signed_in
    def add_channel(self, form: dict):
        user = self.require_user()
        values = {f["name"]: str(form.get(f"f:{f['name']}", "") or "") for f in self.new_fields}
        owner = _int(form.get("owner"))
        try:
            with session_scope() as s:
                channels.add(session=s, user=user, kind=self.new_kind, values=values,
                             name=str(form.get("name", ""))[:200], project_id=owner or None,
                             language=str(form.get("language", ""))[:8], ip=self.client_ip)
        except InvalidInput as exc:
            params = dict(exc.params)
            if "field" in params:
                params["field"] = t(f"notify.field.{params['field']}", self.lang)
            self.channel_error = self.tr(exc.key, **params)
            return None
        self.channel_error = ""
        self._load_channels(user)
        return [rx.toast.success(self.tr("notify.ui.channel_added")),
                *[rx.set_value(f"f:{f['name']}", "") for f in self.new_fields]]

    @rx.event
    @signed_in
    def remove_channel(self, channel_id: int):
        user = self.require_user()
        with session_scope() as s:
            channels.remove(session=s, user=user, channel_id=_int(channel_id), ip=self.client_ip)
        self._load_channels(user)

    @rx.event
    @signed_in
    def resume_channel(self, channel_id: int):
        user = self.require_user()
        with session_scope() as s:
            channels.resume(session=s, user=user, channel_id=_int(channel_id))
        self._load_channels(user)
        return rx.toast.success(self.tr("notify.ui.resumed"))

    @rx.event
    @signed_in
    def save_team_events(self, form: dict):
        """The events a project channel hears (its project's owner decides)."""
        user = self.require_user()
        with session_scope() as s:
            channels.set_team_events(session=s, user=user, channel_id=_int(form.get("channel_id")),
                                     chosen=_chosen(form), ip=self.client_ip)
        self._load_channels(user)
        return rx.toast.success(self.tr("notify.ui.saved"))

    @rx.event(background=True)
    @streaming
    async def test_channel(self, channel_id: int):
        """Send a test message through a channel the caller manages, off the event loop."""
        async with self:
            user = self.current_user()
            if user is None or self.testing_id:
                return
            self.testing_id = _int(channel_id)
        try:
            ok, reason = await asyncio.to_thread(_send_test, user, _int(channel_id))
        except ServiceError:
            ok, reason = None, ""
        async with self:
            self.testing_id = 0
            if ok is None:
                yield rx.toast.error(self.tr("errors.not_found"))
                return
            self._load_channels(user)
            yield (rx.toast.success(self.tr("notify.ui.test_sent")) if ok else
                   rx.toast.error(self.tr("notify.ui.test_failed", reason=reason)))

    # -- devices and the log -----------------------------------------------------------------
    def _load_devices(self, user) -> None:
        with session_scope() as s:
            rows = views.device_rows(s, user)
            self.push_paused = push.paused(session=s, user_id=user.id)
        unknown = self.tr("account.unknown_device")
        self.devices = [{**r, "device": summarize_user_agent(r["user_agent"]) or unknown}
                        for r in rows]

    @rx.event
    @signed_in
    def load_devices(self):
        self._load_devices(self.require_user())

    @rx.event
    @signed_in
    def enable_push(self):
        """Ask this browser for permission and subscribe it (clawweb-push.js does the work)."""
        self.require_user()
        return rx.call_script(ENABLE_JS, callback=NotifyState.push_enabled)

    @rx.event
    @signed_in
    def push_enabled(self, result: dict):
        """The browser's answer to ``enable_push``: reload the devices, say how it went."""
        self._load_devices(self.require_user())
        result = result if isinstance(result, dict) else {}
        if result.get("ok") is True:
            return rx.toast.success(self.tr("notify.ui.push_on"))
        error = str(result.get("error", ""))
        key = {"denied": "notify.ui.push_denied", "unsupported": "notify.ui.push_unsupported"
               }.get(error, "notify.ui.push_failed")
        return rx.toast.error(self.tr(key))

    @rx.event
    @signed_in
    def remove_device(self, device_id: int):
        user = self.require_user()
        with session_scope() as s:
            push.unsubscribe(session=s, user=user, subscription_id=_int(device_id),
                             ip=self.client_ip)
        self._load_devices(user)

    @rx.event
    @signed_in
    def resume_push(self):
        """Close the circuit breaker of the caller's own Web Push."""
        user = self.require_user()
        with session_scope() as s:
            push.resume(session=s, user_id=user.id)
            s.commit()
        self._load_devices(user)
        return rx.toast.success(self.tr("notify.ui.push_resumed"))

    @rx.event
    @signed_in
    def load_log(self):
        user = self.require_user()
        with session_scope() as s:
            self.log = views.log_rows(s, user, self.lang)

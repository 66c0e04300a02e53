"""The quiet-hours form: stored zone and hours, or this browser's zone offered.

A user who never saved a zone means UTC; the form offers the zone the browser
reports (``Intl``), checked against the zone list, so saving the hours saves the
zone the person lives in, not UTC by surprise.
"""

from __future__ import annotations

import reflex as rx

from clawweb.db import session_scope
from clawweb.services.notify import prefs, views
from clawweb.state.access import signed_in
from clawweb.state.base import AppState


class QuietHoursState(AppState):
    quiet: dict[str, str] = {}
    browser_zone: str = ""  # the browser's IANA zone, offered while none is stored

    @rx.var
    def quiet_zone(self) -> str:
        """The zone the form shows: the stored one, else this browser's, else UTC."""
        return self.quiet.get("timezone") or self.browser_zone or "UTC"

    @rx.var
    def zone_from_browser(self) -> bool:
        return not self.quiet.get("timezone") and bool(self.browser_zone)

    def _load(self, user) -> None:
        with session_scope() as s:
            self.quiet = views.quiet_view(s, user)

    @rx.event
    @signed_in
    def load_quiet(self):
        """on_load of the settings page; asks the browser for its zone."""
        self._load(self.require_user())
        return rx.call_script("Intl.DateTimeFormat().resolvedOptions().timeZone",
                              callback=QuietHoursState.got_browser_zone)

    @rx.event
    @signed_in
    def got_browser_zone(self, zone: str):
        """The browser's answer to ``load_quiet``: kept only if it names a known zone."""
        self.require_user()
        zone = str(zone or "")[:64]
        self.browser_zone = zone if prefs.valid_timezone(zone) else ""

    @rx.event
    @signed_in
    def save_quiet(self, form: dict):
        user = self.require_user()
        with session_scope() as s:
            prefs.set_quiet_hours(session=s, user=user, timezone=str(form.get("timezone", ""))[:64],
                                  start=str(form.get("start", ""))[:5],
                                  end=str(form.get("end", ""))[:5], ip=self.client_ip)
        self._load(user)
        return rx.toast.success(self.tr("notify.ui.saved"))

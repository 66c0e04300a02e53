"""Account: profile, language, own password, model credential, signed-in devices.

Handlers act only on the caller's own user and sessions: the user comes from
the session token, never from an id the browser sends, and revoking a session
goes through ``auth_sessions.revoke``, which refuses someone else's.
"""

from __future__ import annotations

import asyncio
import dataclasses

import reflex as rx

from clawweb import routes
from clawweb.db import session_scope
from clawweb.i18n import LANGUAGES, pick_language
from clawweb.models import iso_utc
from clawweb.services.agents import credentials
from clawweb.services.accounts import auth_sessions, profile, users as accounts
from clawweb.services.errors import InvalidInput
from clawweb.state import credential_form
from clawweb.state.access import (allowed_during_password_change, hashes_passwords, signed_in,
                                  streaming)
from clawweb.state.base import AppState
from clawweb.state.live_access import Caller

AUTO = "auto"  # "follow the browser"; radix selects cannot hold an empty value
_MAX_PASSWORD = 4096

# First match wins: Edge and Opera also say "Chrome", Chrome also says "Safari".
_BROWSERS = (("Edg", "Edge"), ("OPR/", "Opera"), ("SamsungBrowser", "Samsung Internet"),
             ("Firefox/", "Firefox"), ("FxiOS", "Firefox"), ("CriOS", "Chrome"),
             ("Chrome/", "Chrome"), ("Safari/", "Safari"), ("curl/", "curl"))
_SYSTEMS = (("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"),
            ("Windows", "Windows"), ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"),
            ("Linux", "Linux"))


def summarize_user_agent(user_agent: str) -> str:
    """A short readable name such as "Chrome · Android", or "" when unknown."""
    browser = next((name for marker, name in _BROWSERS if marker in user_agent), "")
    system = next((name for marker, name in _SYSTEMS if marker in user_agent), "")
    return " · ".join(part for part in (browser, system) if part)


@dataclasses.dataclass
class DeviceRow:
    id: int = 0
    device: str = ""
    user_agent: str = ""
    ip: str = ""
    created: str = ""
    last_seen: str = ""
    current: bool = False


class AccountState(AppState):
    profile_display_name: str = ""
    profile_language: str = AUTO
    profile_error: str = ""
    password_error: str = ""

    devices: list[DeviceRow] = []
    devices_loaded: bool = False
    revoke_id: int = 0
    revoke_device: str = ""
    revoke_is_current: bool = False

    # Model credential: only the masked view, never the secret.
    cred: dict[str, str] = {}
    cred_error: str = ""
    cred_testing: bool = False
    cred_test_msg: str = ""
    cred_test_ok: bool = False
    cred_delete_open: bool = False

    def _me(self, s):
        """(user, session row) for this browser, loaded in the DB session ``s``."""
        found = auth_sessions.resolve(session=s, token=self.session_token)
        if found is None:
            raise PermissionError("not signed in")
        return found

    # -- profile and language ------------------------------------------------------
    @rx.event
    @signed_in
    def load_account(self):
        user = self.require_user()
        self.profile_display_name = user.display_name
        self.profile_language = user.language if user.language in LANGUAGES else AUTO
        self.profile_error = self.password_error = ""
        self.cred_error = self.cred_test_msg = ""
        self.cred_delete_open = False
        self._load_cred(user)

    @rx.event
    @signed_in
    def save_display_name(self, form: dict):
        name = str(form.get("display_name", ""))[:200]
        try:
            with session_scope() as s:
                user, _ = self._me(s)
                profile.set_display_name(session=s, user=user, display_name=name,
                                          ip=self.client_ip)
                self._remember_user(user)
        except InvalidInput as exc:
            self.profile_error = self.tr(exc.key, **exc.params)
            return None
        self.profile_error = ""
        self.profile_display_name = name.strip()
        return rx.toast.success(self.tr("account.profile_saved"))

    @rx.event
    @signed_in
    def save_language(self, value: str):
        """Store the preferred language and switch this browser to it now."""
        language = "" if value == AUTO else str(value)
        with session_scope() as s:
            user, _ = self._me(s)
            profile.set_language(session=s, user=user, language=language, ip=self.client_ip)
        self.profile_language = language or AUTO
        # The browser's stored choice would otherwise win over the profile on reload.
        self.lang_choice = language
        self.lang = language or pick_language(self.router.headers.accept_language)
        return rx.toast.success(self.tr("account.profile_saved"))

    # -- password ----------------------------------------------------------------------
    @rx.event
    @signed_in
    @allowed_during_password_change
    @hashes_passwords
    def change_password(self, form: dict):
        current = str(form.get("current_password", ""))[:_MAX_PASSWORD]
        new = str(form.get("new_password", ""))[:_MAX_PASSWORD]
        if new != str(form.get("repeat_password", ""))[:_MAX_PASSWORD]:
            self.password_error = self.tr("account.passwords_differ")
            return None
        try:
            with session_scope() as s:
                user, row = self._me(s)
                profile.change_own_password(session=s, user=user, current=current, new=new,
                                             ip=self.client_ip, keep_session_id=row.id,
                                             ip_trusted=self.client_ip_trusted)
        except InvalidInput as exc:
            self.password_error = self.tr(exc.key, **exc.params)
            return None
        was_forced = self.must_change_password
        self.must_change_password = False
        self.password_error = ""
        events = [rx.toast.success(self.tr("account.password_changed"))]
        events += [rx.set_value(name, "") for name in
                   ("current_password", "new_password", "repeat_password")]
        if was_forced:
            events.append(rx.redirect(routes.PROJECTS))
        return events

    # -- model credential ------------------------------------------------------------------
    def _load_cred(self, user) -> None:
        with session_scope() as s:
            self.cred = credential_form.view(credentials.user_credential_info(session=s,
                                                                               user=user))

    @rx.event
    @signed_in
    def save_credential(self, form: dict):
        """Store the pasted key or token; the input is cleared, the state keeps the hint."""
        user = self.require_user()
        self.cred_test_msg = ""
        try:
            kind, secret = credential_form.form_values(form)
            with session_scope() as s:
                credentials.set_user_credential(session=s, user=user, kind=kind, secret=secret,
                                                ip=self.client_ip)
        except InvalidInput as exc:
            self.cred_error = self.tr(exc.key, **exc.params)
            return None
        self.cred_error = ""
        self._load_cred(user)
        return [rx.set_value(credential_form.INPUT_ID, ""),
                rx.toast.success(self.tr("ui_agents.credential_saved"))]

    @rx.event(background=True)
    @streaming
    async def test_credential(self):
        """Ask the model endpoint about the stored credential, off the event loop."""
        async with self:
            if self.cred_testing:
                return
            self.cred_testing, self.cred_test_msg = True, ""
            caller = Caller.of(self)
        if not await caller.allowed():
            async with self:
                self.cred_testing = False
            return
        try:
            ok, key = await asyncio.to_thread(credential_form.test_stored,
                                              user_id=caller.user.id)
        except Exception:  # noqa: BLE001 - shown plainly, never a stuck spinner
            ok, key = False, "credentials.test_unreachable"
        async with self:
            self.cred_testing, self.cred_test_ok = False, ok
            self.cred_test_msg = self.tr(key)

    @rx.event
    @signed_in
    def ask_delete_credential(self):
        self.require_user()
        self.cred_delete_open = bool(self.cred)

    @rx.event
    @signed_in
    def set_delete_credential_open(self, open_: bool):
        self.require_user()
        self.cred_delete_open = bool(open_) and bool(self.cred)

    @rx.event
    @signed_in
    def delete_credential(self):
        user = self.require_user()
        self.cred_delete_open = False
        with session_scope() as s:
            credentials.delete_user_credential(session=s, user=user, ip=self.client_ip)
        self.cred_test_msg = ""
        self._load_cred(user)
        return rx.toast.success(self.tr("ui_agents.credential_deleted"))

    # -- devices -------------------------------------------------------------------------
    def _reload_devices(self) -> None:
        mine = auth_sessions.hash_token(self.session_token)
        with session_scope() as s:
            user, _ = self._me(s)
            rows = auth_sessions.list_sessions(session=s, user=user)
        unknown = self.tr("account.unknown_device")
        self.devices = [
            DeviceRow(id=r.id, device=summarize_user_agent(r.user_agent) or unknown,
                      user_agent=r.user_agent, ip=r.ip, created=iso_utc(r.created_at),
                      last_seen=iso_utc(r.last_seen_at), current=r.token_hash == mine)
            for r in rows]
        self.devices_loaded = True

    @rx.event
    @signed_in
    def load_devices(self):
        self.revoke_id = 0
        self._reload_devices()

    @rx.event
    @signed_in
    def ask_revoke(self, session_id: int):
        row = next((d for d in self.devices if d.id == int(session_id)), None)
        if row is None:
            return
        self.revoke_id, self.revoke_device, self.revoke_is_current = \
            row.id, row.device, row.current

    @rx.event
    @signed_in
    def set_revoke_open(self, open_: bool):
        if not open_:
            self.revoke_id = 0

    @rx.event
    @signed_in
    def confirm_revoke(self):
        session_id, current = self.revoke_id, self.revoke_is_current
        self.revoke_id = 0
        if not session_id:
            return None
        with session_scope() as s:
            user, _ = self._me(s)
            auth_sessions.revoke(session=s, actor=user, session_id=session_id,
                                 ip=self.client_ip)
        if current:
            self.session_token = ""
            self._forget_user()
            return [rx.toast.info(self.tr("signin.signed_out")), rx.redirect(routes.LOGIN)]
        self._reload_devices()
        return rx.toast.success(self.tr("account.revoked"))

"""Admin: manage users and browse the audit log.

Every handler is ``admin_only`` and the services check the actor again, so a
client that calls these events directly gets nothing it could not see in the UI.
"""

from __future__ import annotations

import dataclasses
import json

import reflex as rx

from clawweb import routes
from clawweb.db import session_scope
from clawweb.i18n import messages, stored, t
from clawweb.models import iso_utc
from clawweb.services import audit
from clawweb.services.accounts import auth_sessions, throttle, users as accounts
from clawweb.services.errors import InvalidInput
from clawweb.settings import get_settings
from clawweb.state.access import admin_only
from clawweb.state.base import AppState

AUDIT_PAGE = 50
OBJECT_TYPES = ("user", "session", "project", "member", "task", "approval", "credential",
                "setup", "ip")
ANY = "any"  # radix selects cannot hold an empty value
# Actions that take something away are confirmed first; the rest run at once.
CONFIRMED = ("disable", "reset", "make_admin", "make_member")
ACTIONS = (*CONFIRMED, "enable", "unlock")


@dataclasses.dataclass
class UserRow:
    id: int = 0
    username: str = ""
    display_name: str = ""
    role: str = "member"
    disabled: bool = False
    must_change_password: bool = False
    is_self: bool = False
    last_sign_in: str = ""
    # Created with an invite link that was not used yet: no password, never signed in.
    invited: bool = False


@dataclasses.dataclass
class AuditRow:
    id: int = 0
    at: str = ""
    actor: str = ""
    action: str = ""
    # The action in both languages, so a language switch needs no reload.
    action_en: str = ""
    action_zh: str = ""
    object: str = ""
    ip: str = ""
    detail: str = ""
    # A detail that is a message (a bare catalog key or a stored one), both languages.
    detail_en: str = ""
    detail_zh: str = ""
    before: str = ""
    after: str = ""


def user_row(u, actor_id: int, last: dict) -> UserRow:
    """One user for the admin list (``last``: user id -> last sign-in time)."""
    return UserRow(id=u.id, username=u.username, display_name=u.display_name,
                   role=u.role.value, disabled=u.disabled,
                   must_change_password=u.must_change_password, is_self=u.id == actor_id,
                   last_sign_in=iso_utc(last.get(u.id)), invited=not u.password_hash)


def action_labels(code: str) -> tuple[str, str]:
    """An audit action code in English and Chinese (an unknown code as it is)."""
    key = f"audit.action.{code}"
    return (t(key, "en"), t(key, "zh")) if key in messages() else (code, code)


def detail_labels(detail: str) -> tuple[str, str]:
    """An audit detail in English and Chinese: a message key or a stored message
    translated, any other text (a ref, a reason) as it is."""
    if detail in messages():
        return t(detail, "en"), t(detail, "zh")
    return stored.render(detail, "en"), stored.render(detail, "zh")


def _audit_row(event) -> AuditRow:
    def dump(values):
        return json.dumps(values, indent=2, ensure_ascii=False, sort_keys=True) if values else ""

    obj = f"{event.object_type}:{event.object_id}" if event.object_id else event.object_type
    en, zh = action_labels(event.action)
    detail_en, detail_zh = detail_labels(event.detail)
    return AuditRow(id=event.id, at=iso_utc(event.at), actor=event.actor_name, action=event.action,
                    action_en=en, action_zh=zh, object=obj, ip=event.ip, detail=event.detail,
                    detail_en=detail_en, detail_zh=detail_zh, before=dump(event.before),
                    after=dump(event.after))


class AdminState(AppState):
    users: list[UserRow] = []
    users_loaded: bool = False

    create_open: bool = False
    create_error: str = ""
    # A one-time password or invite URL, shown once; cleared when its dialog closes.
    secret_open: bool = False
    secret_value: str = ""
    secret_is_link: bool = False
    secret_username: str = ""

    pending_action: str = ""
    pending_user_id: int = 0
    pending_username: str = ""

    audit: list[AuditRow] = []
    audit_loaded: bool = False
    audit_has_more: bool = False
    filter_action: str = ""
    filter_actor: str = ""
    filter_object: str = ANY
    audit_note: str = ""

    # -- users ------------------------------------------------------------------
    def _reload_users(self) -> None:
        actor = self.require_user()
        with session_scope() as s:
            rows = accounts.list_users(session=s, actor=actor)
            last = accounts.last_sign_ins(session=s, actor=actor)
        self.users = [user_row(u, actor.id, last) for u in rows]
        self.users_loaded = True

    @rx.event
    @admin_only
    def load_users(self):
        self.pending_action = ""
        self._close_secret()
        self._reload_users()

    @rx.event
    @admin_only
    def set_create_open(self, open_: bool):
        self.create_open = bool(open_)
        self.create_error = ""

    @rx.event
    @admin_only
    def create_user(self, form: dict):
        actor = self.require_user()
        mode = str(form.get("mode", "password"))
        try:
            with session_scope() as s:
                user, secret = accounts.create_user(
                    session=s, actor=actor, username=str(form.get("username", ""))[:64],
                    display_name=str(form.get("display_name", ""))[:200],
                    role=str(form.get("role", "member")), mode=mode, ip=self.client_ip)
                username = user.username
        except InvalidInput as exc:
            # Form mistakes stay on the form, where the admin is looking.
            self.create_error = self.tr(exc.key, **exc.params)
            return None
        self.create_open = False
        self._show_secret(username, secret, is_link=mode == "invite")
        self._reload_users()
        return rx.toast.success(self.tr("admin.created", name=username))

    def _show_secret(self, username: str, secret: str, is_link: bool) -> None:
        self.secret_username = username
        self.secret_is_link = is_link
        self.secret_value = get_settings().origin + routes.invite(secret) if is_link else secret
        self.secret_open = True

    def _close_secret(self) -> None:
        self.secret_open = False
        self.secret_value = ""
        self.secret_username = ""

    @rx.event
    @admin_only
    def set_secret_open(self, open_: bool):
        if not open_:
            self._close_secret()

    # -- per-user actions ------------------------------------------------------------
    @rx.event
    @admin_only
    def ask(self, user_id: int, action: str):
        """Start an action on a user: confirm the destructive ones, run the rest."""
        if action not in ACTIONS:
            return None
        row = next((u for u in self.users if u.id == int(user_id)), None)
        if row is None:
            return None
        self.pending_action, self.pending_user_id, self.pending_username = \
            action, row.id, row.username
        if action in CONFIRMED:
            return None
        return self._run_pending()

    @rx.event
    @admin_only
    def set_confirm_open(self, open_: bool):
        if not open_:
            self.pending_action = ""

    @rx.event
    @admin_only
    def confirm(self):
        return self._run_pending()

    def _run_pending(self):
        action, user_id, name = self.pending_action, self.pending_user_id, self.pending_username
        self.pending_action = ""
        if action not in ACTIONS:
            return None
        actor = self.require_user()
        with session_scope() as s:
            message = self._apply(s, actor, action, user_id, name)
        self._reload_users()
        return rx.toast.success(message)

    def _apply(self, s, actor, action: str, user_id: int, name: str) -> str:
        ip = self.client_ip
        if action in ("disable", "enable"):
            accounts.set_disabled(session=s, actor=actor, user_id=user_id,
                                  disabled=action == "disable", ip=ip)
            return self.tr(f"admin.{action}d_done", name=name)
        if action in ("make_admin", "make_member"):
            role = action.removeprefix("make_")
            accounts.set_role(session=s, actor=actor, user_id=user_id, role=role, ip=ip)
            return self.tr("admin.role_done", name=name, role=self.tr(f"admin.role_{role}"))
        if action == "reset":
            secret = accounts.reset_password(session=s, actor=actor, user_id=user_id, ip=ip)
            self._show_secret(name, secret, is_link=False)
            return self.tr("admin.reset_done", name=name)
        throttle.unlock(session=s, actor=actor, username=name, ip=ip)
        return self.tr("admin.unlocked_done", name=name)

    # -- audit log -------------------------------------------------------------------
    def _search(self, before_id: int | None) -> list[AuditRow] | None:
        actor_id = None
        with session_scope() as s:
            if self.filter_actor:
                found = auth_sessions.find_user(session=s, username=self.filter_actor)
                if found is None:
                    self.audit_note = self.tr("admin.actor_unknown", name=self.filter_actor)
                    return None
                actor_id = found.id
            events = audit.search(
                session=s, action_prefix=self.filter_action, actor_id=actor_id,
                object_type="" if self.filter_object == ANY else self.filter_object,
                limit=AUDIT_PAGE + 1, before_id=before_id)
        self.audit_has_more = len(events) > AUDIT_PAGE
        return [_audit_row(e) for e in events[:AUDIT_PAGE]]

    def _reload_audit(self) -> None:
        self.audit_note = ""
        rows = self._search(None)
        self.audit = rows or []
        if rows is None:
            self.audit_has_more = False
        self.audit_loaded = True

    @rx.event
    @admin_only
    def load_audit(self):
        self._reload_audit()

    @rx.event
    @admin_only
    def apply_filters(self, form: dict):
        self.filter_action = str(form.get("action", "")).strip()[:64]
        self.filter_actor = str(form.get("actor", "")).strip()[:64]
        self._reload_audit()

    @rx.event
    @admin_only
    def set_filter_object(self, value: str):
        self.filter_object = value if value in OBJECT_TYPES else ANY
        self._reload_audit()

    @rx.event
    @admin_only
    def clear_filters(self):
        self.filter_action = self.filter_actor = ""
        self.filter_object = ANY
        self._reload_audit()

    @rx.event
    @admin_only
    def load_older(self):
        if not self.audit:
            return None
        rows = self._search(self.audit[-1].id)
        self.audit = self.audit + (rows or [])
        return None

"""Project settings, "Webhooks" section: create, rules, rotate, delete, delivery log.

Owners (and admins) only: every handler goes through
``clawweb.services.webhooks.store``, which checks the caller's role on the
webhook's project. A new secret is shown once (``new_secret``) and forgotten
when the owner closes it or the section reloads; views never carry it.
"""

from __future__ import annotations

from datetime import datetime

import reflex as rx

from clawweb import routes
from clawweb.db import session_scope
from clawweb.models import User
from clawweb.services.errors import ServiceError
from clawweb.services.webhooks import rules, store
from clawweb.state.access import signed_in
from clawweb.state.base import AppState, route_id

_MAX = 100_000
LOG_SHOWN = 20


def _flat(view: dict) -> dict[str, str]:
    return {k: ("1" if v is True else "" if v is False else str(v)) for k, v in view.items()}


def _when(iso: str) -> str:
    return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M:%S UTC") if iso else ""


class WebhooksState(AppState):
    hooks_loaded: bool = False
    hooks: list[dict[str, str]] = []
    hooks_error: str = ""
    new_secret: str = ""  # shown once, right after create or rotate
    new_secret_for: int = 0
    log_for: int = 0
    log: list[dict[str, str]] = []
    hooks_rev: int = 0  # remounts the uncontrolled rule forms with fresh values

    def _project_id(self) -> int:
        return route_id(self, "project_id")

    def _clear(self) -> None:
        self.hooks_loaded, self.hooks, self.log, self.log_for = False, [], [], 0
        self.hooks_error, self.new_secret, self.new_secret_for = "", "", 0

    def _reload(self, user: User) -> None:
        with session_scope() as s:
            rows = store.list_for_project(session=s, user=user, project_id=self._project_id())
            self.hooks = [_flat(store.view(s, h)) for h in rows]
        self.hooks_loaded = True
        self.hooks_rev += 1

    def _log_rows(self, user: User, webhook_id: int) -> list[dict[str, str]]:
        with session_scope() as s:
            rows = store.deliveries(session=s, user=user, webhook_id=webhook_id, limit=LOG_SHOWN)
            views = [store.delivery_view(r) for r in rows]
        return [{"id": str(v["id"]), "at": _when(v["received_at"]), "event": v["event"],
                 "status": v["status"], "delivery_id": v["delivery_id"][:40],
                 "reason": self._reason(v),
                 "task_id": str(v["task_id"] or ""),
                 "task_url": routes.task(v["task_id"]) if v["task_id"] else ""}
                for v in views]

    def _reason(self, view: dict) -> str:
        params = _params(view["params"])
        parts = [_say(self, view["reason"], params)] if view["reason"] else []
        if params.get("reply"):
            parts.append(_say(self, str(params["reply"]), params))
        return " ".join(parts)

    @rx.event
    @signed_in
    def load_webhooks(self):
        """on_mount of the section; shown to owners only, checked again here."""
        user = self.require_user()
        self._clear()
        try:
            self._reload(user)
        except ServiceError:
            self._clear()

    @rx.event
    @signed_in
    def create_webhook(self, form: dict):
        user = self.require_user()
        try:
            with session_scope() as s:
                hook, secret = store.create(session=s, user=user, project_id=self._project_id(),
                                            forge=str(form.get("forge", ""))[:20],
                                            name=str(form.get("name", ""))[:100],
                                            ip=self.client_ip)
                hook_id = hook.id
        except ServiceError as exc:
            self.hooks_error = self.tr(exc.key, **exc.params)
            return None
        self.hooks_error = ""
        self._reload(user)
        self.new_secret, self.new_secret_for = secret, hook_id
        return rx.toast.success(self.tr("ui_webhooks.created"))

    @rx.event
    @signed_in
    def save_rules(self, form: dict):
        user = self.require_user()
        values = {k: str(form.get(k, ""))[:_MAX] for k in rules.TEXT_FIELDS if k in form}
        values.update({k: str(form.get(k, "")).lower() in ("on", "true", "1")
                       for k in rules.FLAGS})
        try:
            with session_scope() as s:
                store.update(session=s, user=user, webhook_id=_id(form.get("webhook_id")),
                             values=values, ip=self.client_ip)
        except ServiceError as exc:
            self.hooks_error = self.tr(exc.key, **exc.params)
            return None
        self.hooks_error = ""
        self._reload(user)
        return rx.toast.success(self.tr("ui_webhooks.saved"))

    @rx.event
    @signed_in
    def rotate_secret(self, webhook_id: int):
        user = self.require_user()
        with session_scope() as s:
            secret = store.rotate_secret(session=s, user=user, webhook_id=_id(webhook_id),
                                         ip=self.client_ip)
        self.new_secret, self.new_secret_for = secret, _id(webhook_id)
        return rx.toast.success(self.tr("ui_webhooks.rotated"))

    @rx.event
    @signed_in
    def forget_secret(self):
        self.require_user()
        self.new_secret, self.new_secret_for = "", 0

    @rx.event
    @signed_in
    def delete_webhook(self, webhook_id: int):
        user = self.require_user()
        with session_scope() as s:
            store.delete(session=s, user=user, webhook_id=_id(webhook_id), ip=self.client_ip)
        self._clear()
        self._reload(user)
        return rx.toast.success(self.tr("ui_webhooks.deleted"))

    @rx.event
    @signed_in
    def show_log(self, webhook_id: int):
        user = self.require_user()
        self.log, self.log_for = [], 0
        self.log = self._log_rows(user, _id(webhook_id))
        self.log_for = _id(webhook_id)

    @rx.event
    @signed_in
    def hide_log(self):
        self.require_user()
        self.log, self.log_for = [], 0


def _id(value) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 0
    return number if 0 < number < 2**31 else 0


def _params(params: dict) -> dict:
    return {k: v for k, v in (params or {}).items() if isinstance(v, (str, int, float))}


def _say(state, key: str, params: dict) -> str:
    """A stored message key in the reader's language; never fails on a missing parameter."""
    try:
        return state.tr(key, **params)
    except (KeyError, IndexError, ValueError):
        return state.tr(key)

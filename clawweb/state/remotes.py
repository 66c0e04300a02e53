"""Project settings, "Remote" section: URL, forge, token, deploy key, host keys, sync.

Owners (and admins) only: every handler goes through the remotes services,
which check the caller's role on the project taken from the page's URL. The
token is typed into an uncontrolled input and never becomes a state var; the
private key never leaves the server. Network work (sync) runs in a background
event off the event loop.
"""

from __future__ import annotations

import asyncio
from typing import Any

import reflex as rx

from clawweb.db import session_scope
from clawweb.models import User
from clawweb.services.errors import ServiceError
from clawweb.services.remotes import store, sync
from clawweb.state.access import signed_in, streaming
from clawweb.state.base import AppState, route_id

TOKEN_INPUT_ID = "remote_token_input"
_MAX = 2000


def _sync_job(user_id: int, project_id: int, ip: str) -> dict[str, Any]:
    """Runs in a worker thread: a fetch can take minutes."""
    with session_scope() as s:
        return sync.sync_now(session=s, user=s.get(User, user_id), project_id=project_id, ip=ip)


def _flat(view: dict[str, Any]) -> dict[str, str]:
    return {k: ("1" if v is True else "" if v is False else str(v))
            for k, v in view.items() if k not in ("host_keys", "last_sync_params")}


class RemoteSettingsState(AppState):
    remote_loaded: bool = False
    remote: dict[str, str] = {}
    host_keys: list[dict[str, str]] = []
    remote_error: str = ""
    token_error: str = ""
    remote_rev: int = 0  # bumps to remount the uncontrolled form with fresh values
    syncing: bool = False
    sync_msg: str = ""
    sync_ok: bool = False
    sync_detail: str = ""

    def _project_id(self) -> int:
        return route_id(self, "project_id")

    def _clear(self) -> None:
        self.remote_loaded, self.remote, self.host_keys = False, {}, []
        self.remote_error = self.token_error = self.sync_msg = self.sync_detail = ""

    def _reload(self, user: User) -> None:
        with session_scope() as s:
            view = store.view(session=s, user=user, project_id=self._project_id())
        self.remote = _flat(view)
        if view["last_sync_result"]:
            self.remote["last_sync_text"] = self.tr(view["last_sync_result"],
                                                    **view["last_sync_params"])
        self.host_keys = [dict(h) for h in view["host_keys"]]
        self.remote_loaded = True
        self.remote_rev += 1

    def _message(self, exc: ServiceError) -> str:
        return self.tr(exc.key, **exc.params)

    @rx.event
    @signed_in
    def load_remote(self):
        """on_mount of the section; shown to owners only, checked again here."""
        user = self.require_user()
        self._clear()
        try:
            self._reload(user)
        except ServiceError:
            self._clear()

    @rx.event
    @signed_in
    def save_remote(self, form: dict):
        user = self.require_user()
        try:
            with session_scope() as s:
                store.save_settings(
                    session=s, user=user, project_id=self._project_id(),
                    url=str(form.get("url", ""))[:_MAX],
                    forge="" if form.get("forge") == "auto" else str(form.get("forge", ""))[:20],
                    forge_api_url=str(form.get("forge_api_url", ""))[:_MAX],
                    token_username=str(form.get("token_username", ""))[:100],
                    sync_before_task=str(form.get("sync_before_task", "")).lower()
                    in ("on", "true", "1"),
                    ip=self.client_ip)
        except ServiceError as exc:
            self.remote_error = self._message(exc)
            return None
        self.remote_error = ""
        self._reload(user)
        return rx.toast.success(self.tr("ui_remotes.saved"))

    @rx.event
    @signed_in
    def save_token(self, form: dict):
        user = self.require_user()
        try:
            with session_scope() as s:
                store.set_token(session=s, user=user, project_id=self._project_id(),
                                token=str(form.get("token", ""))[:5000], ip=self.client_ip)
        except ServiceError as exc:
            self.token_error = self._message(exc)
            return None
        self.token_error = ""
        self._reload(user)
        return [rx.set_value(TOKEN_INPUT_ID, ""),
                rx.toast.success(self.tr("ui_remotes.token_saved"))]

    @rx.event
    @signed_in
    def delete_token(self):
        user = self.require_user()
        with session_scope() as s:
            store.delete_token(session=s, user=user, project_id=self._project_id(),
                               ip=self.client_ip)
        self._reload(user)
        return rx.toast.success(self.tr("ui_remotes.token_deleted"))

    @rx.event
    @signed_in
    def generate_key(self):
        user = self.require_user()
        with session_scope() as s:
            store.generate_deploy_key(session=s, user=user, project_id=self._project_id(),
                                      ip=self.client_ip)
        self._reload(user)
        return rx.toast.success(self.tr("ui_remotes.key_generated"))

    @rx.event
    @signed_in
    def delete_key(self):
        user = self.require_user()
        with session_scope() as s:
            store.delete_deploy_key(session=s, user=user, project_id=self._project_id(),
                                    ip=self.client_ip)
        self._reload(user)
        return rx.toast.success(self.tr("ui_remotes.key_deleted"))

    @rx.event
    @signed_in
    def forget_host_keys(self):
        user = self.require_user()
        with session_scope() as s:
            store.forget_host_keys(session=s, user=user, project_id=self._project_id(),
                                   ip=self.client_ip)
        self._reload(user)
        return rx.toast.success(self.tr("ui_remotes.host_forgotten"))

    @rx.event(background=True)
    @streaming
    async def sync_now(self):
        """Fetch the remote's default branch, showing progress meanwhile."""
        async with self:
            user = self.current_user()
            if user is None or self.syncing:
                return
            project_id, ip = self._project_id(), self.client_ip
            self.syncing, self.sync_msg, self.sync_detail = True, "", ""
        ok, detail = False, ""
        try:
            result = await asyncio.to_thread(_sync_job, user.id, project_id, ip)
            ok, message = True, result["key"]
            params: dict = {}
        except ServiceError as exc:
            message, params = exc.key, exc.params
            detail = getattr(exc, "detail", "")
        except Exception:  # noqa: BLE001 - shown plainly, never a stuck spinner
            message, params = "remotes.failed", {}
        async with self:
            self.syncing, self.sync_ok = False, ok
            self.sync_msg, self.sync_detail = self.tr(message, **params), detail
            try:
                self._reload(user)
            except ServiceError:
                self._clear()  # not an owner: nothing to show

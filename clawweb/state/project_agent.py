"""Project settings, "Claude Code" section: project credential and agent settings.

Owners (and admins) only: every handler loads the project through
``projects.get_project(at_least=owner)`` before reading or changing anything,
and the services check again. The project id comes from the page's URL.
"""

from __future__ import annotations

import asyncio
import re

import reflex as rx

from clawweb.db import session_scope
from clawweb.models import ProjectRole
from clawweb.services.agents import credentials, settings as agent_settings
from clawweb.services.projects import service as projects
from clawweb.services.errors import InvalidInput, ServiceError
from clawweb.state import credential_form
from clawweb.state.access import signed_in, streaming
from clawweb.state.base import AppState, route_id
from clawweb.state.live_access import Caller

_MAX_FIELD = 50_000
# The modes the settings form offers, in the order the service knows them.
PERMISSION_MODES = agent_settings.PERMISSION_MODES


def _owned_project(s, user, project_id: int):
    return projects.get_project(session=s, user=user, project_id=project_id,
                                at_least=ProjectRole.owner)


def _form_view(row) -> dict[str, str]:
    """The settings as the strings the form shows (rules one per line)."""
    return {
        "model": row.model or "", "permission_mode": row.permission_mode or "default",
        "allowed_models": "\n".join(row.allowed_models or []),
        "allowed_tools": "\n".join(row.allowed_tools or []),
        "denied_tools": "\n".join(row.denied_tools or []),
        "max_turns": str(row.max_turns), "budget_usd": f"{row.budget_usd:g}",
        "system_prompt": row.system_prompt or "",
        "approval_timeout_minutes": str(max(1, row.approval_timeout_seconds // 60)),
        "egress_allow_hosts": "\n".join(row.egress_allow_hosts or []),
        "allow_read_only": "on" if row.allow_read_only else "",
        "use_repo_settings": "on" if row.use_repo_settings else "",
    }


def _values(form: dict) -> dict:
    """Form fields → the service's field names (minutes → seconds)."""
    values = {name: str(form.get(name, ""))[:_MAX_FIELD] for name in (
        "model", "permission_mode", "allowed_tools", "denied_tools", "max_turns", "budget_usd",
        "system_prompt", "egress_allow_hosts", "allowed_models")}
    raw = str(form.get("approval_timeout_minutes", "")).strip()
    if not re.fullmatch(r"\d{1,7}", raw):
        raise InvalidInput("ui_agents.bad_minutes")
    values["approval_timeout_seconds"] = int(raw) * 60
    # An unticked checkbox sends nothing: absent means off.
    values["allow_read_only"] = str(form.get("allow_read_only", "")) == "on"
    values["use_repo_settings"] = str(form.get("use_repo_settings", "")) == "on"
    return values


class ProjectAgentState(AppState):
    agent_loaded: bool = False
    agent: dict[str, str] = {}
    allowed_rules: list[str] = []
    agent_error: str = ""
    form_rev: int = 0  # bumps to remount the uncontrolled form with fresh values

    cred: dict[str, str] = {}
    cred_error: str = ""
    cred_testing: bool = False
    cred_test_msg: str = ""
    cred_test_ok: bool = False
    cred_delete_open: bool = False

    def _project_id(self) -> int:
        return route_id(self, "project_id")

    def _clear(self) -> None:
        self.agent_loaded, self.agent, self.allowed_rules = False, {}, []
        self.cred, self.cred_error, self.cred_test_msg, self.agent_error = {}, "", "", ""
        self.cred_delete_open = False

    def _reload(self, user) -> None:
        """Fill the views, or leave them empty when the caller is not an owner."""
        with session_scope() as s:
            project = _owned_project(s, user, self._project_id())
            row = agent_settings.for_project(session=s, project_id=project.id)
            self.agent = _form_view(row)
            self.allowed_rules = list(row.allowed_tools or [])
            self.cred = credential_form.view(
                credentials.project_credential_info(session=s, project=project))
        self.agent_loaded = True
        self.form_rev += 1

    @rx.event
    @signed_in
    def load_agent_settings(self):
        """on_mount of the section; shown to owners only, checked again here."""
        user = self.require_user()
        self._clear()
        try:
            self._reload(user)
        except ServiceError:
            self._clear()  # not an owner: the section stays empty

    @rx.event
    @signed_in
    def save_agent_settings(self, form: dict):
        user = self.require_user()
        try:
            values = _values(form)
            with session_scope() as s:
                project = _owned_project(s, user, self._project_id())
                agent_settings.update(session=s, user=user, project=project, values=values,
                                      ip=self.client_ip)
        except InvalidInput as exc:
            self.agent_error = self.tr(exc.key, **exc.params)
            return None
        self.agent_error = ""
        self._reload(user)
        return rx.toast.success(self.tr("ui_agents.settings_saved"))

    @rx.event
    @signed_in
    def remove_rule(self, rule: str):
        user = self.require_user()
        with session_scope() as s:
            project = _owned_project(s, user, self._project_id())
            agent_settings.remove_allowed_rule(session=s, user=user, project=project,
                                               rule=str(rule)[:600], ip=self.client_ip)
        self._reload(user)
        return rx.toast.success(self.tr("ui_agents.rule_removed"))

    # -- project credential --------------------------------------------------------
    @rx.event
    @signed_in
    def save_credential(self, form: dict):
        user = self.require_user()
        self.cred_test_msg = ""
        try:
            kind, secret = credential_form.form_values(form)
            with session_scope() as s:
                project = _owned_project(s, user, self._project_id())
                credentials.set_project_credential(session=s, user=user, project=project,
                                                   kind=kind, secret=secret, ip=self.client_ip)
        except InvalidInput as exc:
            self.cred_error = self.tr(exc.key, **exc.params)
            return None
        self.cred_error = ""
        self._reload(user)
        return [rx.set_value(credential_form.INPUT_ID, ""),
                rx.toast.success(self.tr("ui_agents.credential_saved"))]

    @rx.event(background=True)
    @streaming
    async def test_credential(self):
        """Check the project's stored credential against the model endpoint."""
        async with self:
            if self.cred_testing:
                return
            project_id = self._project_id()
            caller = Caller.of(self, lambda s, user: _owned_project(s, user, project_id) and None)
        if not await caller.allowed():  # an owner's, checked off the loop
            return
        async with self:
            if self.cred_testing:
                return
            self.cred_testing, self.cred_test_msg = True, ""
        try:
            ok, key = await asyncio.to_thread(credential_form.test_stored, project_id=project_id)
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
            project = _owned_project(s, user, self._project_id())
            credentials.delete_project_credential(session=s, user=user, project=project,
                                                  ip=self.client_ip)
        self.cred_test_msg = ""
        self._reload(user)
        return rx.toast.success(self.tr("ui_agents.credential_deleted"))

"""Projects: list, create (clone in the background), page, settings, members.

Handlers stay thin: resolve the caller, call the projects service (which checks
the caller's role on the project) and keep only plain string views in state.
The project id always comes from the page's URL and is checked by the service.
"""

from __future__ import annotations

import asyncio

import reflex as rx

from clawweb import routes
from clawweb.db import session_scope
from clawweb.models import ProjectRole, User
from clawweb.services.projects import deletion, service as projects, views as project_views
from clawweb.services.projects import members, settings as project_settings
from clawweb.services.errors import InvalidInput, NotFound, PermissionDenied, ServiceError
from clawweb.state.access import signed_in, streaming
from clawweb.state.base import AppState, route_id
from clawweb.state.live_access import Caller

COMMITS_SHOWN = 20
SOURCES = ("empty", "clone")
ROLES = tuple(r.value for r in ProjectRole)


def _create_sync(user_id: int, name: str, description: str, source_url: str, ip: str,
                 remote_token: str = "", deploy_key: bool = False) -> int:
    """Runs in a worker thread: cloning can take minutes."""
    with session_scope() as s:
        project = projects.create_project(session=s, user=s.get(User, user_id), name=name,
                                          description=description, source_url=source_url,
                                          ip=ip, remote_token=remote_token,
                                          deploy_key=deploy_key)
        return project.id


def _delete_sync(user_id: int, project_id: int, confirm: str, ip: str) -> None:
    """Runs in a worker thread: the repository is removed from disk."""
    with session_scope() as s:
        deletion.delete_project(session=s, user=s.get(User, user_id), project_id=project_id,
                                confirm_name=confirm, ip=ip)


def _int_field(form: dict, key: str, field: str, low: int, high: int) -> int:
    try:
        return int(str(form.get(key, "")).strip())
    except ValueError:
        raise InvalidInput("projects.limit_invalid", field=field, low=low, high=high) from None


class ProjectsState(AppState):
    projects: list[dict[str, str]] = []
    loaded: bool = False
    not_found: bool = False

    project: dict[str, str] = {}
    commits: list[dict[str, str]] = []
    members: list[dict[str, str]] = []
    branches: list[str] = []

    # New project form.
    source: str = "empty"
    creating: bool = False
    create_error: str = ""

    # Settings page.
    settings_error: str = ""
    member_error: str = ""
    delete_confirm: str = ""
    deleting: bool = False

    @rx.var
    def is_owner(self) -> bool:
        return self.project.get("role", "") == "owner"

    @rx.var
    def project_ready(self) -> bool:
        """The project page has something to show: its project, or that it is not found.

        ``loaded`` alone is not enough: the list page sets it too, and the project
        page would render an empty project (no name, a "Viewer" badge) until its load.
        """
        return self.loaded and (self.not_found or "id" in self.project)

    @rx.var
    def delete_ready(self) -> bool:
        return bool(self.project) and self.delete_confirm == self.project.get("name", "")

    # -- helpers -------------------------------------------------------------
    def _route_project_id(self) -> int:
        return route_id(self, "project_id")

    def _clear_project(self) -> None:
        self.project, self.commits, self.members, self.branches = {}, [], [], []
        self.not_found = False
        self.settings_error = self.member_error = self.delete_confirm = ""

    def _load_detail(self, user: User, with_settings: bool) -> None:
        """Fill the project views; NotFound leaves only the not-found flag."""
        self._clear_project()
        project_id = self._route_project_id()
        try:
            with session_scope() as s:
                if not project_id:
                    raise NotFound()
                self.project = project_views.project_detail(session=s, user=user,
                                                            project_id=project_id)
                if with_settings:
                    self.members = [{k: str(v) for k, v in m.items()} for m in
                                    members.list_members(session=s, user=user,
                                                         project_id=project_id)]
                    self.branches = projects.branches_for(session=s, user=user,
                                                          project_id=project_id)
                else:
                    self.commits = projects.recent_commits_for(
                        session=s, user=user, project_id=project_id, limit=COMMITS_SHOWN)
        except NotFound:
            self._clear_project()
            self.not_found = True
        self.loaded = True

    def _reload_members(self, user: User) -> None:
        with session_scope() as s:
            self.members = [{k: str(v) for k, v in m.items()} for m in members.list_members(
                session=s, user=user, project_id=self._route_project_id())]

    # -- loaders -------------------------------------------------------------
    @rx.event
    @signed_in
    def load_projects(self):
        user = self.require_user()
        self.loaded = False
        with session_scope() as s:
            self.projects = project_views.project_summaries(session=s, user=user)
        self.loaded = True

    @rx.event
    @signed_in
    def load_project(self):
        self.loaded = False
        self._load_detail(self.require_user(), with_settings=False)

    @rx.event
    @signed_in
    def load_project_settings(self):
        self.loaded = False
        self._load_detail(self.require_user(), with_settings=True)

    @rx.event
    @signed_in
    def load_new_project(self):
        self.require_user()
        self.source, self.creating, self.create_error = "empty", False, ""
        self._clear_project()  # the new project's page must not show an earlier one

    # -- create ----------------------------------------------------------------
    @rx.event
    @signed_in
    def set_source(self, value: str):
        self.require_user()
        if value in SOURCES:
            self.source = value

    @rx.event(background=True)
    @streaming
    async def create_project(self, form: dict):
        """Create (and maybe clone) off the event loop, showing progress meanwhile."""
        async with self:
            if self.creating:
                return None
            self.creating, self.create_error = True, ""
            caller, ip = Caller.of(self), self.client_ip
        try:
            if not await caller.allowed():
                raise PermissionDenied("errors.sign_in_required")
            source = str(form.get("source", ""))
            if source not in SOURCES:
                raise InvalidInput("projects_ui.source_invalid")
            url = str(form.get("source_url", ""))[:2000] if source == "clone" else ""
            if source == "clone" and not url.strip():
                raise InvalidInput("git.url_invalid")
            # A private repository: a token, or a deploy key (see components/remotes.py).
            auth = str(form.get("clone_auth", "public")) if source == "clone" else "public"
            token = str(form.get("remote_token", ""))[:5000] if auth == "token" else ""
            project_id = await asyncio.to_thread(
                _create_sync, caller.user.id, str(form.get("name", ""))[:200],
                str(form.get("description", ""))[:4000], url, ip, token, auth == "deploy_key")
        except Exception as exc:  # noqa: BLE001 - shown on the form, plainly
            async with self:
                self.creating = False
                self.create_error = self.tr(exc.key, **exc.params) \
                    if isinstance(exc, ServiceError) else self.tr("projects.create_failed")
            return None
        async with self:
            self.creating = False
            # A deploy key must be added to the forge first: its settings show it.
            target = routes.project_settings(project_id) if auth == "deploy_key" \
                else routes.project(project_id)
            return [rx.toast.success(self.tr("projects_ui.created")), rx.redirect(target)]

    # -- settings ---------------------------------------------------------------
    @rx.event
    @signed_in
    def save_settings(self, form: dict):
        user = self.require_user()
        self.settings_error = ""
        try:
            minutes = _int_field(form, "task_timeout_minutes", self.tr("projects_ui.timeout"),
                                 1, 1440)
            with session_scope() as s:
                project_settings.update_project(
                    session=s, user=user, project_id=self._route_project_id(),
                    name=str(form.get("name", ""))[:200],
                    description=str(form.get("description", ""))[:4000],
                    default_branch=str(form.get("default_branch", "")) or None,
                    max_concurrent_tasks=_int_field(
                        form, "max_concurrent_tasks", self.tr("projects_ui.max_concurrent"),
                        1, 20),
                    task_timeout_seconds=minutes * 60, ip=self.client_ip)
        except InvalidInput as exc:
            self.settings_error = self.tr(exc.key, **exc.params)
            return None
        self._load_detail(user, with_settings=True)
        return rx.toast.success(self.tr("shell.saved"))

    @rx.event
    @signed_in
    def add_member(self, form: dict):
        user = self.require_user()
        self.member_error = ""
        try:
            with session_scope() as s:
                members.add_member(session=s, user=user, project_id=self._route_project_id(),
                                   username=str(form.get("username", ""))[:64].strip(),
                                   role=str(form.get("role", "")), ip=self.client_ip)
        except InvalidInput as exc:
            self.member_error = self.tr(exc.key, **exc.params)
            return None
        self._reload_members(user)
        return rx.toast.success(self.tr("projects_ui.member_added"))

    @rx.event
    @signed_in
    def set_member_role(self, user_id: str, role: str):
        user = self.require_user()
        with session_scope() as s:
            members.set_member_role(session=s, user=user, project_id=self._route_project_id(),
                                    user_id=int(user_id), role=role, ip=self.client_ip)
        self._reload_members(user)
        return rx.toast.success(self.tr("shell.saved"))

    @rx.event
    @signed_in
    def remove_member(self, user_id: str):
        user = self.require_user()
        with session_scope() as s:
            members.remove_member(session=s, user=user, project_id=self._route_project_id(),
                                  user_id=int(user_id), ip=self.client_ip)
        if int(user_id) == user.id:  # left the project: nothing more to see here
            return [rx.toast.success(self.tr("projects_ui.left")), rx.redirect(routes.PROJECTS)]
        self._reload_members(user)
        return rx.toast.success(self.tr("projects_ui.member_removed"))

    @rx.event
    @signed_in
    def set_delete_confirm(self, value: str):
        self.require_user()
        self.delete_confirm = str(value)[:200]

    @rx.event(background=True)
    @streaming
    async def delete_project(self):
        """Delete the project off the event loop (removing a big repository takes a while).

        A background event, so the tab's state lock is not held meanwhile:
        the page keeps answering and shows that the deletion is under way.
        """
        async with self:
            if self.deleting:
                return None
            self.deleting = True
            caller, ip = Caller.of(self), self.client_ip
            project_id, confirm = self._route_project_id(), self.delete_confirm
        try:
            if not await caller.allowed():
                raise PermissionDenied("errors.sign_in_required")
            await asyncio.to_thread(_delete_sync, caller.user.id, project_id, confirm, ip)
        except Exception as exc:  # noqa: BLE001 - shown as a toast, plainly
            async with self:
                self.deleting = False
                return rx.toast.error(self.tr(exc.key, **exc.params)
                                      if isinstance(exc, ServiceError)
                                      else self.tr("errors.unexpected"))
        async with self:
            self.deleting = False
            self._clear_project()
            return [rx.toast.success(self.tr("projects_ui.deleted")),
                    rx.redirect(routes.PROJECTS)]

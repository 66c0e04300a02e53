"""The file browser (any branch of a project) and the task form's "open in task" prefill.

The browser's place is its URL (``routes.project_files``: branch and path in
the query), so breadcrumbs and entries are plain links, a reload or a shared
link shows the same place, and every navigation runs ``load_files`` again,
which checks the caller's role through the review services.
"""

from __future__ import annotations

import asyncio
from typing import Any

import reflex as rx

from clawweb import routes
from clawweb.db import session_scope
from clawweb.live import files_view
from clawweb.services.errors import ServiceError
from clawweb.services.git import GitError
from clawweb.services.review import gitobj, service
from clawweb.state.access import signed_in
from clawweb.state.base import AppState, route_id

MAX_PREFILL = 4096


def _query(state: rx.State, name: str, limit: int = 4096) -> str:
    return str(state.router.url.query_parameters.get(name, "") or "")[:limit]


def _browse(user, project_id: int, ref: str, path: str) -> dict[str, Any]:
    with session_scope() as s:
        b = service.open_ref(session=s, user=user, project_id=project_id, ref=ref)
    path = gitobj.clean_path(path, allow_root=True)
    out: dict[str, Any] = {
        "where": {"project_id": b.project.id, "project_name": b.project.name, "ref": b.ref,
                  "commit_short": b.commit[:10], "path": path,
                  "is_default": b.ref == b.project.default_branch,
                  "parent": files_view.parent_href(b, path),
                  "project_url": routes.project(b.project.id)},
        "branches": b.branches, "crumbs": files_view.breadcrumbs(b, path),
        "entries": [], "entries_cut": False, "file": {}}
    if service.path_kind(b, path) == "dir":
        entries, cut = service.browse_dir(b, path)
        out["entries"], out["entries_cut"] = files_view.entry_rows(b, entries), cut
    else:
        out["file"] = files_view.file_view(b, service.browse_file(b, path))
    return out


class FilesState(AppState):
    where: dict[str, Any] = {}
    branches: list[str] = []
    crumbs: list[dict[str, str]] = []
    entries: list[dict[str, str]] = []
    entries_cut: bool = False
    file: dict[str, Any] = {}
    files_error: str = ""
    files_loaded: bool = False
    show_source: bool = False

    @rx.event
    @signed_in
    async def load_files(self):
        """/projects/<id>/files?ref=<branch>&path=<path>: a directory or a file."""
        user = await asyncio.to_thread(self.require_user)  # a DB read: off the loop
        self.files_loaded, self.files_error, self.show_source = False, "", False
        project_id = route_id(self, "project_id")
        if not project_id:
            self.files_loaded, self.files_error = True, self.tr("errors.not_found")
            return
        try:
            data = await asyncio.to_thread(_browse, user, project_id,
                                           _query(self, "ref", 255), _query(self, "path"))
        except (ServiceError, GitError) as exc:
            self.where, self.entries, self.file, self.crumbs = {}, [], {}, []
            self.files_loaded, self.files_error = True, self.tr(exc.key, **exc.params)
            return
        self.where, self.branches, self.crumbs = data["where"], data["branches"], data["crumbs"]
        self.entries, self.entries_cut, self.file = (data["entries"], data["entries_cut"],
                                                     data["file"])
        self.files_loaded = True

    @rx.event
    @signed_in
    def choose_branch(self, ref: str):
        """Show the root of another branch (the next load checks it exists)."""
        self.require_user()
        project_id = self.where.get("project_id")
        if not project_id or ref not in self.branches:
            return None
        return rx.redirect(routes.project_files(project_id, ref, ""))

    @rx.event
    @signed_in
    def toggle_source(self):
        """Markdown: rendered or its source text."""
        self.require_user()
        self.show_source = not self.show_source


class TaskPrefillState(AppState):
    """``/projects/<id>?path=<file>``: the task form starts with that path."""

    prefill: str = ""

    @rx.event
    @signed_in
    def load_prefill(self):
        """on_mount of the task form: read ``?path=`` from the URL."""
        self.require_user()
        path = _query(self, "path", MAX_PREFILL)
        self.prefill = f"{path}: " if path and "\n" not in path else ""

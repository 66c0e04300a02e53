"""The prompt box's slash-command completions: loaded once per page, filtered as you type.

The list is what ``services.agents.slash_commands`` offers an editor of the
project (the CLI's useful built-ins, then the repository's commands and
skills). Typing only ever narrows that list here; picking puts ``/name `` in
the box, and only a name that was offered. A page has one prompt box: the
project page's new-task box or the task page's follow-up box (the task's
project's list), so one state serves both without crosstalk; the load says
which box the pick fills.
"""

from __future__ import annotations

import reflex as rx

from clawweb.db import session_scope
from clawweb.services.agents import slash_commands
from clawweb.services.errors import ServiceError
from clawweb.services.tasks import service as task_service
from clawweb.state.access import signed_in
from clawweb.state.base import AppState, route_id

BOX_ID = "task-command"
FOLLOW_UP_BOX_ID = "follow-up-prompt"
MAX_SHOWN = 8
_MAX_QUERY = 64


class PromptCompletionsState(AppState):
    completions: list[dict[str, str]] = []
    completion_query: str = ""
    completion_open: bool = False
    # The project the list was loaded for (0: not yet): the mount's load can run
    # before the page knows its route, so the first "/" loads it then.
    completions_project: int = 0
    completions_box: str = BOX_ID
    # The page the list was loaded for ("task 5", "project 3"); loaded means
    # loaded, even when nothing was offered, so keystrokes do not load again.
    _loaded_for: str = ""

    @rx.var
    def matches(self) -> list[dict[str, str]]:
        """The offered names that start with what follows the ``/``, at most MAX_SHOWN."""
        if not self.completion_open:
            return []
        query = self.completion_query.lower()
        return [c for c in self.completions if c["name"].lower().startswith(query)][:MAX_SHOWN]

    @rx.event
    @signed_in
    def load_for_project(self):
        """on_mount of the project page's prompt box (project id from the route)."""
        self._load(self.require_user())

    @rx.event
    @signed_in
    def load_for_task(self):
        """on_mount of the task page's follow-up box: the list of the task's project."""
        self._load(self.require_user())

    def _route_key(self) -> str:
        task_id = route_id(self, "task_id")
        return f"task {task_id}" if task_id else f"project {route_id(self, 'project_id')}"

    def _route_project(self, user) -> tuple[int, str]:
        """The project whose list this page's box offers, and that box's id."""
        task_id = route_id(self, "task_id")
        if not task_id:
            return route_id(self, "project_id"), BOX_ID
        try:
            with session_scope() as s:
                return task_service.get_task(session=s, user=user,
                                             task_id=task_id).project_id, FOLLOW_UP_BOX_ID
        except ServiceError:
            return 0, FOLLOW_UP_BOX_ID  # not theirs to see: nothing offered

    def _load(self, user) -> None:
        self.completions, self.completion_open, self.completions_project = [], False, 0
        self._loaded_for = self._route_key()
        project_id, self.completions_box = self._route_project(user)
        if not project_id:
            return
        self.completions_project = project_id
        try:
            with session_scope() as s:
                found = slash_commands.for_project(session=s, user=user, project_id=project_id)
        except ServiceError:
            return  # viewers and strangers: nothing offered (the submit is refused anyway)
        for item in found:
            if item["kind"] == "builtin":
                item["description"] = self.tr(f"ui_completions.builtin.{item['name']}")
        self.completions = found

    @rx.event
    @signed_in
    def prompt_changed(self, text: str):
        """The box's text changed: a list while it is ``/`` and a name still being typed."""
        text = str(text or "")[:_MAX_QUERY + 2]
        if text.startswith("/") and self._loaded_for != self._route_key():
            self._load(self.require_user())
        head = text[1:]
        self.completion_open = text.startswith("/") and not any(c.isspace() for c in head)
        self.completion_query = head[:_MAX_QUERY] if self.completion_open else ""

    @rx.event
    @signed_in
    def pick(self, name: str):
        """Put ``/name `` in the box (an offered name only) and close the list."""
        if not any(c["name"] == name for c in self.completions):
            return None
        self.completion_open, self.completion_query = False, ""
        box = self.completions_box
        return [rx.set_value(box, f"/{name} "), rx.set_focus(box)]

"""The prompt box's slash-command completions: loaded once per page, filtered as you type.

The list is what ``services.agents.slash_commands`` offers an editor of the
project (the CLI's useful built-ins, then the repository's commands and
skills). Typing only ever narrows that list here; picking puts ``/name `` in
the box, and only a name that was offered.
"""

from __future__ import annotations

import reflex as rx

from clawweb.db import session_scope
from clawweb.services.agents import slash_commands
from clawweb.services.errors import ServiceError
from clawweb.state.access import signed_in
from clawweb.state.base import AppState, route_id

BOX_ID = "task-command"
MAX_SHOWN = 8
_MAX_QUERY = 64


class PromptCompletionsState(AppState):
    completions: list[dict[str, str]] = []
    completion_query: str = ""
    completion_open: bool = False
    # The project the list was loaded for (0: not yet): the mount's load can run
    # before the page knows its route, so the first "/" loads it then.
    completions_project: int = 0

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

    def _load(self, user) -> None:
        self.completions, self.completion_open, self.completions_project = [], False, 0
        project_id = route_id(self, "project_id")
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
        if text.startswith("/") and self.completions_project != route_id(self, "project_id"):
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
        return [rx.set_value(BOX_ID, f"/{name} "), rx.set_focus(BOX_ID)]

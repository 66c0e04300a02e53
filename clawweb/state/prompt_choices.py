"""The prompt box's model and permission-mode choices, as the project allows them.

The offer is a convenience: ``services.agents.choices`` refuses anything the
project does not allow when the prompt is submitted. Loaded for the project
page's form (route ``project_id``) and the task page's follow-up box (the
task's project); a caller who may not submit gets an empty offer, so the box
shows no choices.
"""

from __future__ import annotations

import reflex as rx

from clawweb.db import session_scope
from clawweb.models import Task
from clawweb.services.agents import choices
from clawweb.services.errors import ServiceError
from clawweb.services.tasks import service as task_service
from clawweb.state.access import signed_in
from clawweb.state.base import AppState, route_id


class PromptChoicesState(AppState):
    choice_modes: list[str] = []
    choice_models: list[str] = []
    choice_mode: str = "default"
    choice_model: str = ""

    def _offer(self, project_id: int, user) -> None:
        self.choice_modes, self.choice_models = [], []
        if not project_id:
            return
        try:
            with session_scope() as s:
                got = choices.offer(session=s, user=user, project_id=project_id)
        except ServiceError:
            return  # viewers and strangers: no choices (the submit is refused anyway)
        self.choice_modes, self.choice_models = got["modes"], got["models"]
        self.choice_mode, self.choice_model = got["mode"], got["model"]

    @rx.event
    @signed_in
    def load_for_project(self):
        """The project page's prompt form."""
        self._offer(route_id(self, "project_id"), self.require_user())

    @rx.event
    @signed_in
    def load_for_task(self):
        """The task page's follow-up box: the choices of the task's project."""
        user = self.require_user()
        task_id = route_id(self, "task_id")
        project_id = 0
        if task_id:
            try:
                with session_scope() as s:
                    task: Task = task_service.get_task(session=s, user=user, task_id=task_id)
                    project_id = task.project_id
            except ServiceError:
                project_id = 0
        self._offer(project_id, user)

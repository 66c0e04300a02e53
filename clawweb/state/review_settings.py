"""A project's shipping settings: default merge strategy and who may ship (owners edit)."""

from __future__ import annotations

import reflex as rx

from clawweb.db import session_scope
from clawweb.models import Project, ProjectRole, User
from clawweb.services import access
from clawweb.services.errors import ServiceError
from clawweb.services.review import actions, commit_message
from clawweb.state.access import signed_in
from clawweb.state.base import AppState, route_id


class ShipSettingsState(AppState):
    ship_project: int = 0
    ship_strategy: str = "merge"
    ship_role: str = "editor"
    ship_is_owner: bool = False
    ship_error: str = ""

    @rx.event
    @signed_in
    def load_ship_settings(self):
        """The settings of the project in the page's URL (viewer reads, owner edits)."""
        user = self.require_user()
        project_id = route_id(self, "project_id")
        self.ship_project, self.ship_error = 0, ""
        if not project_id:
            return
        with session_scope() as s:
            role = access.require_role(session=s, user=user, project_id=project_id,
                                       at_least=ProjectRole.viewer)
            project = s.get(Project, project_id)
            self.ship_project = project.id
            self.ship_strategy, self.ship_role = project.merge_strategy, project.ship_role
            self.ship_is_owner = role == ProjectRole.owner

    @rx.event
    @signed_in
    def save_ship_settings(self, form: dict):
        """Owner: save the default strategy and who may ship (the service checks)."""
        user = self.require_user()
        if not self.ship_project:
            return None
        try:
            with session_scope() as s:
                project = actions.update_ship_settings(
                    session=s, user=user, project_id=self.ship_project,
                    merge_strategy=str(form.get("merge_strategy", ""))[:16],
                    ship_role=str(form.get("ship_role", ""))[:16], ip=self.client_ip)
                self.ship_strategy, self.ship_role = project.merge_strategy, project.ship_role
        except ServiceError as exc:
            self.ship_error = self.tr(exc.key, **exc.params)
            return None
        self.ship_error = ""
        return rx.toast.success(self.tr("review_ui.settings_saved"))


class CommitEmailState(AppState):
    """The account page's commit email (the author address of commits made for you)."""

    commit_email: str = ""
    commit_email_error: str = ""

    @rx.event
    @signed_in
    def load_commit_email(self):
        """The signed-in user's own commit email."""
        self.commit_email = self.require_user().email or ""
        self.commit_email_error = ""

    @rx.event
    @signed_in
    def save_commit_email(self, form: dict):
        """Change the signed-in user's own commit email."""
        user = self.require_user()
        try:
            with session_scope() as s:
                row = s.get(User, user.id)
                self.commit_email = commit_message.set_commit_email(
                    session=s, user=row, email=str(form.get("commit_email", ""))[:300],
                    ip=self.client_ip)
        except ServiceError as exc:
            self.commit_email_error = self.tr(exc.key, **exc.params)
            return None
        self.commit_email_error = ""
        return rx.toast.success(self.tr("review_ui.email_saved"))

"""Projects: list, create, page, settings, members. (UI helper fills this in.)"""

import reflex as rx

from clawweb.state.access import signed_in
from clawweb.state.base import AppState


class ProjectsState(AppState):
    @rx.event
    @signed_in
    def load_projects(self):
        return None

    @rx.event
    @signed_in
    def load_project(self):
        return None

    @rx.event
    @signed_in
    def load_project_settings(self):
        return None

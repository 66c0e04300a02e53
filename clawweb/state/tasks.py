"""Tasks: submit, list, live output, cancel. (UI helper fills this in.)"""

import reflex as rx

from clawweb.state.access import signed_in
from clawweb.state.base import AppState


class TasksState(AppState):
    @rx.event
    @signed_in
    def load_tasks(self):
        return None

    @rx.event
    @signed_in
    def load_task(self):
        return None

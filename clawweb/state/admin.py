"""Admin: users, audit log. (UI helper fills this in.)"""

import reflex as rx

from clawweb.state.access import admin_only
from clawweb.state.base import AppState


class AdminState(AppState):
    @rx.event
    @admin_only
    def load_users(self):
        return None

    @rx.event
    @admin_only
    def load_audit(self):
        return None

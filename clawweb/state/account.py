"""Account: profile, language, password, signed-in devices. (UI helper fills this in.)"""

import reflex as rx

from clawweb.state.access import signed_in
from clawweb.state.base import AppState


class AccountState(AppState):
    @rx.event
    @signed_in
    def load_account(self):
        return None

    @rx.event
    @signed_in
    def load_devices(self):
        return None

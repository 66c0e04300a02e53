"""Sign-in, sign-out, first-run setup and invites: the page side.

The forms post straight to the HTTP routes of ``clawweb/http/auth_routes.py``
(the browser's ``fetch``, see ``pages/auth.py``), which set the HttpOnly session
cookie; these handlers only load the pages, show the routes' errors in the
form, and sign out.
"""

from __future__ import annotations

import json

import reflex as rx

from clawweb import routes
from clawweb.db import session_scope
from clawweb.http.auth_routes import local_path
from clawweb.i18n import known
from clawweb.services.accounts import auth_sessions, setup
from clawweb.state.access import allowed_during_password_change, public, server_only, signed_in
from clawweb.state.base import AppState

# Parameters a route's error may carry into a message (all small integers).
_ERROR_PARAMS = ("minutes", "seconds")

# Revokes were done by the handler; this clears the HttpOnly cookie (only an HTTP
# response can) and loads the sign-in page in full, dropping the old socket.
SIGN_OUT_JS = (
    f"fetch({json.dumps(routes.API_SIGN_OUT)}, {{method: 'POST', credentials: 'same-origin', "
    "headers: {'Content-Type': 'application/json'}, body: '{}'})"
    f".finally(() => window.location.assign({json.dumps(routes.LOGIN)}))"
)


class SignInState(AppState):
    error: str = ""

    def _next_path(self) -> str:
        return local_path(self.router.url.query_parameters.get("next", ""))

    @rx.event
    @public
    def load_sign_in(self):
        """Fresh install → setup page; already signed in → onwards."""
        self.init_language()
        self.error = ""
        with session_scope() as s:
            if setup.needs_setup(session=s):
                return rx.redirect(routes.SETUP)
        if self.signed_in:
            return rx.redirect(self._next_path())
        return None

    @rx.event
    @public
    def show_error(self, reply: dict):
        """The answer of an auth route, as the form's error text.

        Anyone may call it with anything: it only ever shows a catalog message.
        """
        if not isinstance(reply, dict) or reply.get("ok") is True:
            self.error = ""
            return
        key = reply.get("error")
        if not isinstance(key, str) or not known(key):
            key = "errors.unexpected"
        raw = reply.get("params") if isinstance(reply.get("params"), dict) else {}
        params = {name: int(raw[name]) for name in _ERROR_PARAMS
                  if isinstance(raw.get(name), int) and 0 <= raw[name] < 10**6}
        try:
            self.error = self.tr(key, **params)
        except (KeyError, IndexError):  # a message whose placeholders were not sent
            self.error = self.tr("errors.unexpected")

    @rx.event
    @signed_in
    @allowed_during_password_change
    def sign_out(self):
        with session_scope() as s:
            auth_sessions.sign_out(session=s, token=self.session_token, ip=self.client_ip)
        self.session_token = ""
        self._forget_user()
        return rx.call_script(SIGN_OUT_JS)

    @server_only
    def handle_error(self, exc: Exception):
        # Sign-in errors stay on the form, where a phone user is looking.
        from clawweb.services.errors import ServiceError
        if isinstance(exc, ServiceError):
            self.error = self.tr(exc.key, **exc.params)
            return None
        return super().handle_error(exc)


class SetupState(SignInState):
    @rx.event
    @public
    def load_setup(self):
        self.init_language()
        self.error = ""
        with session_scope() as s:
            if not setup.needs_setup(session=s):
                return rx.redirect(routes.LOGIN)
        return None


class InviteState(SignInState):
    @rx.event
    @public
    def load_invite(self):
        self.init_language()
        self.error = ""

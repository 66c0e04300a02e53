"""Sign-in, sign-out, first-run setup and invites."""

from __future__ import annotations

import reflex as rx

from clawweb import routes
from clawweb.db import session_scope
from clawweb.services import accounts, auth_sessions, setup
from clawweb.state.access import allowed_during_password_change, public, server_only, signed_in
from clawweb.state.base import AppState


class SignInState(AppState):
    error: str = ""
    busy: bool = False

    def _next_path(self) -> str:
        nxt = self.router.url.query_parameters.get("next", "")
        if nxt.startswith("/") and not nxt.startswith("//") and not nxt.startswith(routes.LOGIN):
            return nxt
        return routes.PROJECTS

    def _start_session(self, token: str, user) -> list:
        self.session_token = token
        self._remember_user(user)
        self.error = ""
        return [rx.toast.success(self.tr("signin.signed_in"))]

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
    def sign_in(self, form: dict):
        username = str(form.get("username", ""))[:64].strip()
        password = str(form.get("password", ""))[:4096]
        with session_scope() as s:
            user, token = auth_sessions.sign_in(
                session=s, username=username, password=password,
                ip=self.client_ip, user_agent=self.user_agent)
        return self._start_session(token, user) + [rx.redirect(self._next_path())]

    @rx.event
    @signed_in
    @allowed_during_password_change
    def sign_out(self):
        with session_scope() as s:
            auth_sessions.sign_out(session=s, token=self.session_token, ip=self.client_ip)
        self.session_token = ""
        self._forget_user()
        return [rx.toast.info(self.tr("signin.signed_out")), rx.redirect(routes.LOGIN)]

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

    @rx.event
    @public
    def create_admin(self, form: dict):
        password = str(form.get("password", ""))[:4096]
        if password != str(form.get("password2", ""))[:4096]:
            self.error = self.tr("setup.passwords_differ")
            return None
        username = str(form.get("username", "")).strip()[:64]
        with session_scope() as s:
            setup.create_first_admin(session=s, code=str(form.get("code", "")).strip(),
                                     username=username, password=password, ip=self.client_ip)
        with session_scope() as s:
            user, token = auth_sessions.sign_in(
                session=s, username=username, password=password,
                ip=self.client_ip, user_agent=self.user_agent)
        return self._start_session(token, user) + [
            rx.toast.success(self.tr("setup.done")), rx.redirect(routes.PROJECTS)]


class InviteState(SignInState):
    @rx.event
    @public
    def accept(self, form: dict):
        token = self.router.url.path.rsplit("/", 1)[-1]
        password = str(form.get("password", ""))[:4096]
        if password != str(form.get("password2", ""))[:4096]:
            self.error = self.tr("setup.passwords_differ")
            return None
        with session_scope() as s:
            user = accounts.accept_invite(session=s, token=token, password=password,
                                          ip=self.client_ip)
            username = user.username
        with session_scope() as s:
            user, session_token = auth_sessions.sign_in(
                session=s, username=username, password=password,
                ip=self.client_ip, user_agent=self.user_agent)
        return self._start_session(session_token, user) + [rx.redirect(routes.PROJECTS)]

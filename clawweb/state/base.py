"""The shared base state: the signed-in user, language, and access checks.

Reflex state is a cache: the truth is the session row in the database. Every
guarded handler re-resolves the browser's token (see ``access.py``), so a
revoked session or a disabled user loses access on the next event, and the
layout's heartbeat makes an idle tab notice within seconds.

The token is an HttpOnly cookie that only the HTTP routes of
``clawweb/http/auth_routes.py`` set and clear; page scripts cannot read it.
It reaches handlers as the Cookie header of the event WebSocket's handshake
(``router.headers.cookie``: fixed for the socket's life, kept on the server,
never sent to the browser by Reflex 0.10), which is why signing in ends with
a full page load: the new socket carries the new cookie.
"""

from __future__ import annotations

import logging
import uuid

import reflex as rx

from clawweb import routes
from clawweb.db import session_scope
from clawweb.http import session_cookie
from clawweb.http.client import client_address
from clawweb.observe import logs
from clawweb.i18n import LANGUAGES, pick_language, t
from clawweb.models import User
from clawweb.services.accounts import auth_sessions
from clawweb.services.errors import ServiceError
from clawweb.settings import get_settings
from clawweb.state.access import public, server_only

log = logging.getLogger(__name__)


def new_key() -> str:
    """A fresh idempotency key for the next render of a form (a double submit is one)."""
    return uuid.uuid4().hex


def route_id(state: rx.State, name: str) -> int:
    """A numeric dynamic route argument of the page (``task_id``, ``project_id``), or 0.

    Reflex installs each ``[arg]`` of an added page (``clawweb/routes.py``) as a
    var on the root state, read from the page's params.
    """
    value = str(getattr(state, name, "") or "")
    return int(value) if value.isdigit() and len(value) <= 12 else 0


def client_connected(state: rx.State) -> bool:
    """Whether this state's browser tab still has a socket (True when unknown)."""
    try:
        from reflex.utils import prerequisites

        app = prerequisites.get_and_validate_app().app
        return state.router.session.client_token in app.event_namespace.token_to_sid
    except Exception:  # noqa: BLE001 - no app (tests) or an internal change: assume yes
        return True


class AppState(rx.State):
    lang_choice: str = rx.LocalStorage("", name="clawweb_lang", sync=True)

    signed_in: bool = False
    user_id: int = 0
    username: str = ""
    display_name: str = ""
    is_admin: bool = False
    must_change_password: bool = False
    lang: str = "en"
    auth_checked: bool = False
    # A token this state was told to forget (signed out or revoked here) while the
    # socket's handshake, fixed until the next page load, still carries it.
    _forgotten_token_hash: str = ""

    # -- identity ---------------------------------------------------------
    @property
    def session_token(self) -> str:
        """The raw token of this browser: the handshake's HttpOnly session cookie."""
        token = session_cookie.read_token(self.router.headers.cookie)
        if token and auth_sessions.hash_token(token) == self._forgotten_token_hash:
            return ""
        return token

    @session_token.setter
    def session_token(self, value: str) -> None:
        # Only the HTTP routes can set the cookie; a handler can only forget it.
        if value:
            raise ValueError("the session token is set by the sign-in route, not by state")
        token = session_cookie.read_token(self.router.headers.cookie)
        self._forgotten_token_hash = auth_sessions.hash_token(token) if token else ""

    @server_only
    def current_user(self) -> User | None:
        """The user behind this browser's token, straight from the database."""
        token = self.session_token
        if not token:
            self._forget_user()
            return None
        with session_scope() as s:
            found = auth_sessions.resolve(session=s, token=token)
        if found is None:
            self._forget_user()
            logs.unbind(["user_id"])
            return None
        user, _ = found
        self._remember_user(user)
        logs.bind(user_id=user.id)  # this event's log lines name who caused them
        return user

    @server_only
    def require_user(self) -> User:
        user = self.current_user()
        if user is None:
            raise PermissionError("not signed in")
        return user

    def _set_changed(self, values: dict) -> None:
        """Set only the vars whose value changes.

        Reflex sends every var that is set, equal or not, and the browser then
        redraws whatever reads it. The signed-in user's vars are set again by
        every event (each one checks its caller), and ``lang`` is read by nearly
        every component: set blindly, each event redrew the whole page.
        """
        for name, value in values.items():
            if getattr(self, name) != value:
                setattr(self, name, value)

    def _remember_user(self, user: User) -> None:
        values = {"signed_in": True, "user_id": user.id or 0, "username": user.username,
                  "display_name": user.display_name or user.username,
                  "is_admin": user.role.value == "admin",
                  "must_change_password": user.must_change_password}
        if user.language in LANGUAGES and not self.lang_choice:
            values["lang"] = user.language
        self._set_changed(values)

    def _forget_user(self) -> None:
        self._set_changed({"signed_in": False, "user_id": 0, "username": "",
                           "display_name": "", "is_admin": False})

    @property
    def client_ip(self) -> str:
        return self.router.session.client_ip or ""

    @property
    def client_ip_trusted(self) -> bool:
        """Whether ``client_ip`` is the client's own, not maybe a shared proxy's."""
        headers = {k.lower(): v for k, v in self.router.headers.raw_headers.items()}
        return client_address(self.client_ip, headers, get_settings().trusted_proxy_hops)[1]

    @property
    def user_agent(self) -> str:
        return (self.router.headers.user_agent or "")[:400]

    # -- responses ----------------------------------------------------------
    @server_only
    def tr(self, key: str, **params) -> str:
        return t(key, self.lang, **params)

    @server_only
    def deny_anonymous(self):
        return rx.redirect(routes.login(next_path=self.router.url.path or "/"))

    @server_only
    def deny_forbidden(self):
        return rx.toast.error(self.tr("errors.forbidden"))

    @server_only
    def handle_error(self, exc: Exception):
        if isinstance(exc, ServiceError):
            return rx.toast.error(self.tr(exc.key, **exc.params))
        if isinstance(exc, PermissionError):
            return self.deny_anonymous()
        log.exception("unexpected error in handler")
        return rx.toast.error(self.tr("errors.unexpected"))

    # -- events shared by every page -------------------------------------------
    @rx.event
    @public
    def init_language(self):
        """Pick the UI language: explicit choice, then profile, then browser."""
        if self.lang_choice in LANGUAGES:
            lang = self.lang_choice
        else:
            lang = pick_language(self.router.headers.accept_language)
        self._set_changed({"lang": lang})
        self.current_user()  # a profile language wins over the browser's
        self._set_changed({"auth_checked": True})

    @rx.event
    @public
    def choose_language(self, lang: str):
        if lang in LANGUAGES:
            self.lang = lang
            self.lang_choice = lang

    @rx.event
    @public
    def heartbeat(self, _value=None):
        """Periodic check from every open page: revoked or disabled → signed out."""
        was_signed_in = self.signed_in
        try:
            user = self.current_user()
        except Exception:  # noqa: BLE001 - a DB blip must not sign people out
            return None
        if was_signed_in and user is None:
            return [rx.toast.info(self.tr("shell.signed_out_elsewhere")),
                    rx.redirect(routes.login())]
        return None

    @rx.event
    @public
    def require_sign_in(self):
        """on_load for protected pages: a convenience redirect, not protection."""
        self.init_language()
        if not self.signed_in:
            return rx.redirect(routes.login(next_path=self.router.url.path or "/"))
        if self.must_change_password and self.router.url.path != routes.ACCOUNT:
            return rx.redirect(routes.ACCOUNT)
        return None

"""Sign-in, sign-out, first-run setup and invite acceptance as HTTP routes.

They exist so the session token is set by an HTTP response as an HttpOnly
cookie (``session_cookie``), which no page script can read; a Reflex handler
could only hand it to the page's JavaScript. The page posts the form as JSON
with ``fetch`` and, on success, loads ``next`` in full, so the new event
WebSocket's handshake carries the cookie.

Every route first checks Origin against CLAWWEB_PUBLIC_URL (a cross-site page
cannot sign a browser in or out), answers ``{"ok": true, "next": path}`` or
``{"ok": false, "error": catalog key, "params": {...}}``, and runs argon2 and
the database off the event loop, in the web process's password pool
(``clawweb.state.offload.PASSWORDS``, three threads): not in Starlette's pool of
40, where a flood of sign-ins would run 40 argon2 hashes at once (64 MiB each)
and hold every database connection the event handlers need.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from clawweb import routes as pages
from clawweb.db import session_scope
from clawweb.http import session_cookie
from clawweb.http.client import request_address, same_origin
from clawweb.i18n import pick_language
from clawweb.services.accounts import auth_sessions, setup, throttle, users as accounts
from clawweb.services.errors import InvalidInput, ServiceError
from clawweb.state import offload  # plain thread pools, no Reflex

log = logging.getLogger(__name__)

_MAX_FIELD = 4096


def local_path(value: Any, default: str = pages.PROJECTS) -> str:
    """``value`` if it is a path on this site (and not the sign-in page), else ``default``."""
    if (isinstance(value, str) and value.startswith("/") and not value.startswith("//")
            and "\\" not in value and value.isprintable()
            and not value.startswith(pages.LOGIN)):
        return value
    return default


def _error(exc: ServiceError, status: int = 400) -> JSONResponse:
    params = {k: v for k, v in exc.params.items() if isinstance(v, (int, str))}
    return JSONResponse({"ok": False, "error": exc.key, "params": params}, status_code=status)


def _done(next_path: str, token: str | None = None) -> JSONResponse:
    resp = JSONResponse({"ok": True, "next": next_path})
    if token:
        session_cookie.set_session_cookie(resp, token)
    return resp


class _Caller:
    """What a route knows about who is asking."""

    def __init__(self, request: Request, form: dict[str, str]):
        peer = request.client.host if request.client else ""
        self.ip, self.ip_trusted = request_address(peer, request.headers)
        self.user_agent = request.headers.get("user-agent", "")[:400]
        # What the pages speak on this device; notifications follow it (auth_sessions).
        self.language = pick_language(request.headers.get("accept-language", ""))
        self.old_token = session_cookie.read_token(request.headers.get("cookie", ""))
        self.form = form

    def field(self, name: str, limit: int = _MAX_FIELD) -> str:
        return self.form.get(name, "")[:limit]


async def _read_form(request: Request) -> dict[str, str] | None:
    try:
        body = await request.json()
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    return {k: v if isinstance(v, str) else "" for k, v in body.items() if isinstance(k, str)}


def _handle(work, *, paced: bool):
    """A route running ``work(caller) -> (next, token)`` in the password pool, with
    the Origin check first, and (``paced``) the throttle's back-off before it
    (a Redis call in Starlette's pool, then a wait that holds no thread)."""

    async def endpoint(request: Request) -> JSONResponse:
        if not same_origin(request.headers):
            return _error(InvalidInput("security.origin_refused"), status=403)
        form = await _read_form(request)
        if form is None:
            return _error(InvalidInput("errors.unexpected"))
        caller = _Caller(request, form)
        try:
            if paced:
                # An async wait: a slowed attempt holds no thread and no lock.
                await asyncio.sleep(await run_in_threadpool(
                    throttle.pace, caller.ip, ip_trusted=caller.ip_trusted))
            next_path, token = await offload.run(offload.PASSWORDS, work, caller)
        except ServiceError as exc:
            return _error(exc, status=503 if exc.key.endswith("unavailable") else 400)
        except Exception:  # noqa: BLE001 - a JSON answer the page can show
            log.exception("sign-in route failed")
            return _error(InvalidInput("errors.unexpected"), status=500)
        resp = _done(next_path, token)
        if token is None:
            session_cookie.clear_session_cookie(resp)
        return resp

    return endpoint


def _end_previous(caller: _Caller) -> None:
    """The browser's earlier session ends when it signs in anew."""
    if caller.old_token:
        with session_scope() as s:
            auth_sessions.sign_out(session=s, token=caller.old_token, ip=caller.ip)


def _sign_in(caller: _Caller) -> tuple[str, str]:
    with session_scope() as s:
        _user, token = auth_sessions.sign_in(
            session=s, username=caller.field("username", 64).strip(),
            password=caller.field("password"), ip=caller.ip, user_agent=caller.user_agent,
            ip_trusted=caller.ip_trusted, language=caller.language)
    _end_previous(caller)
    return local_path(caller.form.get("next")), token


def _new_password(caller: _Caller) -> str:
    password = caller.field("password")
    if password != caller.field("password2"):
        raise InvalidInput("setup.passwords_differ")
    return password


def _setup(caller: _Caller) -> tuple[str, str]:
    password = _new_password(caller)
    with session_scope() as s:
        user = setup.create_first_admin(
            session=s, code=caller.field("code", 200).strip(),
            username=caller.field("username", 64).strip(), password=password,
            ip=caller.ip, ip_trusted=caller.ip_trusted)
        token = auth_sessions.open_session(session=s, user=user, ip=caller.ip,
                                           user_agent=caller.user_agent,
                                           language=caller.language)
    _end_previous(caller)
    return pages.PROJECTS, token


def _accept_invite(caller: _Caller) -> tuple[str, str]:
    password = _new_password(caller)
    with session_scope() as s:
        user = accounts.accept_invite(session=s, token=caller.field("invite", 200),
                                      password=password, ip=caller.ip)
        token = auth_sessions.open_session(session=s, user=user, ip=caller.ip,
                                           user_agent=caller.user_agent,
                                           language=caller.language)
    _end_previous(caller)
    return pages.PROJECTS, token


def _sign_out(caller: _Caller) -> tuple[str, None]:
    _end_previous(caller)
    return pages.LOGIN, None


def routes() -> list[Route]:
    return [
        Route(pages.API_SIGN_IN, _handle(_sign_in, paced=True), methods=["POST"]),
        Route(pages.API_SETUP, _handle(_setup, paced=True), methods=["POST"]),
        Route(pages.API_INVITE, _handle(_accept_invite, paced=False), methods=["POST"]),
        Route(pages.API_SIGN_OUT, _handle(_sign_out, paced=False), methods=["POST"]),
    ]

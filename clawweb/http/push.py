"""Web Push routes: the server's public key, (un)subscribing a browser, and the
Approve/Deny action of a notification.

Subscribing needs the session cookie (the browser's own user); the action
route needs only its single-use token, because it is called by the service
worker from a notification, with no page open (``services.notify.actions``
binds the token to its user and approval). Every POST must come from our own
origin. Answers are ``{"ok": true, ...}`` or ``{"ok": false, "error": key}``.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from clawweb import routes as paths
from clawweb.db import session_scope
from clawweb.http import session_cookie
from clawweb.http.client import request_address, same_origin
from clawweb.services.accounts import auth_sessions
from clawweb.services.errors import PermissionDenied, ServiceError
from clawweb.services.notify import actions, push

log = logging.getLogger(__name__)

MAX_BODY = 8192


def _refuse(key: str, status: int) -> JSONResponse:
    return JSONResponse({"ok": False, "error": key}, status_code=status)


async def _body(request: Request) -> dict[str, Any] | None:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        return None
    try:
        value = json.loads(raw or b"null")
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _guarded(work, *, needs_user: bool):
    """An endpoint: Origin first, then the JSON body, then ``work(caller, body)`` in a thread."""

    async def endpoint(request: Request) -> JSONResponse:
        if not same_origin(request.headers):
            return _refuse("security.origin_refused", 403)
        body = await _body(request)
        if body is None:
            return _refuse("errors.unexpected", 400)
        peer = request.client.host if request.client else ""
        ip, _ = request_address(peer, request.headers)
        token = session_cookie.read_token(request.headers.get("cookie", ""))
        agent = request.headers.get("user-agent", "")[:400]
        try:
            answer = await run_in_threadpool(work, token if needs_user else "", body, ip, agent)
        except PermissionDenied as exc:
            return _refuse(exc.key, 403)
        except ServiceError as exc:
            return _refuse(exc.key, 400)
        except Exception:  # noqa: BLE001 - a JSON answer the caller can show
            log.exception("push route failed")
            return _refuse("errors.unexpected", 500)
        return JSONResponse({"ok": True, **answer})

    return endpoint


def _signed_in(session, token: str):
    """The caller's user and sign-in (AuthSession)."""
    found = auth_sessions.resolve(session=session, token=token) if token else None
    if found is None:
        raise PermissionDenied("notify.push.signed_out")
    return found


def _user(session, token: str):
    return _signed_in(session, token)[0]


def _subscribe(token: str, body: dict, ip: str, agent: str) -> dict:
    with session_scope() as s:
        user, signed_in = _signed_in(s, token)
        row = push.subscribe(session=s, user=user, info=body, user_agent=agent, ip=ip,
                             auth_session_id=signed_in.id)
        return {"id": row.id}


def _unsubscribe(token: str, body: dict, ip: str, _agent: str) -> dict:
    with session_scope() as s:
        removed = push.unsubscribe(session=s, user=_user(s, token),
                                   endpoint=str(body.get("endpoint", ""))[:push.MAX_ENDPOINT],
                                   ip=ip)
        return {"removed": removed}


def _act(_token: str, body: dict, ip: str, _agent: str) -> dict:
    with session_scope() as s:
        row = actions.redeem(session=s, token=str(body.get("token", "")),
                             action=str(body.get("action", "")), ip=ip)
        return {"decision": row.decision, "task_id": row.task_id}


async def public_key(_request: Request) -> JSONResponse:
    """The VAPID public key a browser subscribes with (not a secret)."""
    return JSONResponse({"key": await run_in_threadpool(push.application_server_key)})


def routes() -> list[Route]:
    return [
        Route(paths.API_PUSH_KEY, public_key, methods=["GET"]),
        Route(paths.API_PUSH_SUBSCRIBE, _guarded(_subscribe, needs_user=True), methods=["POST"]),
        Route(paths.API_PUSH_UNSUBSCRIBE, _guarded(_unsubscribe, needs_user=True),
              methods=["POST"]),
        Route(paths.API_PUSH_ACTION, _guarded(_act, needs_user=False), methods=["POST"]),
    ]

"""Inbound webhooks as plain Starlette routes: ``POST /api/hooks/<forge>/<key>``.

The body is read under a cap (``CLAWWEB_WEBHOOK_MAX_BODY_BYTES``): a
Content-Length above it is refused before reading, a chunked body as soon as
it passes it. Verification, de-duplication and the log run in a thread
(``clawweb.services.webhooks.intake``); the answer is immediate (202 once
the delivery is stored), the work an RQ job. No cookie, no session, no
Origin check: the signature is the only credential.
"""

from __future__ import annotations

import time

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from clawweb import routes as urls
from clawweb.db import session_scope
from clawweb.http.client import request_address
from clawweb.services.webhooks import intake
from clawweb.settings import get_settings


class _TooLarge(Exception):
    def __init__(self, size: int):
        self.size = size


async def _read_capped(request: Request, cap: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise _TooLarge(int(declared))
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > cap:
            raise _TooLarge(len(body))
    return bytes(body)


def _run(work, **kwargs) -> intake.Answer:
    with session_scope() as session:
        return work(session=session, **kwargs)


async def receive(request: Request) -> JSONResponse:
    """One delivery: 202 accepted, or the refusal (401, 403, 404, 409, 413, 400)."""
    forge, key = request.path_params["forge"], request.path_params["key"]
    peer = request.client.host if request.client else ""
    ip, _ = request_address(peer, request.headers)
    try:
        body = await _read_capped(request, get_settings().webhook_max_body_bytes)
    except _TooLarge as exc:
        answer = await run_in_threadpool(_run, intake.refuse_too_large, forge=forge, key=key,
                                         size=exc.size, ip=ip)
        return JSONResponse(answer.body, status_code=answer.status)
    headers = {k.lower(): v for k, v in request.headers.items()}
    answer = await run_in_threadpool(_run, intake.receive, forge=forge, key=key,
                                     headers=headers, body=body, ip=ip, now=time.time())
    return JSONResponse(answer.body, status_code=answer.status)


def routes() -> list[Route]:
    """The webhook routes, for ``clawweb.api.router``."""
    return [Route(urls.API_HOOK, receive, methods=["POST"])]

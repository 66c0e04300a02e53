"""``/metrics``: Prometheus text, guarded; and the HTTP latency middleware.

Counted in-process: HTTP request latency (``LatencyMiddleware`` on the backend's
Starlette app). Everything else is computed per scrape by
``collector.StateCollector``. With several web processes on one host, set
``PROMETHEUS_MULTIPROC_DIR`` to one directory for all of them and empty it
before they start (whatever starts them: a unit's ``ExecStartPre``, a compose
entrypoint): prometheus-client then writes each process's samples there and
any process answers for all of them.

Access: with ``CLAWWEB_METRICS_TOKEN`` set, only ``Authorization: Bearer <token>``
(compared in constant time); unset, only a loopback client that came through
no proxy (a request carrying X-Forwarded-For, Forwarded or X-Real-IP was
relayed by something, so its loopback peer says nothing about who sent it).
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import re
import time

from prometheus_client import (
    CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Histogram, generate_latest,
)
from prometheus_client import multiprocess
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from clawweb.http.client import PROXY_HEADERS
from clawweb.settings import get_settings

HTTP_LATENCY = Histogram("clawweb_http_request_duration_seconds",
                         "HTTP requests served by the backend, by route group and status",
                         ["method", "route", "status"])
_ID = re.compile(r"/(?:\d+|[0-9a-f]{7,64})(?=/|$)")


def route_label(path: str, status: int = 200) -> str:
    """A low-cardinality name for a path: ids and commits folded, pages grouped, and any
    path that matched no route one label (a scanner must not mint a series per guess)."""
    if status == 404:
        return "unmatched"
    if path.startswith("/api/") or path in ("/metrics", "/ping"):
        return "/".join(_ID.sub("/{id}", path).split("/")[:6])
    if path.startswith("/_event"):
        return "/_event"
    if path.startswith("/_upload"):
        return "/_upload"
    return "page"


class LatencyMiddleware:
    """Pure ASGI middleware: times every HTTP request (WebSockets are not requests)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start, status = time.perf_counter(), [500]

        async def send_status(message):
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            HTTP_LATENCY.labels(scope.get("method", ""),
                                route_label(scope.get("path", ""), status[0]),
                                str(status[0])).observe(time.perf_counter() - start)


def allowed(request: Request) -> bool:
    """May this request read the metrics (see the module docstring)?"""
    token = get_settings().metrics_token
    if token:
        sent = request.headers.get("authorization", "")
        scheme, _, value = sent.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            value.strip().encode(), token.encode())
    if any(request.headers.get(h) for h in PROXY_HEADERS):
        return False
    try:
        return ipaddress.ip_address(request.client.host if request.client else "").is_loopback
    except ValueError:
        return False


def render(state_collector) -> bytes:
    """The exposition text: this process's (or every process's) samples plus the state."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        samples = CollectorRegistry()
        multiprocess.MultiProcessCollector(samples)
    else:
        samples = REGISTRY
    state = CollectorRegistry()
    state.register(state_collector)
    return generate_latest(samples) + generate_latest(state)


def make_endpoint(state_collector):
    """The Starlette endpoint for ``/metrics`` around one collector."""
    from starlette.concurrency import run_in_threadpool

    async def endpoint(request: Request) -> Response:
        if not allowed(request):
            return PlainTextResponse("forbidden", status_code=403)
        body = await run_in_threadpool(render, state_collector)
        return Response(body, media_type=CONTENT_TYPE_LATEST,
                        headers={"Cache-Control": "no-store"})

    return endpoint

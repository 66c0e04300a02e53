"""HTTP routes and middleware mounted on the Reflex backend (``api_transformer``).

The REST API (``clawweb/rest``, FastAPI) is one of them, mounted at ``/api/v1``.

``transformers()`` is what the app module passes to ``rx.App``: the routes
first (Reflex mounts its own backend, and in prod the built frontend, under
them), then the security-headers middleware around all of it, then the
latency middleware that feeds ``/metrics``. It also makes the app time its
event handlers for ``/metrics`` (``clawweb.observe.events``): the app module
calls it once, before the app's lifespan builds the event processor.
"""

from __future__ import annotations

import asyncio
import functools
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from clawweb.http import auth_routes, downloads, monitoring, push, usage_csv, webhooks
from clawweb.http.security_headers import SecurityHeadersMiddleware
from clawweb.rest.app import API_PREFIX, build_app


async def health(_request: Request) -> JSONResponse:
    """Liveness plus the two backing services; no secrets, no counts."""
    from clawweb import redis_conn
    from clawweb.db import get_engine

    def ping_database() -> None:
        with get_engine().connect() as conn:
            conn.exec_driver_sql("SELECT 1")

    checks = {}
    try:
        # A database waiting on a lock must not stall every browser's socket.
        await asyncio.to_thread(ping_database)
        checks["database"] = "ok"
    except Exception:  # noqa: BLE001
        checks["database"] = "down"
    try:
        await redis_conn.get_async_redis().ping()
        checks["redis"] = "ok"
    except Exception:  # noqa: BLE001
        checks["redis"] = "down"
    ok = all(v == "ok" for v in checks.values())
    return JSONResponse({"ok": ok, **checks}, status_code=200 if ok else 503)


def router() -> Starlette:
    return Starlette(routes=[Route("/api/health", health), *auth_routes.routes(),
                             *downloads.download_routes(), *push.routes(),
                             *monitoring.routes(), *usage_csv.csv_routes(), *webhooks.routes(),
                             Mount(API_PREFIX, app=build_app())])


def built_frontend_dir() -> Path:
    """Where ``reflex export``/``run --env prod`` puts the pages the backend serves."""
    from reflex.utils import prerequisites
    from reflex_base import constants
    from reflex_base.config import get_config

    return (prerequisites.get_web_dir() / constants.Dirs.STATIC
            / get_config().frontend_path.strip("/")).resolve()


def transformers() -> list:
    """The routes, then the headers middleware wrapping everything the backend serves."""
    from clawweb.observe import events
    from clawweb.observe.metrics import LatencyMiddleware

    events.install()

    return [router(),
            functools.partial(SecurityHeadersMiddleware, static_dir=built_frontend_dir),
            LatencyMiddleware]

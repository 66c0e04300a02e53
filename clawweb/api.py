"""REST routes mounted on the Reflex backend (health now; tokens and webhooks later)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from clawweb.http import downloads


async def health(_request: Request) -> JSONResponse:
    """Liveness plus the two backing services; no secrets, no counts."""
    from clawweb import redis_conn
    from clawweb.db import get_engine

    checks = {}
    try:
        with get_engine().connect() as conn:
            conn.exec_driver_sql("SELECT 1")
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
    return Starlette(routes=[Route("/api/health", health), *downloads.download_routes()])

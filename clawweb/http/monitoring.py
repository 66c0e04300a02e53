"""``/metrics`` (Prometheus, guarded) and ``/api/ready`` (readiness, JSON)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from clawweb import redis_conn
from clawweb.db import get_engine, session_scope
from clawweb.observe import metrics, ready
from clawweb.observe.collector import StateCollector
from clawweb.settings import get_settings


async def ready_endpoint(_request: Request) -> JSONResponse:
    """200 ``{"ready": true}``, or 503 with the names of the failing checks."""
    failing = await run_in_threadpool(
        ready.run_checks, engine=get_engine(), redis=redis_conn.get_redis(),
        image=get_settings().runner_image)
    return JSONResponse({"ready": not failing, "failing": failing},
                        status_code=503 if failing else 200,
                        headers={"Cache-Control": "no-store"})


def routes() -> list[Route]:
    collector = StateCollector(session_scope, redis_conn.get_redis)
    return [Route("/metrics", metrics.make_endpoint(collector), methods=["GET"]),
            Route("/api/ready", ready_endpoint, methods=["GET"])]

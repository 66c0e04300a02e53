"""The FastAPI app of ``/api/v1``: routers, error handlers, OpenAPI and its docs page.

``clawweb/api.py`` mounts ``build_app()`` at ``API_PREFIX`` in the Starlette
router Reflex's ``api_transformer`` wraps, so the API runs in the Reflex
backend process, behind the same security-headers middleware as every page.
Routers are found by module name: every module of ``ROUTER_MODULES`` must
import (a missing one is an error, not a smaller API that the route-access
tests would no longer see).
"""

from __future__ import annotations

import importlib

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from clawweb.rest import docs_page, errors

API_PREFIX = "/api/v1"
ROUTER_MODULES: tuple[str, ...] = (
    "clawweb.rest.me", "clawweb.rest.projects", "clawweb.rest.tasks", "clawweb.rest.events",
    "clawweb.rest.approvals", "clawweb.rest.schedules", "clawweb.rest.webhooks_admin",
)
DESCRIPTION = (
    "Projects, tasks, their events and approvals, schedules and webhooks, with "
    "personal API tokens (`Authorization: Bearer cwt_…`, made on the account page). "
    "Webhook deliveries themselves are posted to `/api/hooks/<forge>/<key>`, outside "
    "this API: the forge's signature is their credential. Each operation needs "
    "one scope: read, tasks, approvals or admin. Errors are "
    '`{"error": {"code", "message"}}`; lists are pages with `next_cursor`.'
)


def _routers():
    for name in ROUTER_MODULES:
        yield importlib.import_module(name).router


def build_app() -> FastAPI:
    """A new app with every router of ``ROUTER_MODULES``."""
    app = FastAPI(title="clawweb API", version="1", description=DESCRIPTION,
                  openapi_url="/openapi.json", docs_url=None, redoc_url=None)
    errors.install(app)
    for router in _routers():
        app.include_router(router)

    @app.get("/docs", include_in_schema=False)
    async def docs(request: Request) -> HTMLResponse:
        prefix = request.scope.get("root_path", "").rstrip("/")
        return HTMLResponse(docs_page.render(app.openapi(), prefix),
                            headers={"Cache-Control": "no-cache"})

    return app

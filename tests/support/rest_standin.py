"""Stand-ins for the REST API's shared modules (``clawweb.rest.deps``, ``errors``,
``pagination``, ``threads``) while they live on another branch (auto-h1).

They follow that branch's contract (docs/notes/auto-h1-contract.md) closely
enough to mount the schedules and webhooks routers in a test app. Once the real
modules exist, :func:`ensure` does nothing and the same tests run against them:
the tests replace only the scope dependencies (``router.READ``/``CHANGE``),
through FastAPI's ``dependency_overrides``.
"""

from __future__ import annotations

import asyncio
import base64
import contextvars
import dataclasses
import functools
import importlib
import json
import sys
import types
from typing import Annotated, Any, Generic, TypeVar


def ensure() -> bool:
    """Install the stand-ins unless the real modules exist; True if installed."""
    try:
        importlib.import_module("clawweb.rest.deps")
        return False
    except ModuleNotFoundError as exc:
        if exc.name != "clawweb.rest.deps":
            raise
    import clawweb.rest as package

    for name, build in (("errors", _errors), ("pagination", _pagination),
                        ("threads", _threads), ("deps", _deps)):
        module = types.ModuleType(f"clawweb.rest.{name}")
        build(module)
        sys.modules[module.__name__] = module
        setattr(package, name, module)
    return True


def _errors(m) -> None:
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse

    from clawweb.i18n import t
    from clawweb.services.errors import (InvalidInput, NotFound, PermissionDenied,
                                         ServiceError, Unavailable)

    class ApiError(Exception):
        def __init__(self, status: int, code: str, *, headers=None, **params):
            super().__init__(code)
            self.status, self.code, self.headers, self.params = status, code, headers, params

    def body(code, params=None):
        try:
            message = t(code, **(params or {}))
        except (KeyError, IndexError):
            message = t(code)
        return {"error": {"code": code, "message": message}}

    statuses = {NotFound: 404, PermissionDenied: 403, InvalidInput: 422, Unavailable: 503}

    def install(app) -> None:
        @app.exception_handler(ApiError)
        async def _api(request, exc):
            return JSONResponse(body(exc.code, exc.params), exc.status, headers=exc.headers)

        @app.exception_handler(ServiceError)
        async def _service(request, exc):
            status = next((s for cls, s in statuses.items() if isinstance(exc, cls)), 400)
            return JSONResponse(body(exc.key, exc.params), status)

        @app.exception_handler(RequestValidationError)
        async def _invalid(request, exc):
            return JSONResponse(body("api.request_invalid"), 422)

    m.ApiError, m.install, m.ERROR_RESPONSES = ApiError, install, {}


def _pagination(m) -> None:
    from fastapi import Query
    from pydantic import BaseModel

    T = TypeVar("T")

    class Page(BaseModel, Generic[T]):
        items: list[T]
        next_cursor: str | None = None

    def encode_cursor(key) -> str:
        return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode().rstrip("=")

    def decode_cursor(cursor):
        if not cursor:
            return None
        try:
            key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        except ValueError:
            key = None
        if not isinstance(key, list):
            raise sys.modules["clawweb.rest.errors"].ApiError(422, "api.cursor_invalid")
        return key

    m.Page, m.encode_cursor, m.decode_cursor = Page, encode_cursor, decode_cursor
    m.CursorParam = Annotated[str | None, Query(max_length=200)]
    m.LimitParam = Annotated[int, Query(ge=1, le=200)]
    m.DEFAULT_LIMIT = 50


def _threads(m) -> None:
    async def run(fn, /, *args: Any, **kwargs: Any):
        call = functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(None, call)

    m.run = run


def _deps(m) -> None:
    from clawweb.services.errors import NotFound

    @dataclasses.dataclass(frozen=True)
    class Caller:
        user: Any
        token: Any
        ip: str

        def allows_project(self, project_id: int) -> bool:
            return self.token is None or self.token.project_id in (None, project_id)

        def check_project(self, project_id: int) -> None:
            if not self.allows_project(project_id):
                raise NotFound()

    resolvers: dict = {}

    def project_resolver(param: str):
        def register(fn):
            resolvers[param] = fn
            return fn
        return register

    def require_scope(scope: str):
        async def dependency() -> Caller:  # tests always override it
            raise sys.modules["clawweb.rest.errors"].ApiError(401, "api.token_missing")
        dependency.scope = scope
        return dependency

    m.Caller, m.require_scope, m.project_resolver, m.RESOLVERS = (
        Caller, require_scope, project_resolver, resolvers)

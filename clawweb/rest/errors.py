"""One error shape for every API failure: ``{"error": {"code": ..., "message": ...}}``.

``code`` is stable (a message-catalog key: scripts match on it); ``message`` is
its text in the caller's language (Accept-Language). A service's error keeps its
own key, so the API and the UI say the same thing for the same refusal.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from clawweb.i18n import pick_language, t
from clawweb.services.errors import (InvalidInput, NotFound, PermissionDenied, ServiceError,
                                     Unavailable)

log = logging.getLogger(__name__)

_MAX_DETAIL = 300
# Service errors by class; any other ServiceError (GitError, ...) is a 400.
_STATUS = ((NotFound, 404), (PermissionDenied, 403), (InvalidInput, 422), (Unavailable, 503))


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorBody(BaseModel):
    error: ErrorDetail


class ApiError(Exception):
    """A refusal of the API layer itself (token, scope, rate limit, bad cursor)."""

    def __init__(self, status: int, code: str, *, headers: dict[str, str] | None = None,
                 **params: Any):
        super().__init__(code)
        self.status, self.code, self.headers, self.params = status, code, headers or {}, params


def _described(description: str, **extra: Any) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description, **extra}


# Pass as ``responses=`` on a router: every route may answer these.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _described("The request body could not be read (not UTF-8 JSON)."),
    401: _described("No token, or an unknown, expired or revoked one."),
    403: _described("The token lacks the scope, or the user lacks the right."),
    404: _described("No such object, or not one the caller may see."),
    422: _described("The request or its values are not valid."),
    429: _described("Rate limit of this token reached.",
                    headers={"Retry-After": {"description": "Seconds to wait.",
                                             "schema": {"type": "integer"}}}),
    503: _described("A backing service (Redis) is down; nothing was done."),
}


def language(request: Request) -> str:
    """The catalog language for this request."""
    return pick_language(request.headers.get("accept-language", ""))


def error_response(request: Request, status: int, code: str, params: dict[str, Any] | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    """The JSON error body for ``code`` in the request's language."""
    try:
        message = t(code, language(request), **(params or {}))
    except (KeyError, IndexError, ValueError):  # a params mismatch must not become a 500
        message = t(code, language(request))
    body = ErrorBody(error=ErrorDetail(code=code, message=message))
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


def service_status(exc: ServiceError) -> int:
    """The HTTP status a service error answers with."""
    return next((status for cls, status in _STATUS if isinstance(exc, cls)), 400)


def _safe_params(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if isinstance(v, (int, float, str))}


def _validation_detail(exc: RequestValidationError) -> str:
    # Where and what, never the rejected value (it could be a secret).
    parts = []
    for err in exc.errors()[:3]:
        where = ".".join(str(p) for p in err.get("loc", ()))
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return "; ".join(parts)[:_MAX_DETAIL]


def install(app: FastAPI) -> None:
    """Register the handlers that give every error the one shape."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(request, exc.status, exc.code, exc.params, exc.headers)

    @app.exception_handler(ServiceError)
    async def _service_error(request: Request, exc: ServiceError) -> JSONResponse:
        return error_response(request, service_status(exc), exc.key, _safe_params(exc.params))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(request, 422, "api.request_invalid",
                              {"detail": _validation_detail(exc)})

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {400: "api.body_unreadable", 404: "api.not_found",
                405: "api.method_not_allowed"}.get(exc.status_code, "api.http_error")
        return error_response(request, exc.status_code, code, {"status": exc.status_code},
                              getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("API request failed: %s %s", request.method, request.url.path,
                  exc_info=exc)
        return error_response(request, 500, "errors.unexpected")

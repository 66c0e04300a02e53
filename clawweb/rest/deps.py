"""Who is calling the API, and may they: the ``require_scope`` dependency.

Each request: the Bearer token → its row (hashed lookup, or the short-lived
per-process cache of ``token_cache``, which still asks the database on every
use; revoked or expired → 401) → its user, as of now (disabled → 401, forced
password change → 403) → the route's scope (403) → the token's project
restriction against the path's ids (404, as for a project the user cannot
see) → the token's rate limit (429 with Retry-After). What the user may do to
an object is left to the services, which the routes call with ``Caller.user``,
exactly as the Reflex handlers do.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

from fastapi import Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from clawweb.db import session_scope
from clawweb.http.client import request_address
from clawweb.models import ApiToken, Approval, Task, User
from clawweb.rest import rate_limit, threads, token_cache
from clawweb.rest.errors import ApiError
from clawweb.services import audit
from clawweb.services.accounts import api_tokens
from clawweb.services.errors import NotFound

SCOPES = api_tokens.SCOPES
# The largest id a path may name (PostgreSQL's INTEGER); beyond it nothing exists.
MAX_ID = 2_147_483_647

_bearer = HTTPBearer(auto_error=False, scheme_name="bearer",
                     description="A personal API token (account page → API tokens).")
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="clawweb"'}
_INVALID = {"WWW-Authenticate": 'Bearer realm="clawweb", error="invalid_token"'}

F = TypeVar("F", bound=Callable[..., object])
_RESOLVERS: dict[str, Callable[[Session, int], int | None]] = {}


@dataclasses.dataclass(frozen=True)
class Caller:
    """The caller of one request.

    ``user`` is the effective user (``api_tokens.acting_user``): pass it to the
    services, never ``session.add`` it.
    """

    user: User
    token: ApiToken | None
    ip: str

    def allows_project(self, project_id: int) -> bool:
        """Whether the token's project restriction lets it reach ``project_id``."""
        return self.token is None or self.token.project_id in (None, project_id)

    def check_project(self, project_id: int) -> None:
        """Raise NotFound (no leak) when the token may not reach ``project_id``."""
        if not self.allows_project(project_id):
            raise NotFound()

    def project_filter(self, project_id: int | None) -> int | None:
        """The project a list may show: the token's own when it is bound to one."""
        bound = self.token.project_id if self.token else None
        if bound is None:
            return project_id
        if project_id not in (None, bound):
            raise NotFound()
        return bound


def project_resolver(param: str) -> Callable[[F], F]:
    """Register ``fn(session, value) -> project id | None`` for path parameter ``param``.

    With a project-bound token, every path parameter ending in ``_id`` is
    resolved to its project and checked; one without a resolver is refused.
    """
    def register(fn: F) -> F:
        _RESOLVERS[param] = fn
        return fn
    return register


@project_resolver("project_id")
def _project_of_project(_session: Session, project_id: int) -> int | None:
    return project_id


@project_resolver("task_id")
def _project_of_task(session: Session, task_id: int) -> int | None:
    task = session.get(Task, task_id)
    return task.project_id if task else None


@project_resolver("approval_id")
def _project_of_approval(session: Session, approval_id: int) -> int | None:
    row = session.get(Approval, approval_id)
    return _project_of_task(session, row.task_id) if row else None


def _check_path(session: Session, bound: int, path_params: Mapping[str, str]) -> None:
    for name, value in path_params.items():
        if not name.endswith("_id"):
            continue
        resolver = _RESOLVERS.get(name)
        if resolver is None:
            raise ApiError(403, "api.project_restricted")  # fail closed
        try:
            number = int(value)
        except ValueError:
            raise NotFound() from None
        if not 1 <= number <= MAX_ID or resolver(session, number) != bound:
            raise NotFound()


def _client_ip(peer: str, headers: Mapping[str, str]) -> str:
    return request_address(peer, headers)[0]


def _verified(raw: str, ip: str) -> tuple[User, ApiToken]:
    """The token's user and row: re-checked from the cache, else authenticated in full."""
    cache_key = token_cache.key(raw, ip)
    found = token_cache.lookup(cache_key)
    if found is not None:
        return found
    with session_scope() as s:
        found = api_tokens.authenticate(session=s, raw=raw, ip=ip)
    if found is None:
        raise ApiError(401, "api.token_invalid", headers=_INVALID)
    token_cache.remember(cache_key, *found)
    return found


def _authorize(raw: str | None, scope: str, path_params: dict[str, str], peer: str,
               headers: dict[str, str]) -> Caller:
    if not raw:
        raise ApiError(401, "api.token_missing", headers=_CHALLENGE)
    ip = _client_ip(peer, headers)
    user, row = _verified(raw, ip)
    if user.must_change_password:
        raise ApiError(403, "api.password_change_required")
    if scope not in (row.scopes or []):
        raise ApiError(403, "api.scope_missing", scope=scope)
    if row.project_id is not None:
        with session_scope() as s:
            _check_path(s, row.project_id, path_params)
    caller = Caller(user=api_tokens.acting_user(user, row), token=row, ip=ip)
    wait = rate_limit.retry_after(row.id)
    if wait is not None:
        raise ApiError(429, "api.rate_limited", headers={"Retry-After": str(wait)},
                       seconds=wait)
    return caller


def require_scope(scope: str) -> Callable[..., Awaitable[Caller]]:
    """A FastAPI dependency: ``caller: Caller = Depends(require_scope("read"))``.

    The scope shows in the OpenAPI document as the operation's security
    requirement (``{"bearer": [scope]}``).
    """
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}")

    async def dependency(request: Request, credentials: HTTPAuthorizationCredentials | None
                         = Security(_bearer, scopes=[scope])) -> Caller:
        peer = request.client.host if request.client else ""
        caller = await threads.run(_authorize, credentials.credentials if credentials else None,
                                   scope, dict(request.path_params), peer,
                                   {k.lower(): v for k, v in request.headers.items()})
        # The endpoint runs in this context: what its services audit names the token.
        audit.API_TOKEN.set(caller.token.id if caller.token else None)
        return caller

    dependency.__name__ = f"require_{scope}"
    return dependency


def recheck(caller: Caller) -> Caller | None:
    """The caller as of now, or None once the token or its user no longer holds.

    For long streams: a revoked token, a disabled or demoted user loses what
    they follow within one check.
    """
    if caller.token is None:
        return None
    with session_scope() as s:
        found = api_tokens.active_by_id(session=s, token_id=caller.token.id)
        if found is None or found[0].must_change_password:
            return None
        user, row = found
        return Caller(user=api_tokens.acting_user(user, row), token=row, ip=caller.ip)

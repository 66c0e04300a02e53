"""Verified API tokens, remembered for a few seconds per process, re-checked on every use.

Measured (``bench.api_load``, cProfile of one ``GET /tasks/{id}``): the token
lookup was a third of a read's CPU: a session, the token row and the user row
through the ORM, and its commit. The hash is not the cost (SHA-256 of 256
random bits, see ``api_tokens``); the ORM is. So a token seen in the last
``TTL_SECONDS`` from the same address skips that, but never skips the check
that matters: every use still asks the database, in one indexed Core query,
whether the token is unrevoked and its user still enabled, with the role and
the forced password change the cache holds. A revoked token, a disabled,
deleted or demoted user, a forced password change, an expiry that passed or
was moved: refused on the next request in every process, as before; nothing
has to tell the caches.

Entries are copies of plain data (``Caller.user`` is never added to a session,
see ``deps.Caller``), at most ``MAX_ENTRIES``, and a full lookup every
``TTL_SECONDS`` keeps ``last_used_*`` as current as before (they are written at
most once a minute).
"""

from __future__ import annotations

import dataclasses
import threading
import time

from sqlalchemy import bindparam, or_, select

from clawweb.db import get_engine
from clawweb.models import ApiToken, User, utcnow
from clawweb.services.accounts.auth_sessions import hash_token

TTL_SECONDS = 30.0
MAX_ENTRIES = 1024


@dataclasses.dataclass(frozen=True)
class _Entry:
    user: dict
    token: dict
    until: float


_entries: dict[tuple[str, str], _Entry] = {}
_lock = threading.Lock()


def key(raw: str, ip: str) -> tuple[str, str]:
    """The cache key of a raw token used from ``ip`` (the raw token is never kept)."""
    return hash_token(raw), ip


def remember(cache_key: tuple[str, str], user: User, token: ApiToken) -> None:
    """Keep a token that was just authenticated in full."""
    entry = _Entry(user=user.model_dump(), token=token.model_dump(),
                   until=time.monotonic() + TTL_SECONDS)
    with _lock:
        if len(_entries) >= MAX_ENTRIES:
            _entries.pop(next(iter(_entries)))  # the oldest
        _entries[cache_key] = entry


def forget(cache_key: tuple[str, str]) -> None:
    """Drop one entry (it no longer holds)."""
    with _lock:
        _entries.pop(cache_key, None)


def clear() -> None:
    """Forget every entry (tests; a process that changed databases)."""
    with _lock:
        _entries.clear()


# Built once: per use only the values are bound (building it each time cost more
# than running it).
_HOLDS = (select(ApiToken.id).join(User, User.id == ApiToken.user_id)
          .where(ApiToken.id == bindparam("token_id"), ApiToken.revoked_at.is_(None),
                 or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > bindparam("now")),
                 User.id == bindparam("user_id"), User.disabled.is_(False),
                 User.role == bindparam("role"),
                 User.must_change_password == bindparam("must_change_password")))


def _still_holds(entry: _Entry) -> bool:
    user, token = entry.user, entry.token
    with get_engine().connect() as conn:
        return conn.execute(_HOLDS, {
            "token_id": token["id"], "now": utcnow(), "user_id": user["id"], "role": user["role"],
            "must_change_password": bool(user["must_change_password"])}).first() is not None


def lookup(cache_key: tuple[str, str]) -> tuple[User, ApiToken] | None:
    """Fresh copies of the remembered user and token, if both still hold (else None:
    authenticate in full)."""
    with _lock:
        entry = _entries.get(cache_key)
    if entry is None or entry.until <= time.monotonic():
        return None
    if not _still_holds(entry):
        forget(cache_key)
        return None
    # The constructors, not model_validate: these dicts are dumps of validated rows, and
    # validating them again was a sixth of a cached task read's CPU (measured, ~0.45 ms).
    # The scopes list is copied: a caller changing its copy must not change the entry.
    token = {**entry.token, "scopes": list(entry.token.get("scopes") or [])}
    return User(**entry.user), ApiToken(**token)

"""Brute-force throttling: failure counters per account and per IP in Redis.

Each failed sign-in (or wrong setup code) increments two counters, one for
the username tried and one for the client address. A counter lives for
``login_lockout_seconds`` from its first failure; the failure that reaches the
limit restarts that clock, so a lockout always lasts the full window. Counting
unknown usernames too keeps a locked-out answer from revealing which accounts
exist.

Redis down raises Unavailable: sign-in refuses rather than skipping the check.
"""

from __future__ import annotations

import math
from contextlib import contextmanager

from redis.exceptions import RedisError
from sqlmodel import Session

from clawweb import redis_conn, streams
from clawweb.models import Role, User
from clawweb.services import audit
from clawweb.services.errors import InvalidInput, PermissionDenied, Unavailable
from clawweb.settings import get_settings

# Usernames are at most 64 characters; a longer attempt still gets one bounded key.
_MAX_KEY_NAME = 128


@contextmanager
def _redis():
    try:
        yield redis_conn.get_redis()
    except RedisError as exc:
        raise Unavailable() from exc


def _account_key(username: str) -> str:
    return streams.login_fail_account_key(username.strip()[:_MAX_KEY_NAME])


def _keys(username: str, ip: str) -> list[tuple[str, int]]:
    """(key, limit) pairs.

    An empty name (setup codes) counts per address only; an unknown address
    gets no per-IP counter, which would otherwise be one shared by everyone.
    """
    s = get_settings()
    keys = []
    if username.strip():
        keys.append((_account_key(username), s.login_max_failures_per_account))
    if ip:
        keys.append((streams.login_fail_ip_key(ip), s.login_max_failures_per_ip))
    return keys


def check(username: str, ip: str) -> None:
    """Refuse an attempt while the account or the address is locked.

    Raises:
        InvalidInput: ``auth.locked`` with ``minutes`` until the lock ends.
        Unavailable: Redis cannot be reached.
    """
    keys = _keys(username, ip)
    with _redis() as r:
        pipe = r.pipeline(transaction=False)
        for key, _limit in keys:
            pipe.get(key)
            pipe.ttl(key)
        replies = pipe.execute()
    wait = 0
    for i, (_key, limit) in enumerate(keys):
        count, ttl = replies[2 * i], replies[2 * i + 1]
        if count is not None and int(count) >= limit:
            wait = max(wait, ttl if ttl and ttl > 0 else get_settings().login_lockout_seconds)
    if wait:
        raise InvalidInput("auth.locked", minutes=max(1, math.ceil(wait / 60)))


def record_failure(username: str, ip: str) -> bool:
    """Count one failed attempt for the account and the address.

    Returns:
        True when this failure started a lockout (of either counter).

    Raises:
        Unavailable: Redis cannot be reached.
    """
    window = get_settings().login_lockout_seconds
    keys = _keys(username, ip)
    with _redis() as r:
        pipe = r.pipeline(transaction=True)
        for key, _limit in keys:
            # SET NX EX + INCR in one MULTI: a counter can never lose its expiry.
            pipe.set(key, 0, ex=window, nx=True)
            pipe.incr(key)
        replies = pipe.execute()
        locked = [key for i, (key, limit) in enumerate(keys)
                  if int(replies[2 * i + 1]) == limit]
        for key in locked:
            r.expire(key, window)
    return bool(locked)


def reset_account(username: str) -> None:
    """Forget an account's failures (after a successful sign-in).

    The per-IP counter stays: one good password must not wipe the record of an
    address that is guessing at many accounts.
    """
    with _redis() as r:
        r.delete(_account_key(username))


def _require_admin(actor: User) -> None:
    if actor is None or actor.role != Role.admin or actor.disabled:
        raise PermissionDenied()


def unlock(*, session: Session, actor: User, username: str, ip: str = "") -> None:
    """Admin: lift an account's lockout now.

    Raises:
        PermissionDenied: ``actor`` is not an admin.
        Unavailable: Redis cannot be reached.
    """
    _require_admin(actor)
    reset_account(username)
    audit.record(session=session, actor=actor, action="auth.unlock", object_type="user",
                 object_id=username.strip().lower(), ip=ip)


def unlock_ip(*, session: Session, actor: User, address: str, ip: str = "") -> None:
    """Admin: lift a client address's lockout now (e.g. a shared office NAT).

    Raises:
        PermissionDenied: ``actor`` is not an admin.
        Unavailable: Redis cannot be reached.
    """
    _require_admin(actor)
    with _redis() as r:
        r.delete(streams.login_fail_ip_key(address))
    audit.record(session=session, actor=actor, action="auth.unlock_ip", object_type="ip",
                 object_id=address, ip=ip)

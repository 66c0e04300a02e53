"""Brute-force throttling: lockouts per account and address, back-off where an
address may be shared, a global soft limit. All state lives in Redis.

Each failed sign-in (or wrong setup code) increments three counters: one for
the username tried, one for the client address, one for everybody. A counter
lives for ``login_lockout_seconds`` from its first failure; the failure that
reaches a lockout limit restarts that clock, so a lockout always lasts the full
window. Counting unknown usernames too keeps a locked-out answer from revealing
which accounts exist.

- ``check`` refuses while a HARD lockout holds: the account's (always), the
  address's only when the address is trustworthy (``ip_trusted``): it is the
  peer of the TCP connection with no proxy header, or it was taken from
  X-Forwarded-For through configured trusted proxy hops. Without that, the
  address may be a reverse proxy's that everybody shares, and locking it would
  let one attacker lock out every user.
- ``pace`` is the SOFT back-off, in seconds the caller waits before checking the
  password: an untrusted address past ``login_backoff_after_failures`` gets its
  attempts spaced by a doubling delay (each attempt reserves the next slot, so a
  parallel flood is serialised rather than let through); every attempt waits a
  little once all addresses together pass ``login_global_soft_failures``. Only a
  flooding untrusted address is ever refused by ``pace``, with ``auth.slow_down``
  and a wait of seconds, never a lockout.

Redis down raises Unavailable: sign-in refuses rather than skipping the check.
"""

from __future__ import annotations

import math
import time
from contextlib import contextmanager

from redis.exceptions import RedisError, WatchError
from sqlmodel import Session

from clawweb import redis_conn, streams
from clawweb.models import Role, User
from clawweb.services import audit
from clawweb.services.errors import InvalidInput, PermissionDenied, Unavailable
from clawweb.settings import get_settings

# Usernames are at most 64 characters; a longer attempt still gets one bounded key.
_MAX_KEY_NAME = 128
_FORWARDED_SEEN_SECONDS = 30 * 86400


@contextmanager
def _redis():
    try:
        yield redis_conn.get_redis()
    except RedisError as exc:
        raise Unavailable() from exc


def _account_key(username: str) -> str:
    return streams.login_fail_account_key(username.strip()[:_MAX_KEY_NAME])


def _keys(username: str, ip: str, ip_trusted: bool) -> list[tuple[str, int | None]]:
    """(key, hard limit or None) pairs of the counters one failure increments.

    An empty name (setup codes) counts per address only; an unknown address
    gets no per-IP counter, which would otherwise be one shared by everyone.
    An untrusted address is counted (for its back-off) but has no hard limit.
    """
    s = get_settings()
    keys: list[tuple[str, int | None]] = []
    if username.strip():
        keys.append((_account_key(username), s.login_max_failures_per_account))
    if ip:
        keys.append((streams.login_fail_ip_key(ip),
                     s.login_max_failures_per_ip if ip_trusted else None))
    return keys


def check(username: str, ip: str, *, ip_trusted: bool = True) -> None:
    """Refuse an attempt while the account or the (trustworthy) address is locked.

    Raises:
        InvalidInput: ``auth.locked`` with ``minutes`` until the lock ends.
        Unavailable: Redis cannot be reached.
    """
    keys = [(k, limit) for k, limit in _keys(username, ip, ip_trusted) if limit is not None]
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


def record_failure(username: str, ip: str, *, ip_trusted: bool = True) -> bool:
    """Count one failed attempt for the account, the address and everybody.

    Returns:
        True when this failure started a hard lockout (of the account, or of a
        trustworthy address).

    Raises:
        Unavailable: Redis cannot be reached.
    """
    window = get_settings().login_lockout_seconds
    keys = [*_keys(username, ip, ip_trusted), (streams.login_fail_all_key(), None)]
    with _redis() as r:
        pipe = r.pipeline(transaction=True)
        for key, _limit in keys:
            # SET NX EX + INCR in one MULTI: a counter can never lose its expiry.
            pipe.set(key, 0, ex=window, nx=True)
            pipe.incr(key)
        replies = pipe.execute()
        locked = [key for i, (key, limit) in enumerate(keys)
                  if limit is not None and int(replies[2 * i + 1]) == limit]
        for key in locked:
            r.expire(key, window)
    return bool(locked)


def _backoff(failures: int, start: int, unit: float, cap: float) -> float:
    """0 below ``start`` failures, then ``unit`` doubling per failure, at most ``cap``."""
    if failures < start:
        return 0.0
    return min(cap, unit * 2 ** min(failures - start, 32))


def _reserve_slot(r, key: str, spacing: float, queue: float, ttl: int) -> float:
    """Take the address's next free slot; the seconds until it (or -wait if full).

    WATCH/MULTI rather than a Lua script: two web processes (or two threads)
    reserving at once retry instead of both taking the same slot.
    """
    with r.pipeline() as pipe:
        while True:
            try:
                pipe.watch(key)
                now = time.time()
                raw = pipe.get(key)
                slot = max(now, float(raw) if raw is not None else 0.0)
                if slot - now > queue:
                    pipe.reset()
                    return -(slot - now)
                pipe.multi()
                pipe.set(key, repr(slot + spacing), ex=ttl)
                pipe.execute()
                return slot - now
            except WatchError:
                continue


def pace(ip: str, *, ip_trusted: bool) -> float:
    """Seconds the caller must wait before checking this attempt's password.

    Raises:
        InvalidInput: ``auth.slow_down`` with ``seconds`` when an untrusted
            address is flooding (its queue of spaced attempts is full).
        Unavailable: Redis cannot be reached.
    """
    s = get_settings()
    with _redis() as r:
        all_failures, ip_failures = r.mget(
            streams.login_fail_all_key(), streams.login_fail_ip_key(ip))
        wait = _backoff(int(all_failures or 0), s.login_global_soft_failures, 0.05,
                        s.login_global_max_delay_seconds)
        if ip and not ip_trusted:
            spacing = _backoff(int(ip_failures or 0), s.login_backoff_after_failures, 1.0,
                               s.login_backoff_max_seconds)
            if spacing:
                slot = _reserve_slot(r, streams.login_slot_ip_key(ip), spacing,
                                     s.login_backoff_queue_seconds, s.login_lockout_seconds)
                if slot < 0:
                    raise InvalidInput("auth.slow_down", seconds=max(1, math.ceil(-slot)))
                wait = max(wait, slot)
    return wait


def reset_account(username: str) -> None:
    """Forget an account's failures (after a successful sign-in).

    The per-IP counter stays: one good password must not wipe the record of an
    address that is guessing at many accounts.
    """
    with _redis() as r:
        r.delete(_account_key(username))


def note_forwarded_header() -> None:
    """Remember that a proxy header arrived while no proxy hops are trusted.

    ``manage doctor`` reads it to say CLAWWEB_TRUSTED_PROXY_HOPS is probably
    missing. One SET per sign-in attempt (the routes that call it are rare
    and already talk to Redis); a Redis error is ignored, it is only a hint.
    """
    try:
        redis_conn.get_redis().set(streams.forwarded_seen_key(), int(time.time()),
                                   ex=_FORWARDED_SEEN_SECONDS)
    except RedisError:
        pass


def forwarded_header_seen() -> bool:
    """True when a request with a proxy header arrived in the last 30 days.

    Raises:
        Unavailable: Redis cannot be reached.
    """
    with _redis() as r:
        return bool(r.exists(streams.forwarded_seen_key()))


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
    """Admin: lift a client address's lockout and back-off now (e.g. a shared office NAT).

    Raises:
        PermissionDenied: ``actor`` is not an admin.
        Unavailable: Redis cannot be reached.
    """
    _require_admin(actor)
    with _redis() as r:
        r.delete(streams.login_fail_ip_key(address), streams.login_slot_ip_key(address))
    audit.record(session=session, actor=actor, action="auth.unlock_ip", object_type="ip",
                 object_id=address, ip=ip)

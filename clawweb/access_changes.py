"""A signal in Redis that someone's access may have changed, raised by the ORM itself.

Live loops (:class:`clawweb.state.live_access.Caller`) must notice at once when
their user loses access, yet must not ask the database every half second. So
every committed change that can take access away or grant it (a session
revoked or shortened, a user disabled, made to change the password or given
another role, a membership added, changed or removed, a project deleted)
increments one Redis counter, ``streams.access_version_key()``. A loop reads
that counter (one Redis GET) and re-resolves its caller only when it moved,
plus every few seconds regardless (for changes made around the ORM, and for
sessions that simply expire).

The hook sits on SQLAlchemy's Session class, not in the services: whoever
commits through the ORM (a service, the admin CLI, a worker, a test) raises the
signal, so no new code path can forget it; a bulk ``update``/``delete`` on one
of these tables raises it too (whatever columns it sets). Raw SQL around the
ORM does not: the loops' periodic re-check covers that.
"""

from __future__ import annotations

import logging

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from clawweb import streams

log = logging.getLogger(__name__)

FLAG = "clawweb_access_changed"
# Table -> the columns whose change matters (None: any change, or the row coming or going).
WATCHED: dict[str, tuple[str, ...] | None] = {
    "authsession": ("revoked_at", "expires_at"),
    "user": ("disabled", "must_change_password", "role"),
    "projectmember": None,
    "project": (),  # only its deletion (its members go with it)
}


def _watched(obj) -> tuple[str, ...] | None | bool:
    table = getattr(type(obj), "__tablename__", None)
    return WATCHED.get(table, False) if isinstance(table, str) else False


def touches_access(session: Session) -> bool:
    """Whether the pending flush of ``session`` may change anyone's access."""
    if any(_watched(obj) is not False for obj in session.deleted):
        return True
    if any(_watched(obj) is None for obj in session.new):
        return True  # a new membership (new sessions and users take nobody's access)
    for obj in session.dirty:
        columns = _watched(obj)
        if columns is None and session.is_modified(obj):
            return True
        if columns:
            attrs = inspect(obj).attrs
            if any(attrs[c].history.has_changes() for c in columns):
                return True
    return False


def bump(redis=None) -> None:
    """Raise the signal (best effort: the loops' periodic re-check covers a lost one)."""
    from clawweb import redis_conn

    try:
        (redis or redis_conn.get_redis()).incr(streams.access_version_key())
    except Exception:  # noqa: BLE001 - Redis down: the loops fall back to their re-check
        log.warning("access change not signalled (Redis unavailable)")


async def version() -> bytes | None:
    """The signal's current value (``b""`` when never raised), None when Redis can't say."""
    from clawweb import redis_conn

    try:
        return await redis_conn.get_async_redis().get(streams.access_version_key()) or b""
    except Exception:  # noqa: BLE001 - unknown: the caller re-checks the database
        return None


@event.listens_for(Session, "before_flush")
def _before_flush(session, _context, _instances) -> None:
    if touches_access(session):
        session.info[FLAG] = True


@event.listens_for(Session, "do_orm_execute")
def _bulk_statement(orm_state) -> None:
    # ``update(User)...`` and ``delete(ProjectMember)...`` never pass through a flush.
    mapper = orm_state.bind_mapper
    if (orm_state.is_update or orm_state.is_delete) and mapper is not None \
            and mapper.local_table.name in WATCHED:
        orm_state.session.info[FLAG] = True


@event.listens_for(Session, "after_commit")
def _after_commit(session) -> None:
    if session.info.pop(FLAG, False):
        bump()


@event.listens_for(Session, "after_rollback")
def _after_rollback(session) -> None:
    session.info.pop(FLAG, None)

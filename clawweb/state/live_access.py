"""A background loop's hold on its caller, re-checked by the server when access changes.

A background event (a task's live output, a task list) runs for as long as
its page is open and receives no events, so the access wrappers never see it
again. It therefore re-resolves its caller itself, off the state lock and off
the event loop (``asyncio.to_thread``): the session row (revoked, expired),
the user (disabled, must change password) and the object (a project role),
through the same services the handlers use. This is the enforcement; the
page's heartbeat only makes a cooperative tab notice sooner.

It does so when access may have changed, not on a timer: every half second it
reads one Redis counter (:mod:`clawweb.access_changes`, raised by every ORM
commit that revokes a session, disables a user, changes a role or a
membership), and resolves again when the counter moved, when Redis cannot say,
and at least every ``FALLBACK_SECONDS`` (changes made around the ORM, sessions
that simply expire). A revocation is therefore seen within half a second, as
before, while a loop of an unchanged caller asks the database only every few
seconds.

A failing check (the database is down) is not a revocation, for a while: after
``GIVE_UP_SECONDS`` without one successful check the loop ends too.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Callable

from sqlmodel import Session

from clawweb import access_changes
from clawweb.db import session_scope
from clawweb.models import User
from clawweb.services.accounts import auth_sessions
from clawweb.services.errors import NotFound, PermissionDenied

log = logging.getLogger(__name__)

RECHECK_SECONDS = 0.5  # how often the access-change counter is read
FALLBACK_SECONDS = 5.0  # resolve at least this often, counter moved or not
GIVE_UP_SECONDS = 10.0

SIGNED_OUT = "signed_out"  # session revoked or expired, user disabled or gone
DENIED = "denied"          # signed in, but must change the password or lost the object

# (database session, fresh user) -> scope; raises NotFound/PermissionDenied without access.
Check = Callable[[Session, User], Any]


def session_token_of(state) -> str:
    """The browser's session token, as the access wrappers resolve it.

    Read inside ``async with self``; the one place a loop learns its credential.
    """
    return state.session_token


class Caller:
    """Who a loop runs for, and whether they still may.

    Args:
        token: The session token read from the state when the loop started.
        check: Optional object check run with the fresh user; its return value
            (the "scope", e.g. the visible project ids) is kept in ``scope``.
    """

    def __init__(self, token: str, check: Check | None = None):
        self.token = token
        self.check = check
        self.user: User | None = None
        self.scope: Any = None
        self.lost = ""
        self._due = 0.0
        self._fallback_due = 0.0
        self._version: bytes | None = None  # the counter as of the last resolve
        self._last_ok = time.monotonic()

    @classmethod
    def of(cls, state, check: Check | None = None) -> "Caller":
        """A caller for this state's browser (call inside ``async with self``)."""
        return cls(session_token_of(state), check)

    async def allowed(self) -> bool:
        """False once access is gone; re-resolves when the access-change counter moved."""
        if self.lost:
            return False
        now = time.monotonic()
        if self.user is not None and now < self._due:
            return True
        self._due = now + RECHECK_SECONDS
        # Read before resolving: a change landing in between moves it again.
        seen = await access_changes.version()
        if self.user is not None and seen is not None and seen == self._version \
                and now < self._fallback_due:
            return True
        try:
            self.user, self.scope, self.lost = await asyncio.to_thread(self._resolve)
        except Exception:  # noqa: BLE001 - a database blip is not a revocation
            log.warning("live access check failed", exc_info=True)
            if now - self._last_ok > GIVE_UP_SECONDS:
                self.lost = DENIED
            return not self.lost and self.user is not None
        self._last_ok, self._version = now, seen
        self._fallback_due = now + FALLBACK_SECONDS
        return not self.lost

    def _resolve(self) -> tuple[User | None, Any, str]:
        with session_scope() as s:
            found = auth_sessions.resolve(session=s, token=self.token, touch=False)
            if found is None:
                return None, None, SIGNED_OUT
            user = found[0]
            if user.must_change_password:
                return None, None, DENIED
            try:
                scope = self.check(s, user) if self.check is not None else None
            except (NotFound, PermissionDenied):
                return None, None, DENIED
            s.expunge(user)
            return user, scope, ""

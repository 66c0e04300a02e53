"""Access markers for event handlers, and where their bodies run.

Every Reflex event handler is callable by any connected client, so each one is
declared with exactly one of these decorators. ``tests/state/test_authorization.py``
enumerates every handler on every State class and fails when one has no marker,
or when a marked handler reads or changes anything for an anonymous caller or a
user without rights.

- ``public``: safe for anyone (sign-in form, language switch before sign-in).
- ``signed_in``: needs a valid session; the handler receives nothing extra but
  must call ``self.require_user()`` (done by the wrapper) before doing anything.
- ``admin_only``: needs an enabled admin.
- ``streaming``: a background loop; it re-checks its caller itself
  (:mod:`clawweb.state.live_access`).

While a user must change their password (an admin reset it), ``signed_in`` and
``admin_only`` handlers are refused, except those marked
``allowed_during_password_change`` (changing it, signing out). The page's
redirect to the account page is a convenience; this is the enforcement.

Object-level rights (project roles) are checked by the services the handler
calls; they raise ServiceError, which the wrapper turns into a toast.

Off the loop: Reflex calls a plain ``def`` handler on its one event loop, so a
blocking body (argon2, git, a SQLite busy wait, a Redis ping) would stall every
browser. The wrappers run the check and the body of a plain handler in a
small named thread pool (:mod:`clawweb.state.offload`) while the loop awaits it,
still inside Reflex's per-tab state lock, so a tab's events keep their order;
a handler marked ``hashes_passwords`` (argon2) uses the password pool.
An ``async def`` handler is awaited on the loop as before, but its check runs
in the pool; its body must push its own blocking calls off the loop.
"""

from __future__ import annotations

import functools
import inspect

from clawweb import routes
from clawweb.state import offload

ACCESS_ATTR = "_clawweb_access"
PASSWORD_CHANGE_ATTR = "_clawweb_password_change_ok"
PASSWORD_POOL_ATTR = "_clawweb_hashes_passwords"


class server_only:  # noqa: N801 - reads as a decorator
    """A State method that must NOT become a client-callable event.

    Reflex exposes every public function on a State class as an event handler.
    Helpers such as ``current_user`` are for handlers to call, never clients;
    wrapping them in this descriptor (no ``__code__``, not callable itself)
    keeps them off the event list while ``self.helper()`` works as before.
    """

    def __init__(self, fn):
        self.fn = fn
        self.__doc__ = fn.__doc__
        self.__name__ = fn.__name__

    def __get__(self, obj, objtype=None):
        return self.fn if obj is None else self.fn.__get__(obj, objtype)


def _mark(fn, level: str):
    setattr(fn, ACCESS_ATTR, level)
    return fn


def public(fn):
    """Callable without a session. Keep the list of these short."""
    return _mark(_wrap(fn, None), "public")


def signed_in(fn):
    """Needs a valid session (and no pending forced password change)."""
    return _mark(_wrap(fn, "user"), "signed_in")


def admin_only(fn):
    """Needs an enabled admin (and no pending forced password change)."""
    return _mark(_wrap(fn, "admin"), "admin")


def allowed_during_password_change(fn):
    """Mark a guarded handler as callable while the password must change.

    Only for what changing the password needs (the change itself, signing
    out). Works above or below ``signed_in``: the wrapper reads the mark on
    each call, from itself or from the function it wraps.
    """
    setattr(fn, PASSWORD_CHANGE_ATTR, True)
    return fn


def hashes_passwords(fn):
    """Mark a plain guarded handler whose body runs argon2: it runs in the password pool.

    argon2 takes 64 MiB and a core's worth of time on purpose; in the handler
    pool a few such calls would hold the threads every page load needs (see
    :mod:`clawweb.state.offload`). Works above or below ``signed_in``.
    """
    setattr(fn, PASSWORD_POOL_ATTR, True)
    return fn


def _marked(fn, attr: str) -> bool:
    """Whether ``fn`` or a function it wraps carries ``attr``."""
    while fn is not None:
        if getattr(fn, attr, False):
            return True
        fn = getattr(fn, "__wrapped__", None)
    return False


def password_change_allowed(fn) -> bool:
    """Whether ``fn`` (a handler, wrapped or not) carries the allowance."""
    return _marked(fn, PASSWORD_CHANGE_ATTR)


def _wrap(fn, level: str | None):
    if inspect.isasyncgenfunction(fn) or inspect.isgeneratorfunction(fn):
        raise TypeError(f"{fn.__qualname__}: guarded handlers must not be generators")

    if inspect.iscoroutinefunction(fn):
        @functools.wraps(fn)
        async def async_wrapper(self, *args, **kwargs):
            try:
                denied = await offload.run(offload.HANDLERS, _check, self, level,
                                           async_wrapper)
                if denied is not None:
                    return denied
                return await fn(self, *args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - turned into a toast
                return self.handle_error(exc)
        return async_wrapper

    def guarded(self, *args, **kwargs):
        try:
            denied = _check(self, level, wrapper)
            if denied is not None:
                return denied
            return fn(self, *args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - turned into a toast
            return self.handle_error(exc)

    @functools.wraps(fn)
    def wrapper(self, *args, **kwargs):
        # On the event loop (Reflex calling it): hand back an async generator
        # that Reflex drains, which runs the body in the pool. Anywhere else
        # (a handler calling another handler, already on a pool thread, or a
        # plain test) run it right here.
        if offload.on_event_loop():
            pool = offload.PASSWORDS if _marked(wrapper, PASSWORD_POOL_ATTR) \
                else offload.HANDLERS
            return offload.run_as_events(pool, guarded, self, *args, **kwargs)
        return guarded(self, *args, **kwargs)
    return wrapper


def _check(state, level: str | None, handler):
    """None when the caller may run ``handler``, else the refusal to send back."""
    if level is None:
        return None
    user = state.current_user()
    if user is None:
        return state.deny_anonymous()
    if user.must_change_password and not password_change_allowed(handler):
        return _deny_until_password_changed(state)
    if level == "admin" and user.role.value != "admin":
        return state.deny_forbidden()
    return None


def _deny_until_password_changed(state):
    """Back to the account page; on it, refuse quietly (its polls would toast forever).

    Refused either way: the page an event names comes from the client, so it
    only decides how the refusal looks. ``[]`` is a refusal with no events
    (None would let the handler run).
    """
    import reflex as rx

    if (state.router.url.path or "").rstrip("/") == routes.ACCOUNT.rstrip("/"):
        return []
    return rx.redirect(routes.ACCOUNT)


def streaming(fn):
    """Marker for background handlers (live streams), which cannot be wrapped.

    Such a handler must resolve its caller through
    :class:`clawweb.state.live_access.Caller` before reading anything, and
    re-check it (at least every second) for as long as it runs; on loss it
    clears what it put in state and returns. The authorization test calls
    these too and checks that an anonymous or unauthorised caller gets no
    data into state.
    """
    return _mark(fn, "streaming")

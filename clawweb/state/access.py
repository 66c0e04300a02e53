"""Access markers for event handlers.

Every Reflex event handler is callable by any connected client, so each one is
declared with exactly one of these decorators. ``tests/state/test_authorization.py``
enumerates every handler on every State class and fails when one has no marker,
or when a marked handler reads or changes anything for an anonymous caller or a
user without rights.

- ``public``: safe for anyone (sign-in form, language switch before sign-in).
- ``signed_in``: needs a valid session; the handler receives nothing extra but
  must call ``self.require_user()`` (done by the wrapper) before doing anything.
- ``admin_only``: needs an enabled admin.

Object-level rights (project roles) are checked by the services the handler
calls; they raise ServiceError, which the wrapper turns into a toast.
"""

from __future__ import annotations

import functools
import inspect

ACCESS_ATTR = "_clawweb_access"


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
    return _mark(_wrap(fn, "user"), "signed_in")


def admin_only(fn):
    return _mark(_wrap(fn, "admin"), "admin")


def _wrap(fn, level: str | None):
    if inspect.isasyncgenfunction(fn) or inspect.isgeneratorfunction(fn):
        raise TypeError(f"{fn.__qualname__}: guarded handlers must not be generators")

    if inspect.iscoroutinefunction(fn):
        @functools.wraps(fn)
        async def async_wrapper(self, *args, **kwargs):
            denied = _check(self, level)
            if denied is not None:
                return denied
            try:
                return await fn(self, *args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - turned into a toast
                return self.handle_error(exc)
        return async_wrapper

    @functools.wraps(fn)
    def wrapper(self, *args, **kwargs):
        denied = _check(self, level)
        if denied is not None:
            return denied
        try:
            return fn(self, *args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - turned into a toast
            return self.handle_error(exc)
    return wrapper


def _check(state, level: str | None):
    if level is None:
        return None
    user = state.current_user()
    if user is None:
        return state.deny_anonymous()
    if level == "admin" and user.role.value != "admin":
        return state.deny_forbidden()
    return None


def streaming(fn):
    """Marker for background handlers (live streams), which cannot be wrapped.

    Such a handler must, before reading anything, resolve the caller inside
    ``async with self: user = self.current_user()`` and return when it is
    None, then check the object through a service (which raises on no right).
    The authorization test calls these too and checks that an anonymous or
    unauthorised caller gets no data into state.
    """
    return _mark(fn, "streaming")

"""Driving Reflex State classes directly in tests, without a running app."""

from __future__ import annotations


class BackgroundProxy:
    """Stands in for Reflex's StateProxy so a background handler can run in a test:
    ``async with self`` is a no-op and attribute access goes to the real state."""

    def __init__(self, state):
        object.__setattr__(self, "_state", state)

    def __getattr__(self, name):
        return getattr(self._state, name)

    def __setattr__(self, name, value):
        setattr(self._state, name, value)

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        return False


def _registry():
    """Reflex's registration context, captured where the app's states were registered.

    Reflex keeps its registry in a ContextVar set when the state classes are
    first imported; an async test imports them inside its own context copy,
    which the next test does not inherit. Importing the app here, at module
    import time, registers them in the main context every test starts from.
    """
    from clawweb import clawweb as _app  # noqa: F401 - registers every page's state
    from reflex_base.registry import RegistrationContext

    return RegistrationContext.get()


_REGISTRY = _registry()


def signed_in_token(engine, username: str, password: str) -> str:
    """A new user ``username`` with a signed-in session; returns the session token."""
    from sqlmodel import Session

    from clawweb.models import User
    from clawweb.services.accounts import auth_sessions, passwords

    with Session(engine) as s:
        s.add(User(username=username, password_hash=passwords.hash_password(password)))
        s.commit()
        _, token = auth_sessions.sign_in(session=s, username=username, password=password,
                                         ip="", user_agent="")
        s.commit()
    return token


def new_state(cls, token: str = ""):
    """A fresh state tree; returns (root, the ``cls`` substate) signed in with ``token``.

    The token arrives as the browser's would: the session cookie in the Cookie
    header of the event socket's handshake.
    """
    import dataclasses

    import reflex as rx
    from reflex.istate.data import HeaderData

    from clawweb.http import session_cookie
    from reflex_base.registry import RegistrationContext

    if RegistrationContext._context_var.get(None) is None:
        RegistrationContext.set(_REGISTRY)
    root = rx.State(_reflex_internal_init=True)
    state = root.get_substate(cls.get_full_name().split("."))
    if token:
        cookie = f"theme=dark; {session_cookie.cookie_name()}={token}"
        headers = HeaderData.from_router_data({"headers": {"cookie": cookie}})
        state.router = dataclasses.replace(state.router, headers=headers)
    assert state.session_token == token
    return root, state


async def run_handler(handler, state, *args):
    """Call an event handler the way Reflex's ``process_event`` does, on a running loop.

    A plain function is called; a coroutine is awaited; an async generator is
    drained. Returns the last value the handler returned or yielded.
    """
    import inspect

    result = handler.fn(state, *args)
    if inspect.iscoroutine(result):
        return await result
    if inspect.isasyncgen(result):
        last = None
        async for item in result:
            last = item
        return last
    return result


def visit(state, path: str) -> None:
    """Put ``state`` on the page at ``path`` as a browser's navigation would.

    Sets the URL and the page's route arguments (``/tasks/7`` on the route
    ``/tasks/[task_id]`` gives ``task_id="7"``), which Reflex installs as vars
    on the root state; the query string becomes page params too.
    """
    import dataclasses
    from urllib.parse import parse_qsl, urlsplit

    from reflex.istate.data import PageData

    parts = urlsplit(path)
    params = dict(parse_qsl(parts.query)) | route_args(parts.path)
    url = type(state.router.url)(f"http://127.0.0.1{path}")
    state.router = dataclasses.replace(state.router, url=url,
                                       _page=PageData(path=parts.path, params=params))


def route_args(path: str) -> dict[str, str]:
    """The ``[arg]`` values of the first route of ``clawweb/routes.py`` that ``path`` matches."""
    from clawweb import routes

    wanted = [p for p in path.strip("/").split("/") if p]
    for route in vars(routes).values():
        if not isinstance(route, str) or not route.startswith("/") or "[" not in route:
            continue
        pattern = [p for p in route.strip("/").split("/") if p]
        if len(pattern) != len(wanted):
            continue
        args = {}
        for want, got in zip(pattern, wanted):
            if want.startswith("[") and want.endswith("]"):
                args[want[1:-1]] = got
            elif want != got:
                break
        else:
            return args
    return {}

"""Every Reflex event handler checks who calls it and what they may touch.

Any connected client can call any handler with any arguments, so this test
enumerates every handler on every State class of the app and:

1. requires an access marker (``public``/``signed_in``/``admin_only``/``streaming``
   from clawweb.state.access); a new handler without one fails here;
2. calls it anonymously and as a signed-in member with no rights, with every
   id argument pointing at another user's objects, and checks that nothing in
   the database changed and none of the victim's data reached the state;
3. checks that anonymous calls of guarded handlers are turned away, and that
   Reflex's built-in ``setvar`` cannot set identity vars.
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import json
from datetime import timedelta

import pytest
import reflex  # noqa: F401 - a missing Reflex must fail these tests, never skip them
from reflex.istate.data import ReflexURL
from sqlmodel import SQLModel, select

from clawweb import routes
from clawweb.models import (ApiToken, AuthSession, Project, ProjectMember, ProjectRole, Role, Task,
                            TaskEvent, User, utcnow)

from tests.support.reflex_state import BackgroundProxy, new_state


VICTIM_ID = 7
SECRETS = ("victim-secret-project", "victim-secret-command", "victim-secret-output",
           "Victim Secret Name")
# Handlers that anyone may call: each must be safe with hostile input.
PUBLIC = {
    "init_language", "choose_language", "heartbeat", "require_sign_in",
    "load_sign_in", "show_error", "load_setup", "load_invite",
}
# Columns that legitimately change on any authenticated call.
VOLATILE = {"authsession": {"last_seen_at"}}
IGNORED_TABLES = {"auditevent"}  # denials are audited; that is a change we want


class Form(dict):
    """A form where every field the handler asks for names the victim's object."""

    def get(self, key, default=None):
        return self[key] if key in self else str(VICTIM_ID)

    def __missing__(self, key):
        return str(VICTIM_ID)


def _state_classes():
    from clawweb import clawweb as _app  # noqa: F401 - registers every page's state
    from clawweb.state.base import AppState

    def walk(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from walk(sub)

    return [AppState, *walk(AppState)]


def _own_handlers(classes=None):
    """Every handler Reflex routes to each class, wherever it is defined.

    A handler a class takes from a mixin or a base class runs on that class's
    vars, so it is checked (and called by strangers) on every class that has it.
    """
    for cls in _state_classes() if classes is None else classes:
        for name, handler in cls.event_handlers.items():
            if name == "setvar":
                continue
            yield cls, name, handler


def _unmarked(classes=None) -> list[str]:
    from clawweb.state.access import ACCESS_ATTR

    return [f"{cls.__name__}.{name}" for cls, name, handler in _own_handlers(classes)
            if not getattr(handler.fn, ACCESS_ATTR, None)]


def _args_for(fn):
    args = []
    for param in list(inspect.signature(fn).parameters.values())[1:]:
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        ann = str(param.annotation)
        if "dict" in ann or param.name in ("form", "form_data", "data"):
            args.append(Form(password="x" * 12, password2="x" * 12))
        elif "int" in ann:
            args.append(VICTIM_ID)
        elif "bool" in ann:
            args.append(True)
        elif "list" in ann:
            args.append([str(VICTIM_ID)])
        else:
            args.append(str(VICTIM_ID))
    return args


MALLORY_ID = VICTIM_ID + 1


def _owned_by_caller(table, row) -> bool:
    """The caller's own rows may change (signing out their own session)."""
    if table.name == "user":
        return row.id == MALLORY_ID
    return "user_id" in table.columns and row.user_id == MALLORY_ID


def _snapshot(engine) -> dict:
    out = {}
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            if table.name in IGNORED_TABLES:
                continue
            skip = VOLATILE.get(table.name, set())
            cols = [c for c in table.columns if c.name not in skip]
            rows = conn.execute(table.select()).all()
            out[table.name] = sorted(
                repr(tuple(getattr(r, c.name) for c in cols))
                for r in rows if not _owned_by_caller(table, r))
    return out


def _call(cls, handler, token: str, url: str = ""):
    root, state = new_state(cls, token)
    if url:  # the page the event says it comes from: the client's to choose
        state.router = dataclasses.replace(state.router, url=ReflexURL(url))
    fn = handler.fn
    args = _args_for(fn)
    # No exception is swallowed: a guarded handler turns a stranger away by
    # returning a denial (checked below); raising, or a stream that does not stop
    # for a stranger within 5 s, is a failure.
    if handler.is_background:
        result = asyncio.run(asyncio.wait_for(_drain(fn(BackgroundProxy(state), *args)), 5))
    elif inspect.iscoroutinefunction(fn):
        result = asyncio.run(fn(state, *args))
    else:
        result = fn(state, *args)
    return root, result


async def _drain(maybe_gen):
    if inspect.isasyncgen(maybe_gen):
        async for _ in maybe_gen:
            pass
        return None
    return await maybe_gen


@pytest.fixture
def world(engine, fake_redis, fast_hashing):
    """A victim with a project, a task and its output; a member with no rights."""
    from sqlmodel import Session

    from clawweb.services.accounts import auth_sessions, passwords

    with Session(engine) as s:
        for i in range(1, VICTIM_ID):  # make the victim's ids all equal VICTIM_ID
            s.add(User(id=i, username=f"filler{i}", disabled=True, password_hash="!"))
            s.add(Project(id=i, name=f"filler{i}", slug=f"filler{i}"))
        s.flush()
        s.add(User(id=VICTIM_ID, username="alice", display_name="Victim Secret Name",
                   password_hash=passwords.hash_password("alice password 123")))
        s.add(Project(id=VICTIM_ID, name="victim-secret-project", slug="victim"))
        s.flush()
        s.add(ProjectMember(project_id=VICTIM_ID, user_id=VICTIM_ID, role=ProjectRole.owner))
        for i in range(1, VICTIM_ID + 1):
            s.add(Task(id=i, project_id=VICTIM_ID, created_by=VICTIM_ID,
                       command="echo victim-secret-command", status="running"))
        s.flush()
        s.add(TaskEvent(task_id=VICTIM_ID, seq=1, ts=0.0, type="output",
                        data={"stream": "stdout", "text": "victim-secret-output\n"}))
        s.add(AuthSession(id=VICTIM_ID, user_id=VICTIM_ID, token_hash="0" * 64,
                          expires_at=utcnow() + timedelta(days=1)))
        s.add(ApiToken(id=VICTIM_ID, user_id=VICTIM_ID, name="victim-secret-project laptop",
                       token_hash="1" * 64, prefix="cwt_victim", scopes=["read"]))
        s.add(User(id=MALLORY_ID, username="mallory", role=Role.member,
                   password_hash=passwords.hash_password("mallory password 123")))
        s.commit()
        _, token = auth_sessions.sign_in(session=s, username="mallory",
                                         password="mallory password 123", ip="", user_agent="")
        s.commit()
    return token


def _leaks(root) -> list[str]:
    text = json.dumps(root.dict(), default=str)
    return [secret for secret in SECRETS if secret in text]


def test_every_handler_declares_its_access():
    from clawweb.state.access import ACCESS_ATTR

    missing = _unmarked()
    assert not missing, f"handlers without an access decorator: {missing}"
    unexpected_public = [f"{cls.__name__}.{name}" for cls, name, handler in _own_handlers()
                         if getattr(handler.fn, ACCESS_ATTR, None) == "public"
                         and name not in PUBLIC]
    assert not unexpected_public, f"new public handlers need review: {unexpected_public}"


def test_a_handler_taken_from_a_mixin_is_checked_on_the_class_that_has_it():
    from types import SimpleNamespace

    from clawweb.state.access import signed_in

    class CredentialMixin:  # a shared form's handlers, defined outside the page's class
        def save(self, form: dict): ...

        @signed_in
        def test(self): ...

    page = type("PageState", (), {"event_handlers": {
        "save": SimpleNamespace(fn=CredentialMixin.save),
        "test": SimpleNamespace(fn=CredentialMixin.test)}})
    assert _unmarked([page]) == ["PageState.save"]


def _all_handler_ids():
    return [pytest.param(cls, name, handler, id=f"{cls.__name__}.{name}")
            for cls, name, handler in _own_handlers()]


@pytest.mark.parametrize("cls,name,handler", _all_handler_ids())
@pytest.mark.parametrize("caller", ["anonymous", "member_without_rights"])
def test_handler_refuses_strangers(cls, name, handler, caller, world, engine):
    from clawweb.state.access import ACCESS_ATTR

    token = "" if caller == "anonymous" else world
    before = _snapshot(engine)
    root, result = _call(cls, handler, token)
    after = _snapshot(engine)
    changed = [t for t in before if before[t] != after[t]]
    assert not changed, f"{cls.__name__}.{name} as {caller} changed {changed}"
    assert not _leaks(root), f"{cls.__name__}.{name} as {caller} leaked victim data into state"
    level = getattr(handler.fn, ACCESS_ATTR, None)
    if caller == "anonymous" and level in ("signed_in", "admin"):
        assert _redirect_path(result) == routes.login(next_path="/"), \
            f"{cls.__name__}.{name} did not send an anonymous caller to sign-in: {result!r}"
    if caller == "member_without_rights" and level == "admin":
        assert _is_forbidden_toast(result), f"{cls.__name__}.{name} did not refuse a member"


def _events(result) -> list:
    return list(result) if isinstance(result, (list, tuple)) else [result]


def _redirect_path(result) -> str | None:
    """The path of the one client-side redirect in a handler's result, else None."""
    from reflex_base.event import EventSpec

    redirects = [e for e in _events(result)
                 if isinstance(e, EventSpec) and e.handler.fn.__qualname__ == "_redirect"]
    if len(redirects) != 1:
        return None
    args = {str(k): v for k, v in redirects[0].args}
    if getattr(args.get("external"), "_var_value", True):
        return None  # a new tab, not a redirect of this page
    return getattr(args.get("path"), "_var_value", None)


def _is_forbidden_toast(result) -> bool:
    """True when the result is exactly one error toast saying "not allowed"."""
    from reflex_base.event import EventSpec

    from clawweb.i18n import t

    toasts = [e for e in _events(result) if isinstance(e, EventSpec)
              and e.handler.fn.__qualname__ == "_call_function"]
    if len(toasts) != 1 or len(_events(result)) != 1:
        return False
    code = str(dict((str(k), v) for k, v in toasts[0].args)["function"])
    return '"error"' in code and json.dumps(t("errors.forbidden")) in code


def test_setvar_cannot_set_identity(world):
    from clawweb.state.base import AppState

    _, state = new_state(AppState)
    for var in ("is_admin", "user_id", "username", "signed_in", "must_change_password"):
        with pytest.raises(AttributeError):
            AppState.event_handlers["setvar"].fn(state, var, True)
    assert state.is_admin is False


CAROL_ID = MALLORY_ID + 1
CAROL_PW = "carol temporary pw 123"


@pytest.fixture
def must_change(world, engine):
    """carol: an admin who owns the victim's project, with a password she must change.

    Everything would be allowed to her but for the reset password, so a handler
    that ran its body would read or change the victim's data.
    """
    from sqlmodel import Session

    from clawweb.services.accounts import auth_sessions, passwords

    with Session(engine) as s:
        s.add(User(id=CAROL_ID, username="carol", role=Role.admin,
                   password_hash=passwords.hash_password(CAROL_PW)))
        s.flush()
        s.add(ProjectMember(project_id=VICTIM_ID, user_id=CAROL_ID, role=ProjectRole.owner))
        s.commit()
        _, token = auth_sessions.sign_in(session=s, username="carol", password=CAROL_PW,
                                         ip="", user_agent="")
        carol = s.get(User, CAROL_ID)
        carol.must_change_password = True  # as an admin's reset leaves it
        s.add(carol)
        s.commit()
    return token


def _refused_while_password_must_change():
    from clawweb.state.access import ACCESS_ATTR, password_change_allowed

    return [pytest.param(cls, name, handler, id=f"{cls.__name__}.{name}")
            for cls, name, handler in _own_handlers()
            if getattr(handler.fn, ACCESS_ATTR, None) in ("signed_in", "admin", "streaming")
            and not password_change_allowed(handler.fn)]


@pytest.mark.parametrize("page", ["http://h/projects/", "http://h/account"],
                         ids=["elsewhere", "from_the_account_page"])
@pytest.mark.parametrize("cls,name,handler", _refused_while_password_must_change())
def test_handler_refuses_while_the_password_must_change(cls, name, handler, page,
                                                        must_change, engine):
    """The page redirect is a courtesy: the wrappers refuse, whatever the page does.

    The page an event comes from is the client's to say: an event that claims
    the account page is refused too, only without a redirect (it is there).
    """
    from clawweb.state.access import ACCESS_ATTR

    before = _snapshot(engine)
    root, result = _call(cls, handler, must_change, url=page)
    after = _snapshot(engine)
    changed = [t for t in before if before[t] != after[t]]
    assert not changed, f"{cls.__name__}.{name} changed {changed} for a must-change user"
    assert not _leaks(root), f"{cls.__name__}.{name} put data into state for a must-change user"
    if getattr(handler.fn, ACCESS_ATTR) != "streaming":
        on_account = page.endswith(routes.ACCOUNT)
        assert _redirect_path(result) == (None if on_account else routes.ACCOUNT), \
            f"{cls.__name__}.{name} was not refused for a must-change user: {result!r}"
        if on_account:
            assert result == [], f"{cls.__name__}.{name} ran for a must-change user: {result!r}"


def test_changing_the_password_and_signing_out_stay_allowed(must_change, engine):
    from sqlmodel import Session

    from clawweb.models import AuthSession
    from clawweb.state.account import AccountState
    from clawweb.state.auth import SignInState

    new_pw = "carol brand new pw 456 x"
    _, state = new_state(AccountState, must_change)
    AccountState.event_handlers["change_password"].fn(state, {
        "current_password": CAROL_PW, "new_password": new_pw, "repeat_password": new_pw})
    assert state.password_error == ""
    with Session(engine) as s:
        assert s.get(User, CAROL_ID).must_change_password is False
    _, state = new_state(SignInState, must_change)
    SignInState.event_handlers["sign_out"].fn(state)
    with Session(engine) as s:
        rows = s.exec(select(AuthSession).where(AuthSession.user_id == CAROL_ID)).all()
        assert rows and all(r.revoked_at is not None for r in rows)

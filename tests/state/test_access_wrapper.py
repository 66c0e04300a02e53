"""The access wrappers run a handler's (blocking) body off the event loop.

Reflex calls a plain ``def`` handler on its event loop, so one slow body (argon2,
git, a SQLite busy wait) would stall every connected browser. These tests call
handlers the way Reflex's ``process_event`` does, on a running loop, while a
ticker measures how long the loop was kept from running.
"""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from sqlmodel import Session

from clawweb import routes
from clawweb.models import User

from tests.support.reflex_state import new_state, run_handler, visit

SLOW_SECONDS = 1.0
# While a body that runs off the loop sleeps, the loop keeps ticking (about 100 ticks
# of 10 ms in SLOW_SECONDS); a body that blocked the loop leaves exactly none inside
# its own run, however busy the machine. A few are enough to tell the two apart: a
# loaded CI box once kept the loop waiting 0.67 s of the second, which a limit on
# the longest wait (half of SLOW_SECONDS) took for a block.
MIN_TICKS = 5


class Ticker:
    """Wakes every 10 ms; remembers when, and the longest time it was kept waiting."""

    def __init__(self):
        self.worst = 0.0
        self.ticks: list[float] = []
        # From now, not from the task's first run: a handler that blocks before its
        # first await keeps that first run waiting, and that wait is the stall.
        self._since = time.monotonic()
        self._task = asyncio.create_task(self._run())

    async def _run(self):
        last = self._since
        while True:
            await asyncio.sleep(0.01)
            now = time.monotonic()
            self.ticks.append(now)
            self.worst = max(self.worst, now - last)
            last = now

    async def stop(self) -> float:
        await asyncio.sleep(0.02)  # one more tick: a block that just ended is seen
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        return self.worst

    def ran_during(self, span: tuple[float, float]) -> int:
        """Ticks inside ``span`` (monotonic start, end): 0 when the loop was blocked."""
        start, end = span
        return sum(1 for t in self.ticks if start < t < end)


@pytest.fixture
def slow_setup_check(monkeypatch, engine, fake_redis):
    """``setup.needs_setup`` (what the sign-in page's loader asks) blocks, then says yes.

    ``SignInState.load_sign_in`` is a plain public handler; its one service call
    stands in for any blocking body (argon2, git, a SQLite busy wait).
    """
    from clawweb.services.accounts import setup

    seen = {"threads": [], "finished": 0, "span": (0.0, 0.0)}

    def blocking_needs_setup(**_kwargs):
        seen["threads"].append(threading.current_thread())
        start = time.monotonic()
        time.sleep(SLOW_SECONDS)  # a blocking call, as argon2's C code is
        seen["span"] = (start, time.monotonic())
        seen["finished"] += 1
        return True

    monkeypatch.setattr(setup, "needs_setup", blocking_needs_setup)
    return seen


@pytest.mark.asyncio
async def test_a_blocking_handler_body_does_not_stall_the_event_loop(slow_setup_check):
    from clawweb.state.auth import SignInState

    _, state = new_state(SignInState)
    state.error = "left over"
    ticker = Ticker()
    result = await run_handler(SignInState.event_handlers["load_sign_in"], state)
    worst = await ticker.stop()
    assert slow_setup_check["finished"] == 1  # the body really ran (and blocked its thread)
    assert state.error == ""  # what it set reached the state
    assert "/setup" in repr(result)  # and what it returned reached Reflex
    thread = slow_setup_check["threads"][0]
    assert thread is not threading.main_thread()
    assert thread.name.startswith("clawweb-handler")  # the named, bounded pool
    ticks = ticker.ran_during(slow_setup_check["span"])
    assert ticks >= MIN_TICKS, \
        f"the loop ran {ticks} times during the body (longest wait {worst:.3f}s)"


@pytest.mark.asyncio
async def test_a_cancelled_event_waits_for_its_body_before_letting_go(slow_setup_check):
    """Reflex cancels superseded events; the state lock must outlive the body's thread."""
    from clawweb.state.auth import SignInState

    _, state = new_state(SignInState)
    task = asyncio.create_task(run_handler(SignInState.event_handlers["load_sign_in"], state))
    await asyncio.sleep(0.05)
    assert slow_setup_check["threads"], "the body had not started: nothing to wait for"
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert slow_setup_check["finished"] == 1, "the event ended while its body still ran"


@pytest.mark.asyncio
async def test_a_handler_calling_a_handler_still_runs_it(engine, fake_redis):
    """``require_sign_in`` calls ``init_language``: the nested call runs inline, in order."""
    from clawweb.state.base import AppState

    _, state = new_state(AppState)
    result = await run_handler(AppState.event_handlers["require_sign_in"], state)
    assert state.auth_checked is True  # set by the nested init_language
    assert "login" in repr(result)


@pytest.mark.asyncio
async def test_async_handlers_check_the_caller_off_the_loop(engine, fake_redis, monkeypatch):
    """An ``async def`` handler's access check (a database read) runs off the loop too."""
    from clawweb.state import base
    from clawweb.state.approvals import ApprovalsState

    threads = []
    real_resolve = base.auth_sessions.resolve

    def recording_resolve(**kwargs):
        threads.append(threading.current_thread())
        return real_resolve(**kwargs)

    monkeypatch.setattr(base.auth_sessions, "resolve", recording_resolve)
    with Session(engine) as s:
        s.add(User(username="x", password_hash="!"))
        s.commit()
    _, state = new_state(ApprovalsState, "some-token")
    result = await run_handler(ApprovalsState.event_handlers["allow_once"], state, 1)
    assert "login" in repr(result)  # an unknown token is turned away
    assert threads and all(t is not threading.main_thread() for t in threads)


@pytest.mark.asyncio
async def test_project_deletion_is_a_background_event_that_shows_progress(engine, fake_redis,
                                                                          monkeypatch):
    """Deleting removes a repository from disk: no tab lock held, progress on the page."""
    from clawweb.models import Project
    from clawweb.services.accounts import auth_sessions, passwords
    from clawweb.services.projects import deletion, service as projects
    from clawweb.state.projects import ProjectsState

    from tests.support.reflex_state import BackgroundProxy

    with Session(engine, expire_on_commit=False) as s:
        owner = User(username="owner", password_hash=passwords.hash_password("owner pw 12345"))
        s.add(owner)
        s.commit()
        project = projects.create_project(session=s, user=owner, name="Doomed")
        _, token = auth_sessions.sign_in(session=s, username="owner", password="owner pw 12345",
                                         ip="", user_agent="")
        s.commit()
    repo = projects.project_repo_path(project)
    assert repo.exists()
    handler = ProjectsState.event_handlers["delete_project"]
    assert handler.is_background, "deletion holds the tab's state lock while it runs"

    _, state = new_state(ProjectsState, token)
    visit(state, routes.project_settings(project.id))
    state.delete_confirm = "Doomed"
    seen = []
    real_delete = deletion.delete_project

    span = []

    def slow_delete(**kwargs):
        seen.append(state.deleting)
        span.append(time.monotonic())
        time.sleep(SLOW_SECONDS)
        span.append(time.monotonic())
        return real_delete(**kwargs)

    monkeypatch.setattr(deletion, "delete_project", slow_delete)
    ticker = Ticker()
    result = await handler.fn(BackgroundProxy(state))
    worst = await ticker.stop()
    assert seen == [True] and state.deleting is False
    assert "/projects" in repr(result)
    ticks = ticker.ran_during((span[0], span[1]))
    assert ticks >= MIN_TICKS, \
        f"the loop ran {ticks} times during the delete (longest wait {worst:.3f}s)"
    with Session(engine) as s:
        assert s.get(Project, project.id) is None
    assert not repo.exists()

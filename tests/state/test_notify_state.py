"""The notification pages' handlers act for the caller only; the bell's loop follows the count."""

from __future__ import annotations

import asyncio
import dataclasses
import inspect

import pytest
from sqlmodel import Session

from clawweb.models import Notification
from clawweb.services.accounts import auth_sessions
from clawweb.services.notify import centre, events
from tests.services.agent_fixtures import make_user
from tests.support.reflex_state import BackgroundProxy, new_state


@pytest.fixture
def people(session):
    alice, bob = make_user(session, "alice"), make_user(session, "bob")
    tokens = [auth_sessions.open_session(session=session, user=u, ip="", user_agent="")
              for u in (alice, bob)]
    session.commit()
    return (alice, tokens[0]), (bob, tokens[1])


def _note(session, user, task_id):
    row = centre.add(session=session, user_id=user.id, event=events.TASK_FAILED,
                     task_id=task_id, project_id=1, params={"task_id": task_id})
    session.commit()
    return row


def test_opening_someone_elses_notification_reads_nothing(session, people, fake_redis):
    from clawweb.state.notify import NotifyState

    (alice, _), (_, bob_token) = people
    row = _note(session, alice, 3)
    _, state = new_state(NotifyState, bob_token)
    result = NotifyState.event_handlers["open_item"].fn(state, row.id)
    assert "_redirect" not in repr(result)
    session.expire_all()
    assert session.get(Notification, row.id).read_at is None
    assert state.items == []


def test_the_centre_lists_and_opens_the_callers_own(session, people, fake_redis):
    from clawweb.state.notify import NotifyState

    (alice, alice_token), _ = people
    row = _note(session, alice, 4)
    _, state = new_state(NotifyState, alice_token)
    NotifyState.event_handlers["load_centre"].fn(state)
    assert [(i["title"], i["read"]) for i in state.items] == [("Task #4 failed", False)]
    result = NotifyState.event_handlers["open_item"].fn(state, row.id)
    assert "/tasks/4" in repr(result)
    assert state.items[0]["read"] is True


def test_the_bell_follows_the_count_live(redis_url, engine, session, people):
    from clawweb.state.notify_bell import NotifyBellState

    (alice, alice_token), _ = people
    _, state = new_state(NotifyBellState, alice_token)
    state.router = dataclasses.replace(
        state.router, session=dataclasses.replace(state.router.session, client_token="tab-1"))

    async def scenario():
        loop = asyncio.create_task(_drain(NotifyBellState.event_handlers["watch_unread"].fn(
            BackgroundProxy(state))))
        await _until(lambda: state._beat > 0)
        assert state.unread == 0
        with Session(engine) as s:
            _note(s, alice, 1)
            _note(s, alice, 2)
            centre.announce([alice.id])
        await _until(lambda: state.unread == 2)
        with Session(engine) as s:
            centre.mark_all_read(session=s, user_id=alice.id)
        await _until(lambda: state.unread == 0)
        state._gen += 1  # a newer loop of this tab took over: this one ends
        await asyncio.wait_for(loop, 10)

    asyncio.run(scenario())


async def _drain(maybe_gen):
    if inspect.isasyncgen(maybe_gen):
        async for _ in maybe_gen:
            pass
    else:
        await maybe_gen


async def _until(cond, timeout: float = 5.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while not cond():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.05)

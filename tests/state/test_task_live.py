"""The task page's live loop against a real redis-server and database (no browser).

Drives ``TaskLiveState.start_live`` the way Reflex runs a background event and
replays the ops it sends into a model of the browser's terminal.
"""

from __future__ import annotations

import asyncio

import pytest
import reflex  # noqa: F401 - a missing Reflex must fail these tests, never skip them
from sqlmodel import Session

from clawweb import streams
from clawweb.models import Project, ProjectMember, ProjectRole, Task, TaskEvent, TaskStatus, User
from clawweb.models import utcnow

from tests.support.reflex_state import BackgroundProxy, new_state



@pytest.fixture
def world(engine, redis_url, fast_hashing):
    from clawweb.services.accounts import auth_sessions, passwords

    with Session(engine) as s:
        user = User(username="alice", password_hash=passwords.hash_password("alice pw 12345"))
        project = Project(name="P", slug="p")
        s.add_all([user, project])
        s.flush()
        s.add(ProjectMember(project_id=project.id, user_id=user.id, role=ProjectRole.owner))
        task = Task(project_id=project.id, created_by=user.id, command="seq 1 5",
                    status=TaskStatus.running, started_at=utcnow())
        s.add(task)
        s.commit()
        _, token = auth_sessions.sign_in(session=s, username="alice",
                                         password="alice pw 12345", ip="", user_agent="")
        s.commit()
        return token, task.id


def _state(token: str, path: str):
    from clawweb.state.task_live import TaskLiveState

    _, state = new_state(TaskLiveState, token)
    object.__setattr__(state, "_test_path", path)
    return state


def _ops(yielded) -> list[dict]:
    return [op for kind, _gen, op in (y for y in yielded if isinstance(y, tuple))
            if kind == "op"]


async def _run(state, task_id: int, until, timeout: float = 10):
    from clawweb.state.task_live import TaskLiveState

    yielded = []
    gen = TaskLiveState.start_live.fn(BackgroundProxy(state), task_id)

    async def drain():
        async for item in gen:
            yielded.append(item)

    # The loop sets vars under the lock and yields only browser ops: watch both.
    loop = asyncio.create_task(drain())
    try:
        async with asyncio.timeout(timeout):
            while not until(state, yielded):
                assert not loop.done() or loop.exception() is None, loop.exception()
                await asyncio.sleep(0.02)
    finally:
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)
        await gen.aclose()
    return yielded


def _publish(redis, task_id, events):
    streams.publish(redis, task_id, events)


@pytest.mark.asyncio
async def test_history_then_live_then_status_reaches_the_header(world, engine, monkeypatch):

    from clawweb import redis_conn
    from clawweb.state import task_live

    token, task_id = world
    monkeypatch.setattr(task_live, "_script", lambda gen, op: ("op", gen, op))
    with Session(engine) as s:
        s.add_all([TaskEvent(task_id=task_id, seq=i, ts=0.0, type="output",
                             data={"stream": "stdout", "text": f"line-{i}\n"})
                   for i in range(1, 4)])
        s.commit()
    r = redis_conn.get_redis()
    _publish(r, task_id, [streams.Event(seq=i, type="output",
                                        data={"stream": "stdout", "text": f"line-{i}\n"})
                          for i in range(2, 6)])
    state = _state(token, f"/tasks/{task_id}")

    async def finish_soon():
        await asyncio.sleep(0.5)
        with Session(engine) as s:
            t = s.get(Task, task_id)
            t.status, t.exit_code, t.finished_at = TaskStatus.succeeded, 0, utcnow()
            s.add(t)
            s.commit()
        _publish(r, task_id, [streams.Event(seq=6, type="status",
                                            data={"status": "succeeded", "exit_code": 0})])

    bg = asyncio.create_task(finish_soon())
    yielded = await _run(state, task_id,
                         lambda st, y: st.task.get("status") == "succeeded")
    await bg
    held = []
    cursor = 0
    for op in _ops(yielded):
        if op.get("reset"):
            held, cursor = [], 0
        assert op["prev"] == cursor
        cursor = op["cursor"]
        held += [c[2] for c in op.get("append", [])]
    assert "".join(held) == "".join(f"line-{i}\n" for i in range(1, 6))
    assert state.line_count == 5
    assert state.task["exit_code"] == "0"


@pytest.mark.asyncio
async def test_a_streaming_task_page_asks_the_database_almost_nothing(world, engine,
                                                                      monkeypatch):
    """Caught up, the loop reads Redis alone: per tick no query, only the bounded fallbacks."""
    from sqlalchemy import event

    from clawweb import db, redis_conn
    from clawweb.live import feed
    from clawweb.state import live_access, task_live

    token, task_id = world
    used = db.get_engine()  # the loop's engine (the fixtures swapped the cached one)
    monkeypatch.setattr(task_live, "_script", lambda gen, op: ("op", gen, op))
    r = redis_conn.get_redis()
    stop = asyncio.Event()

    async def stream():
        seq = 0
        while not stop.is_set():
            seq += 1
            await asyncio.to_thread(_publish, r, task_id, [streams.Event(
                seq=seq, type="output", data={"stream": "stdout", "text": f"l{seq}\n"})])
            await asyncio.sleep(0.05)

    queries = []
    window = 2.5
    # At most one of each fallback can fall in the window: the caller's resolve
    # (session, user, task, role) and one read of stored events.
    bound = 6 * (1 + int(window // min(live_access.FALLBACK_SECONDS,
                                         feed.STORED_FALLBACK_SECONDS)))
    state = _state(token, f"/tasks/{task_id}")
    publisher = asyncio.create_task(stream())
    marks = {}

    def until(st, yielded):
        now = asyncio.get_running_loop().time()
        if "start" not in marks and st.line_count >= 5:
            marks["start"], marks["ops"], marks["queries"] = now, len(_ops(yielded)), len(queries)
        return "start" in marks and now - marks["start"] >= window

    def count(_conn, _cursor, statement, *_args):
        queries.append(statement.split()[0:4])

    event.listen(used, "before_cursor_execute", count)
    try:
        yielded = await _run(state, task_id, until, timeout=20)
    finally:
        event.remove(used, "before_cursor_execute", count)
        stop.set()
        await publisher
    assert marks["queries"] > 0, "the listener saw not even the loop's first load"
    ticks, asked = len(_ops(yielded)) - marks["ops"], queries[marks["queries"]:]
    assert ticks >= 15, f"only {ticks} flushes in {window}s of streaming"
    assert len(asked) <= bound, f"{len(asked)} queries in {ticks} ticks: {asked[:8]}"


def test_a_streaming_reply_sends_only_its_own_item():
    """While one text item grows, each flush's delta carries that item, not the whole list."""
    import json

    from clawweb.live.feed import LiveCursor
    from clawweb.state.task_live import TaskLiveState

    root, state = new_state(TaskLiveState)
    cursor = LiveCursor.start({"kind": "claude", "status": "running"}, "en")
    events = [streams.Event(seq=i, type="agent.text", data={"text": f"reply {i} " + "x" * 300})
              for i in range(1, 31)]
    # The reply's first words: a new newest item (the one before joins the list).
    events.append(streams.Event(seq=31, type="agent.text_delta",
                                data={"index": 0, "text": "some words "}))
    cursor.conv.add_all(events)
    state._apply_conv(cursor)
    whole = len(json.dumps(root.get_delta(), default=str))
    root._clean()
    sizes = []
    for seq in range(32, 42):  # the reply streaming on, ten flushes
        cursor.conv.add(streams.Event(seq=seq, type="agent.text_delta",
                                      data={"index": 0, "text": "some words "}))
        cursor.conv_sent_at = 0.0  # past the flush pacing
        state._apply_conv(cursor)
        delta = root.get_delta()
        root._clean()
        sent = delta.get(TaskLiveState.get_full_name(), {})
        assert not any(name.startswith("conv_items") for name in sent), sorted(sent)
        assert any(name.startswith("conv_tail") for name in sent), sorted(sent)
        sizes.append(len(json.dumps(delta, default=str)))
    assert state.conv_tail[0]["text"] == "some words " * 11
    assert len(state.conv_items) == 30
    assert max(sizes) < 1500 < whole, (sizes, whole)


def test_a_new_item_goes_at_once_and_only_growth_waits_for_the_pacing():
    """The reply's first words right after another update are sent in that flush;
    its growth is held back, and the loop's next read wakes when it is due."""
    import time

    from clawweb.live import feed
    from clawweb.live.feed import LiveCursor
    from clawweb.state.task_live import TaskLiveState

    _root, state = new_state(TaskLiveState)
    cursor = LiveCursor.start({"kind": "claude", "status": "running"}, "en")
    cursor.conv.add(streams.Event(seq=1, type="agent.init", data={"model": "m"}))
    state._apply_conv(cursor)
    cursor.conv_sent_at = time.monotonic()  # just sent: within the pacing
    cursor.conv.add(streams.Event(seq=2, type="agent.text_delta",
                                  data={"index": 0, "text": "Hello"}))
    state._apply_conv(cursor)
    assert [i["text"] for i in state.conv_tail] == ["Hello"]  # a new item: at once
    assert feed.block_ms(cursor, True) == feed.LIVE_BLOCK_MS  # nothing held back
    cursor.conv.add(streams.Event(seq=3, type="agent.text_delta",
                                  data={"index": 0, "text": " world"}))
    state._apply_conv(cursor)
    assert [i["text"] for i in state.conv_tail] == ["Hello"]  # growth: paced
    assert 1 <= feed.block_ms(cursor, True) <= feed.CONV_FLUSH_SECONDS * 1000 + 1
    assert feed.block_ms(cursor, False) == 0  # replaying reads the database, no wait


@pytest.mark.asyncio
async def test_the_last_words_of_a_burst_arrive_without_another_event(world, engine,
                                                                     monkeypatch):
    """Nothing follows the growth (the model is thinking): it still reaches the page,
    paced, not after the read's long wait for an event that does not come."""
    from clawweb import redis_conn
    from clawweb.live import feed
    from clawweb.state import task_live

    token, task_id = world
    monkeypatch.setattr(task_live, "_script", lambda gen, op: ("op", gen, op))
    monkeypatch.setattr(feed, "LIVE_BLOCK_MS", 20_000)  # the wait an idle task would see
    with Session(engine) as s:
        task = s.get(Task, task_id)
        task.kind = "claude"
        s.add(task)
        s.commit()
    r = redis_conn.get_redis()
    state = _state(token, f"/tasks/{task_id}")

    async def speak():
        await asyncio.sleep(0.3)  # the loop is caught up and waiting
        _publish(r, task_id, [streams.Event(seq=1, type="agent.text_delta",
                                            data={"index": 0, "text": "Hello"})])
        await asyncio.sleep(0.05)
        _publish(r, task_id, [streams.Event(seq=2, type="agent.text_delta",
                                            data={"index": 0, "text": " world"})])

    bg = asyncio.create_task(speak())
    await _run(state, task_id, lambda st, y: [i.get("text") for i in st.conv_tail]
               == ["Hello world"], timeout=5)
    await bg

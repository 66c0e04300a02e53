"""Live task events as Server-Sent Events over real HTTP: a dropped connection
resumed with Last-Event-ID gets every event exactly once, and the stream ends
with the task's terminal status event (or when access is lost).

A feeder thread plays the worker: it publishes numbered output events to the
task's Redis stream as they happen and stores them in the database in batches
(so some events exist only in Redis at any moment), then ends the task with its
final status event, stored in the same transaction as the status.
"""

from __future__ import annotations

import json
import threading
import time

import httpx
import pytest

from tests.rest.conftest import client, make_project, make_task, make_token, make_user

LINES = 80


class Feeder(threading.Thread):
    def __init__(self, task_id: int, lines: int = LINES, every: float = 0.03, batch: int = 7):
        super().__init__(daemon=True)
        self.task_id, self.lines, self.every, self.batch = task_id, lines, every, batch
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self._feed()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.error = exc

    def _store(self, session, events) -> None:
        from clawweb.models import TaskEvent

        session.add_all([TaskEvent(task_id=self.task_id, seq=e.seq, ts=e.ts, type=e.type,
                                   data=e.data) for e in events])

    def _feed(self) -> None:
        from clawweb import redis_conn, streams
        from clawweb.db import session_scope
        from clawweb.models import Task, TaskStatus, utcnow

        redis, pending = redis_conn.get_redis(), []
        # seq 1 is the task's first output, made with the row (make_task).
        for seq in range(2, self.lines + 2):
            event = streams.Event(seq=seq, type="output",
                                  data={"stream": "stdout", "text": f"line-{seq}\n"})
            streams.publish(redis, self.task_id, [event])
            pending.append(event)
            if len(pending) >= self.batch:
                with session_scope() as s:
                    self._store(s, pending)
                pending = []
            time.sleep(self.every)
        final = streams.Event(seq=self.lines + 2, type="status",
                              data={"status": "succeeded", "reason": "", "exit_code": 0})
        with session_scope() as s:
            self._store(s, [*pending, final])
            task = s.get(Task, self.task_id)
            task.status, task.exit_code, task.finished_at = TaskStatus.succeeded, 0, utcnow()
            s.add(task)
        streams.publish(redis, self.task_id, [final])


def read_events(lines, stop_after: int | None = None) -> list[dict]:
    """SSE messages as dicts ({"id", "event", "data"}) until the stream ends.

    ``lines``: a response, or one ``iter_lines()`` iterator to read on from.
    """
    if isinstance(lines, httpx.Response):
        lines = lines.iter_lines()
    out, current = [], {}
    for line in lines:
        if line == "":
            if "data" in current or "id" in current:
                out.append(current)
                if stop_after is not None and len(out) >= stop_after:
                    return out
            current = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            current[name] = value[1:] if value.startswith(" ") else value
    return out


@pytest.fixture
def running_task(api_server):
    owner = make_user()
    project = make_project(owner)
    task = make_task(project, owner, command="feed", status="running")
    return owner, task, make_token(owner, ["read"])


def _stream(c, task_id, **headers):
    return c.stream("GET", f"/tasks/{task_id}/events/stream", headers=headers)


def test_a_dropped_stream_resumes_with_every_event_once(api_server, running_task):
    _owner, task, token = running_task
    feeder = Feeder(task)
    feeder.start()
    with client(api_server, token) as c:
        with _stream(c, task) as resp:
            assert resp.status_code == 200
            assert resp.headers["content-type"].startswith("text/event-stream")
            first = read_events(resp, stop_after=15)
        # The connection is gone; the task keeps producing meanwhile.
        time.sleep(0.7)
        with _stream(c, task, **{"Last-Event-ID": first[-1]["id"]}) as resp:
            rest = read_events(resp)
    feeder.join(30)
    assert feeder.error is None
    got = first + rest
    seqs = [int(m["id"]) for m in got]
    assert seqs == list(range(1, LINES + 3)), seqs  # no gap, no duplicate
    assert all(json.loads(m["data"])["seq"] == int(m["id"]) for m in got)
    last = got[-1]
    assert last["event"] == "status"
    assert json.loads(last["data"])["data"]["status"] == "succeeded"


def test_after_the_end_a_resumed_stream_ends_at_once(api_server, running_task):
    _owner, task, token = running_task
    feeder = Feeder(task, lines=5, every=0)
    feeder.run()
    with client(api_server, token) as c:
        with _stream(c, task) as resp:
            everything = read_events(resp)
        started = time.monotonic()
        with _stream(c, task, **{"Last-Event-ID": everything[-1]["id"]}) as resp:
            nothing = read_events(resp)
        bad = c.get(f"/tasks/{task}/events/stream", headers={"Last-Event-ID": "abc"})
    assert [int(m["id"]) for m in everything] == list(range(1, 8))
    assert nothing == [] and time.monotonic() - started < 5
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "api.last_event_id_invalid"


def test_a_stream_ends_when_its_token_is_revoked(api_server, running_task):
    from clawweb.db import session_scope
    from clawweb.models import User
    from clawweb.services.accounts import api_tokens
    from tests.rest.conftest import token_id

    owner, task, token = running_task
    with client(api_server, token) as c:
        with _stream(c, task) as resp:
            lines = resp.iter_lines()
            first = read_events(lines, stop_after=1)
            with session_scope() as s:
                api_tokens.revoke(session=s, actor=s.get(User, owner),
                                  token_id=token_id(token))
            started = time.monotonic()
            rest = read_events(lines)
    assert [m["id"] for m in first] == ["1"]
    assert rest and rest[-1]["event"] == "error"
    assert json.loads(rest[-1]["data"])["error"]["code"] == "api.stream_ended"
    assert time.monotonic() - started < 10

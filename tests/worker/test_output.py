"""The output pipe (batching, seq, cap and tail, UTF-8) and the merged reader."""

from __future__ import annotations

import threading
import tracemalloc

import fakeredis
import pytest
from sqlmodel import Session

from clawweb import redis_conn, streams
from clawweb.models import Project, Task
from clawweb.services.tasks import output as task_output
from worker.output import OutputPipe, store_events

TID = 1


@pytest.fixture
def task_row(engine):
    with Session(engine) as s:
        s.add(Project(id=1, name="p", slug="p"))
        s.add(Task(id=TID, project_id=1, command="x"))
        s.commit()
    return TID


def stored(engine, after=0):
    with Session(engine) as s:
        return task_output.db_events(s, TID, after, limit=100000)


def redis_events(redis):
    return streams.decode_entries(redis.xrange(streams.task_events_key(TID)))


def text_of(events, stream):
    return "".join(e.data["text"] for e in events
                   if e.type == "output" and e.data["stream"] == stream)


def test_streams_stay_separate_in_order_with_one_seq_each(engine, fake_redis, task_row):
    pipe = OutputPipe(task_id=TID, redis=fake_redis, flush_seconds=0.01)
    for i in range(1, 2001):
        pipe.emit_output("stderr" if i % 2 else "stdout", f"{i}\n".encode())
    pipe.emit("status", {"status": "succeeded"})
    pipe.close()
    db, live = stored(engine), redis_events(fake_redis)
    assert [e.seq for e in db] == list(range(1, len(db) + 1))
    assert [e.as_dict() for e in db] == [e.as_dict() for e in live]
    assert text_of(db, "stdout") == "".join(f"{i}\n" for i in range(2, 2001, 2))
    assert text_of(db, "stderr") == "".join(f"{i}\n" for i in range(1, 2001, 2))
    assert db[-1].type == "status"


def test_small_chunks_are_batched_and_big_ones_split(engine, fake_redis, task_row):
    pipe = OutputPipe(task_id=TID, redis=fake_redis, flush_seconds=60, max_event_bytes=1000)
    for _ in range(500):
        pipe.emit_output("stdout", b"x" * 10)        # 5000 bytes in 500 chunks
    pipe.emit_output("stdout", b"y" * 4500)
    pipe.close()
    events = stored(engine)
    assert len(events) <= 11
    assert all(len(e.data["text"].encode()) <= 1000 for e in events)
    assert text_of(events, "stdout") == "x" * 5000 + "y" * 4500


def test_output_after_a_quiet_spell_is_published_at_once_and_what_follows_is_batched(
        engine, fake_redis, task_row):
    # A task's first line is what its page waits for: it must not sit out the
    # batching interval (60 s here, so a late publish would be plain to see).
    pipe = OutputPipe(task_id=TID, redis=fake_redis, flush_seconds=60)
    pipe.emit_output("stdout", b"hi\n")
    assert text_of(redis_events(fake_redis), "stdout") == "hi\n"
    for i in range(100):
        pipe.emit_output("stdout", f"{i}\n".encode())
    assert len(redis_events(fake_redis)) == 1  # the rest waits for the next batch
    pipe.close()
    events = redis_events(fake_redis)
    assert len(events) == 2
    assert text_of(events, "stdout") == "hi\n" + "".join(f"{i}\n" for i in range(100))


def test_a_character_split_across_reads_is_never_split_across_events(engine, fake_redis,
                                                                       task_row):
    pipe = OutputPipe(task_id=TID, redis=fake_redis, flush_seconds=60, max_event_bytes=7)
    data = ("é漢🙂\x1b[31mred\x1b[0m" * 50).encode()
    for i in range(len(data)):                       # one byte at a time
        pipe.emit_output("stdout", data[i:i + 1])
    pipe.emit_output("stdout", b"\xff bad \xe6")      # invalid and unfinished bytes
    pipe.close()
    events = stored(engine)
    assert len(events) > 10
    # Had a character been cut between events, a U+FFFD would show up here.
    assert "\ufffd" not in text_of(events, "stdout")[:len(data.decode())]
    assert text_of(events, "stdout") == data.decode() + "\ufffd bad \ufffd"


def test_cap_keeps_head_then_marker_then_tail(engine, fake_redis, task_row):
    pipe = OutputPipe(task_id=TID, redis=fake_redis, cap_bytes=1000, tail_bytes=100,
                      max_event_bytes=64)
    payload = b"".join(b"%05d\n" % i for i in range(1000))   # 6000 bytes
    for i in range(0, len(payload), 7):
        pipe.emit_output("stdout", payload[i:i + 7])
    pipe.close()
    events = stored(engine)
    marker = [i for i, e in enumerate(events) if e.type == "truncated"]
    assert len(marker) == 1
    head, tail = events[:marker[0]], events[marker[0] + 1:]
    assert text_of(head, "stdout").encode() == payload[:1000]
    assert text_of(tail, "stdout").encode() == payload[-100:]
    assert events[marker[0]].data["dropped_bytes"] == 6000 - 1000 - 100
    assert (pipe.total_bytes, pipe.dropped_bytes) == (6000, 4900)


def test_one_100mb_line_keeps_memory_flat(engine, fake_redis, task_row):
    pipe = OutputPipe(task_id=TID, redis=fake_redis, cap_bytes=1 << 20, tail_bytes=64 << 10)
    chunk = b"a" * (256 << 10)
    tracemalloc.start()
    for _ in range(400):                                        # 100 MB, no newline
        pipe.emit_output("stdout", chunk)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    pipe.close()
    assert peak < 16 << 20
    events = stored(engine)
    assert events[-2].type == "truncated" or any(e.type == "truncated" for e in events)
    assert len(text_of(events, "stdout")) == (1 << 20) + (64 << 10)
    assert pipe.dropped_bytes == 100 * (1 << 20) - (1 << 20) - (64 << 10)


def test_redis_outage_loses_nothing_durable(engine, fake_redis, task_row):
    server = fake_redis.connection_pool.connection_kwargs["server"]
    pipe = OutputPipe(task_id=TID, redis=fake_redis, flush_seconds=60, max_event_bytes=4)
    pipe.emit_output("stdout", b"aaaa")     # the first output: published at once
    pipe.emit_output("stdout", b"bbbb")     # batched behind it
    server.connected = False
    pipe.emit_output("stdout", b"cccc")     # publishes the full "bbbb" event: lost
    server.connected = True
    pipe.emit_output("stdout", b"dddd")
    pipe.close()
    assert text_of(stored(engine), "stdout") == "aaaabbbbccccdddd"
    assert text_of(redis_events(fake_redis), "stdout") == "aaaaccccdddd"


@pytest.fixture
def async_fake(fake_redis, monkeypatch):
    server = fake_redis.connection_pool.connection_kwargs["server"]
    client = fakeredis.aioredis.FakeRedis(server=server)

    def get_async_redis():
        return client

    get_async_redis.cache_clear = lambda: None  # the settings fixture clears it
    monkeypatch.setattr(redis_conn, "get_async_redis", get_async_redis)
    return client


class GatedStore:
    """Stores to the DB only when allowed: the database lags Redis, as in real life."""

    def __init__(self):
        self.open = threading.Event()
        self.held: list = []

    def __call__(self, task_id, events):
        if not self.open.is_set():
            raise RuntimeError("database busy")  # the pipe keeps them and retries
        store_events(task_id, events)


async def _read_all(last: int, after: int = 0) -> list[int]:
    seen = []
    while after < last:
        batch = await task_output.read_after(TID, after, block_ms=50, limit=7)
        for e in batch:
            seen.append(e.seq)
            after = e.seq
    return seen


@pytest.mark.asyncio
async def test_merged_reader_has_no_gap_and_no_duplicate(engine, fake_redis, async_fake,
                                                          task_row):
    gate = GatedStore()
    pipe = OutputPipe(task_id=TID, redis=fake_redis, flush_seconds=60, max_event_bytes=5,
                      store=gate)
    for i in range(40):                      # seq 1..40: DB empty, Redis has all
        pipe.emit_output("stdout", b"%05d" % i)
    first = await _read_all(20)              # a page reading live, mid-run
    gate.open.set()
    for i in range(40, 60):                  # seq 41..60; DB gets 1..60 at close
        pipe.emit_output("stdout", b"%05d" % i)
    pipe.close()
    fake_redis.xtrim(streams.task_events_key(TID), minid="45-1")  # Redis lost the old part
    rest = await _read_all(60, after=first[-1])
    assert first + rest == list(range(1, 61))


@pytest.mark.asyncio
async def test_merged_reader_waits_for_the_db_across_a_redis_hole(engine, fake_redis,
                                                                   async_fake, task_row):
    server = fake_redis.connection_pool.connection_kwargs["server"]
    gate = GatedStore()
    pipe = OutputPipe(task_id=TID, redis=fake_redis, flush_seconds=60, max_event_bytes=5,
                      store=gate)
    for i in range(30):
        server.connected = not 10 <= i < 20        # seq 10..19 never reach Redis
        pipe.emit_output("stdout", b"%05d" % i)
    server.connected = True
    assert [e.seq for e in redis_events(fake_redis)][8:11] == [9, 20, 21]
    first = await _read_all(9)
    # Redis jumps from 9 to 20 and the DB has nothing yet: wait, don't skip.
    assert await task_output.read_after(TID, 9, block_ms=10) == []
    gate.open.set()
    pipe.close()
    assert first + await _read_all(30, after=9) == list(range(1, 31))


@pytest.mark.asyncio
async def test_merged_reader_bridges_a_db_hole_from_redis(engine, fake_redis, async_fake,
                                                          task_row):
    # A lost worker published 11..20 but never stored them; the next writer went on.
    events = [streams.Event(seq=n, type="output", data={"stream": "stdout", "text": str(n)})
              for n in range(1, 31)]
    streams.publish(fake_redis, TID, events)
    store_events(TID, events[:10] + events[20:])
    assert await _read_all(30) == list(range(1, 31))


def test_agent_and_refusal_events_count_against_the_cap(engine, fake_redis, task_row):
    # A hostile agent (or a loop of refused connects) writes events, not output
    # bytes: without counting them the task's history grows past any cap.
    pipe = OutputPipe(task_id=TID, redis=fake_redis, cap_bytes=2000, tail_bytes=100)
    for i in range(200):
        pipe.emit("agent.text", {"message_id": f"m{i}", "text": "x" * 100})
        pipe.emit("egress.refused", {"host": "evil.example", "reason": "not_listed"})
    pipe.emit("agent.result", {"subtype": "success", "is_error": False})
    pipe.emit("status", {"status": "succeeded", "reason": "", "exit_code": 0})
    pipe.close()
    events = stored(engine)
    bulky = [e for e in events if e.type in ("agent.text", "egress.refused")]
    assert 10 <= len(bulky) < 40
    # What tells the task's outcome is never dropped, and the drop is said.
    assert [e.type for e in events[-3:]] == ["agent.result", "status", "truncated"]
    assert events[-1].data["dropped_bytes"] > 20_000


def test_a_seq_taken_twice_never_holds_back_the_rest_of_the_history(engine, task_row):
    # Events are stored in batches; one seq already in the table (numbered twice by
    # a bug elsewhere) used to fail its whole batch on every retry, and every
    # later batch with it.
    store_events(TID, [streams.Event(seq=1, type="status", data={"status": "queued"})])
    store_events(TID, [streams.Event(seq=1, type="status", data={"status": "running"}),
                       streams.Event(seq=2, type="output", data={"stream": "stdout",
                                                                 "text": "hi\n"})])
    rows = stored(engine)
    assert [(e.seq, e.type) for e in rows] == [(1, "status"), (2, "output")]
    assert rows[0].data["status"] == "queued"  # what was stored first stays

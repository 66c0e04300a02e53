"""From sandbox bytes to stored events: decode, batch, cap, publish, persist.

One :class:`OutputPipe` per task run. stdout and stderr keep their own
incremental UTF-8 decoders, so a character split across reads is never split
across events (invalid bytes become U+FFFD; ANSI escapes pass through as text).
Output is batched into events of up to 64 KB, at most one every ~50 ms, each
with the next ``seq``, published to the task's Redis stream at once and written
to the database in batches (history outlives Redis). The batching is a throttle
with a leading edge: output after a quiet spell (the first line of a task, a
prompt after a pause) is published as it is read, not ~50 ms later, and only
what follows within the interval waits for the next batch. Past ``cap_bytes``
only a bounded tail is kept; at the end a ``truncated`` event says how much was
dropped and the tail follows. Memory stays flat whatever the task prints.
"""

from __future__ import annotations

import codecs
import collections
import json
import logging
import threading
import time
from collections.abc import Callable

import redis as redis_lib
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from clawweb import db, streams
from clawweb.models import TaskEvent

log = logging.getLogger(__name__)

MAX_EVENT_BYTES = 64 * 1024
TAIL_BYTES = 1024 * 1024
# Events whose size the task's side decides (the agent's words and tool calls, the
# egress proxy's refusals): they share the output cap. Events that tell what
# happened (status, system notes, usage, result, approvals) are small and always kept.
COUNTED = frozenset({"agent.text_delta", "agent.text", "agent.thinking", "agent.tool_use",
                     "agent.todo", "agent.tool_result", "egress.refused"})
FLUSH_SECONDS = 0.05
DB_FLUSH_SECONDS = 0.5
DB_BATCH_EVENTS = 200


def store_events(task_id: int, events: list[streams.Event]) -> None:
    """Write events to the database in one transaction.

    A seq that is already stored keeps what was stored first and the rest of the
    batch is written: retrying the whole batch would fail the same way forever,
    and hold back every later batch of the task's history with it.
    """
    def rows(batch: list[streams.Event]) -> list[TaskEvent]:
        return [TaskEvent(task_id=task_id, seq=e.seq, ts=e.ts, type=e.type, data=e.data)
                for e in batch]

    try:
        with db.session_scope() as session:
            session.add_all(rows(events))
        return
    except IntegrityError:
        pass
    with db.session_scope() as session:
        taken = set(session.exec(select(TaskEvent.seq).where(
            TaskEvent.task_id == task_id, TaskEvent.seq.in_([e.seq for e in events]))))
        session.add_all(rows([e for e in events if e.seq not in taken]))
    log.warning("task %s: %d event(s) numbered again were not stored: seq %s", task_id,
                len(taken), sorted(taken)[:10])


def _decoder():
    return codecs.getincrementaldecoder("utf-8")(errors="replace")


class OutputPipe:
    """Turns a task's output and events into seq-numbered, stored events.

    Thread-safe: the sandbox reader, the job and the flusher thread share it.

    Args:
        task_id: the task.
        redis: sync Redis client (publishing failures are logged, not fatal).
        start_seq: the last seq already used for this task.
        cap_bytes: output bytes kept in full; beyond it only the tail is kept.
        store: writes a batch of events durably (default: the database).
    """

    def __init__(self, *, task_id: int, redis, start_seq: int = 0,
                 cap_bytes: int = 50 * 1024 * 1024, tail_bytes: int = TAIL_BYTES,
                 max_event_bytes: int = MAX_EVENT_BYTES, flush_seconds: float = FLUSH_SECONDS,
                 store: Callable[[int, list[streams.Event]], None] = store_events):
        self.task_id = task_id
        self.redis = redis
        self.seq = start_seq
        self.cap_bytes = cap_bytes
        self.tail_limit = tail_bytes
        self.max_event_bytes = max_event_bytes
        self.flush_seconds = flush_seconds
        self._store = store
        self._lock = threading.RLock()
        self._decoders = {"stdout": _decoder(), "stderr": _decoder()}
        self._pending: list[list] = []      # [stream, [text parts]]
        self._pending_bytes = 0
        self._published_at = 0.0          # monotonic time of the last output event
        self._unstored: list[streams.Event] = []
        self._stored_at = time.monotonic()
        self._tail: collections.deque[tuple[str, bytes]] = collections.deque()
        self._tail_bytes = 0
        self.total_bytes = 0                # everything the task printed
        self.kept_bytes = 0                 # stored in full, before the cap
        self._closed = threading.Event()
        self._flusher = threading.Thread(target=self._flush_loop, daemon=True,
                                         name=f"output-flush-{task_id}")
        self._flusher.start()

    @property
    def dropped_bytes(self) -> int:
        return max(0, self.total_bytes - self.kept_bytes - self._tail_bytes)

    # -- input ---------------------------------------------------------------

    def emit_output(self, stream: str, data: bytes) -> None:
        """Take raw bytes from ``stream`` ("stdout" | "stderr")."""
        if not data:
            return
        stream = "stderr" if stream == "stderr" else "stdout"
        with self._lock:
            self.total_bytes += len(data)
            room = self.cap_bytes - self.kept_bytes
            if room > 0:
                head, data = data[:room], data[room:]
                self.kept_bytes += len(head)
                self._add_output(stream, head)
            if data:
                self._add_tail(stream, data)

    def emit(self, kind: str, data: dict) -> streams.Event | None:
        """Append a non-output event (status, system, agent.*), after pending output.

        Events whose size the task controls (``COUNTED``) share the output cap;
        past it they are dropped (counted in ``dropped_bytes``) and None is returned.
        """
        with self._lock:
            if kind in COUNTED and not self._room_for(data):
                return None
            self._flush_pending()
            ev = self._new_event(kind, data)
            self._publish([ev])
            if self._closed.is_set():  # no flusher any more: store it now
                self._store_now()
            return ev

    def _room_for(self, data: dict) -> bool:
        size = len(json.dumps(data, ensure_ascii=False).encode())
        self.total_bytes += size
        if self.kept_bytes + size > self.cap_bytes:
            return False
        self.kept_bytes += size
        return True

    def _add_output(self, stream: str, data: bytes) -> None:
        step = self.max_event_bytes
        for i in range(0, len(data), step):
            piece = data[i:i + step]
            if self._pending_bytes + len(piece) > step:
                self._flush_pending()
            text = self._decoders[stream].decode(piece)
            if self._pending and self._pending[-1][0] == stream:
                self._pending[-1][1].append(text)
            else:
                self._pending.append([stream, [text]])
            self._pending_bytes += len(piece)
        if time.monotonic() - self._published_at >= self.flush_seconds:
            self._flush_pending()  # the leading edge: nothing was published lately

    def _add_tail(self, stream: str, data: bytes) -> None:
        # Only the last tail_limit bytes can ever be shown: keep no more.
        data = data[-self.tail_limit:]
        self._tail.append((stream, data))
        self._tail_bytes += len(data)
        while self._tail_bytes - len(self._tail[0][1]) >= self.tail_limit:
            self._tail_bytes -= len(self._tail.popleft()[1])
        excess = self._tail_bytes - self.tail_limit
        if excess > 0:
            s, first = self._tail[0]
            self._tail[0] = (s, first[excess:])
            self._tail_bytes -= excess

    # -- output --------------------------------------------------------------

    def _new_event(self, kind: str, data: dict) -> streams.Event:
        self.seq += 1
        return streams.Event(seq=self.seq, type=kind, data=data)

    def _flush_pending(self, final: bool = False) -> None:
        if final:
            for stream, dec in self._decoders.items():
                rest = dec.decode(b"", final=True)
                if rest:
                    self._pending.append([stream, [rest]])
        events = [self._new_event("output", {"stream": s, "text": "".join(parts)})
                  for s, parts in self._pending if any(parts)]
        self._pending.clear()
        self._pending_bytes = 0
        if events:
            self._published_at = time.monotonic()
        self._publish(events)

    def _publish(self, events: list[streams.Event]) -> None:
        if not events:
            return
        try:
            streams.publish(self.redis, self.task_id, events)
        except redis_lib.RedisError:
            log.warning("task %s: Redis publish failed; events kept for the DB", self.task_id)
        self._unstored.extend(events)
        if len(self._unstored) >= DB_BATCH_EVENTS:
            self._store_now()

    def _store_now(self) -> None:
        if not self._unstored:
            return
        try:
            self._store(self.task_id, self._unstored)
        except Exception:
            log.exception("task %s: storing events failed; will retry", self.task_id)
            return
        self._unstored = []
        self._stored_at = time.monotonic()

    def _flush_loop(self) -> None:
        while not self._closed.wait(self.flush_seconds / 2):
            with self._lock:
                now = time.monotonic()
                if self._pending and now - self._published_at >= self.flush_seconds:
                    self._flush_pending()
                if self._unstored and now - self._stored_at >= DB_FLUSH_SECONDS:
                    self._store_now()

    def _emit_tail(self) -> None:
        if self.total_bytes > self.kept_bytes:
            self._publish([self._new_event("truncated", {
                "dropped_bytes": self.dropped_bytes, "kept_bytes": self.kept_bytes,
                "tail_bytes": self._tail_bytes})])
        if not self._tail:
            return
        self._decoders = {"stdout": _decoder(), "stderr": _decoder()}
        first = True
        while self._tail:
            stream, data = self._tail.popleft()
            if first:
                # The tail may start inside a character: skip continuation bytes.
                data = data.lstrip(bytes(range(0x80, 0xC0)))
                first = False
            self._add_output(stream, data)
        self._flush_pending(final=True)

    def last_event(self, kind: str, data: dict) -> streams.Event:
        """The run's last event, numbered after everything else but neither stored nor
        published: the caller stores it in its own transaction (the job: with the
        task's terminal status), then hands it to ``publish_last`` if that committed."""
        with self._lock:
            return self._new_event(kind, data)

    def take_unstored(self) -> list[streams.Event]:
        """Events ``close`` could not store (a database blip), handed to the caller to store."""
        with self._lock:
            events, self._unstored = self._unstored, []
            return events

    def publish_last(self, ev: streams.Event) -> None:
        """Publish ``last_event``'s event to the live stream only (it is stored already)."""
        with self._lock:
            try:
                streams.publish(self.redis, self.task_id, [ev])
            except redis_lib.RedisError:
                log.warning("task %s: Redis publish of the last event failed; it is stored",
                            self.task_id)

    def close(self) -> None:
        """Flush everything (and the truncation marker + tail); store it all. Idempotent."""
        with self._lock:
            if self._closed.is_set():
                return
            self._closed.set()
            self._flush_pending(final=True)
            self._emit_tail()
            self._store_now()
            if self._unstored:  # one more try: history must be durable
                time.sleep(0.5)
                self._store_now()
        self._flusher.join(timeout=5)

"""Input from the task page to a running shell command: lines for its stdin, Ctrl-C, Ctrl-D.

The web side queues small JSON messages in the task's Redis list
(``clawweb/services/tasks/input.py``); :class:`StdinFeeder` takes them one by
one while the command runs. A line is echoed into the output first (an
``input`` event, so every browser sees it before the command's answer) and
then written to the container's stdin as bytes: it is data for the process,
never a shell string. Ctrl-C becomes SIGINT to the command's process group in
its container (``SandboxHandle.signal``); Ctrl-D closes its stdin.

Redis is written by the web app, not by the task, but each message is still
checked here (shape, size): a bad one is dropped, never followed.
"""

from __future__ import annotations

import json
import logging
import threading

from clawweb import redis_conn, streams
from clawweb.i18n import stored
from worker.agents.base import AgentContext
from worker.sandbox.base import SandboxHandle

log = logging.getLogger(__name__)

# The service caps a line at 4096 bytes; the worker refuses anything beyond it too.
MAX_LINE_BYTES = 4096
MAX_NAME_CHARS = 64
# The thread waits in Redis (BLPOP) for this long at a time, then looks whether
# the run has ended: no polling while nobody types, a line is taken as it lands.
WAIT_SECONDS = 0.5
RETRY_SECONDS = 0.5  # after a Redis error
# A write to a command that never reads blocks; stop() does not wait for it
# (closing the container's socket ends it).
STOP_WAIT_SECONDS = 1.0


class StdinFeeder:
    """Feeds one task's queued input to its sandbox, on a thread of its own.

    Attributes:
        interrupted_by: who sent the first Ctrl-C ("" when nobody did).
    """

    def __init__(self, ctx: AgentContext, handle: SandboxHandle, redis=None):
        self.ctx = ctx
        self.handle = handle
        self.key = streams.task_input_key(ctx.task.id)
        self.interrupted_by = ""
        self._redis = redis
        self._stdin_open = True
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True,
                                        name=f"shell-input-{ctx.task.id}")

    @property
    def redis(self):
        if self._redis is None:
            self._redis = redis_conn.get_redis()
        return self._redis

    def start(self) -> None:
        self._thread.start()

    def close_stdin(self) -> None:
        """End of file for the command now (nobody will type: an unattended task)."""
        self._stdin_open = False
        self.handle.close_stdin()

    def stop(self) -> None:
        """No more input: stop taking messages and drop what still waits."""
        self._stop.set()
        self._thread.join(STOP_WAIT_SECONDS)
        try:
            self.redis.delete(self.key)
        except Exception:  # noqa: BLE001 - the list expires on its own
            log.warning("task %s: cannot delete its input list", self.ctx.task.id)

    def _loop(self) -> None:
        while not self._stop.is_set():
            message = self._take()
            if message is None:
                continue
            try:
                self._apply(message)
            except Exception:  # noqa: BLE001 - input must never end the run
                log.exception("task %s: input could not be delivered", self.ctx.task.id)

    def _take(self) -> dict | None:
        try:
            popped = self.redis.blpop([self.key], timeout=WAIT_SECONDS)
        except Exception:  # noqa: BLE001 - a Redis blip: try again shortly
            self._stop.wait(RETRY_SECONDS)
            return None
        if popped is None:
            return None
        return _parse(popped[1])

    def _apply(self, message: dict) -> None:
        by = message["by"]
        if message["kind"] == "signal":
            self.interrupted_by = self.interrupted_by or by
            self.ctx.emit("input", {"signal": "INT", "by": by})
            self.handle.signal("SIGINT")
            return
        if not self._stdin_open:
            self.ctx.emit("system", stored.note("task_input.stdin_closed"))
            return
        if message["kind"] == "eof":
            self._stdin_open = False
            self.ctx.emit("input", {"eof": True, "by": by})
            self.handle.close_stdin()
            return
        self.ctx.emit("input", {"text": message["text"], "by": by})
        try:
            self.handle.write_stdin(message["text"].encode() + b"\n")
        except OSError:
            # The command closed its stdin (or ended): later lines are said, not sent.
            self._stdin_open = False
            self.ctx.emit("system", stored.note("task_input.stdin_closed"))


def _parse(raw: bytes | str) -> dict | None:
    """A well-formed input message, or None (dropped)."""
    try:
        message = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(message, dict) or not isinstance(message.get("by"), str):
        return None
    message["by"] = message["by"][:MAX_NAME_CHARS]
    if message.get("kind") == "signal" and message.get("signal") == "INT":
        return message
    if message.get("kind") == "eof":
        return message
    text = message.get("text")
    if message.get("kind") != "line" or not isinstance(text, str):
        return None
    if "\n" in text or "\r" in text or len(text.encode()) > MAX_LINE_BYTES:
        return None
    return message


def ending(feeder: StdinFeeder, exit_code: int | None) -> str:
    """The stored reason of a run the user stopped with Ctrl-C, or "" (the exit code decides).

    A command that caught SIGINT and still exited 0 succeeded: that is its answer.
    """
    if not feeder.interrupted_by or exit_code in (0, None):
        return ""
    return stored.encode("task_input.interrupted_by", user=feeder.interrupted_by)

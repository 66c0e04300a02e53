"""A first-class fake sandbox that takes a plain function, like httpx's MockTransport.

    def handler(spec: SandboxSpec) -> FakeRun:
        return FakeRun(output=[("stdout", b"hi\\n"), 0.05, ("stderr", b"oops\\n")],
                       exit_code=1)

    sandbox = FakeSandbox(handler)

The script runs on its own thread as soon as ``start`` returns, like a real
process: ``wait()`` does not depend on anyone reading ``output()``. ``kill()``
cuts it short (exit 137, like SIGKILL). Raise from the handler to simulate a
backend that cannot start (e.g. ``SandboxError``).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from worker.sandbox.base import Chunk, ExitInfo, Sandbox, SandboxHandle, SandboxSpec

KILLED_EXIT = 128 + 9
SIGINT_EXIT = 128 + 2
# An output step: a chunk, a (stream, bytes) pair, or a float = sleep seconds.
Step = Chunk | tuple[str, bytes] | float
_END = object()


@dataclass
class FakeRun:
    """What the fake "process" does.

    Attributes:
        output: steps played in order.
        exit_code: exit status when the script ends normally.
        oom_killed: report the run as killed by the out-of-memory killer.
        hang: after the script, keep running until ``kill()`` (``sleep infinity``).
        on_stdin: called with each ``write_stdin`` payload; the steps it returns
            are played right away (scripted agent protocols). With it, the run
            also keeps going until ``close_stdin()`` or ``kill()``.
    """

    output: list[Step] = field(default_factory=list)
    exit_code: int = 0
    oom_killed: bool = False
    hang: bool = False
    on_stdin: Callable[[bytes], Iterable[Step]] | None = None


class FakeHandle(SandboxHandle):
    def __init__(self, spec: SandboxSpec, run: FakeRun):
        self.spec = spec
        self.run = run
        self.stdin_data = bytearray()
        self.stdin_closed = False
        self.killed = False
        self.removed = False
        self.signals: list[str] = []
        self.interrupted = False
        self._queue: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        self._stdin_done = threading.Event()
        self._wake = threading.Event()  # set by kill() and close_stdin()
        self._done = threading.Event()
        self._lock = threading.Lock()  # kill() vs. the run ending on its own
        self._exit: ExitInfo | None = None
        self._thread = threading.Thread(target=self._play, daemon=True,
                                        name=f"fake-sandbox-{spec.task_id}")
        self._thread.start()

    def _play(self) -> None:
        try:
            self._steps(self.run.output)
            while self.run.on_stdin is not None and not (
                    self._stop.is_set() or self._stdin_done.is_set()):
                self._wake.wait()
                self._wake.clear()
            if self.run.hang:
                self._stop.wait()
        finally:
            with self._lock:
                if self.killed:
                    self._exit = ExitInfo(exit_code=KILLED_EXIT)
                elif self.interrupted:
                    self._exit = ExitInfo(exit_code=SIGINT_EXIT)
                else:
                    self._exit = ExitInfo(self.run.exit_code, self.run.oom_killed)
                self._done.set()
            self._queue.put(_END)

    def _steps(self, steps: Iterable[Step]) -> None:
        for step in steps:
            if self._stop.is_set():
                return
            if isinstance(step, (int, float)):
                self._stop.wait(step)
            elif isinstance(step, Chunk):
                self._queue.put(step)
            else:
                self._queue.put(Chunk(step[0], bytes(step[1])))

    def output(self) -> Iterator[Chunk]:
        while (item := self._queue.get()) is not _END:
            yield item

    def wait(self) -> ExitInfo:
        self._done.wait()
        assert self._exit is not None
        return self._exit

    def kill(self) -> None:
        with self._lock:
            if not self._done.is_set():
                self.killed = True
        self._stop.set()
        self._wake.set()

    def remove(self) -> None:
        self.kill()
        self.removed = True

    def write_stdin(self, data: bytes) -> None:
        if self.stdin_closed or not self.spec.stdin:
            raise BrokenPipeError("stdin is closed")
        self.stdin_data += data
        if self.run.on_stdin is not None:
            self._steps(self.run.on_stdin(bytes(data)))

    def signal(self, name: str) -> None:
        """Recorded in ``signals``; SIGINT ends a hanging run like a shell would (130)."""
        self.signals.append(name)
        if name == "SIGINT":
            with self._lock:
                if not self._done.is_set():
                    self.interrupted = True
            self._stop.set()
            self._wake.set()

    def close_stdin(self) -> None:
        self.stdin_closed = True
        self._stdin_done.set()
        self._wake.set()


def _default_handler(spec: SandboxSpec) -> FakeRun:
    return FakeRun()


class FakeSandbox(Sandbox):
    """Runs ``handler(spec)``'s script instead of a container; records everything.

    Attributes:
        specs: every spec passed to ``start``, in order.
        handles: every handle returned, in order.
        orphans: names ``remove_orphans`` reports (and forgets), keyed by worker.
    """

    def __init__(self, handler: Callable[[SandboxSpec], FakeRun] | None = None):
        self.handler = handler or _default_handler
        self.specs: list[SandboxSpec] = []
        self.handles: list[FakeHandle] = []
        self.orphans: dict[str, list[str]] = {}

    def start(self, spec: SandboxSpec) -> FakeHandle:
        self.specs.append(spec)
        handle = FakeHandle(spec, self.handler(spec))
        self.handles.append(handle)
        return handle

    def remove_orphans(self, alive_worker_names: set[str]) -> list[str]:
        dead = [w for w in self.orphans if w not in alive_worker_names]
        return [name for w in dead for name in self.orphans.pop(w)]

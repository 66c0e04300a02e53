"""An SDK ``Transport`` that runs the Claude Code CLI inside the task's sandbox.

The SDK normally spawns the CLI as a local subprocess. Here the CLI runs in the
task's container (``/usr/local/bin/claude`` in the runner image, the version
the pinned SDK bundles) and its stream-json protocol travels over the
container's stdin/stdout. The command line is the SDK's own
(``SubprocessCLITransport._build_command``), so every option the SDK knows
(resume, permission mode, allowed tools, budget, ...) maps to the same flags.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import dataclasses
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
from claude_agent_sdk import ClaudeAgentOptions
from claude_agent_sdk._errors import CLIConnectionError, ProcessError
from claude_agent_sdk._errors import CLIJSONDecodeError
from claude_agent_sdk._internal.transport import Transport
from claude_agent_sdk._internal.transport.subprocess_cli import (
    SubprocessCLITransport, _LineFramer, _parse_stdout_line,
)

from worker.sandbox.base import SandboxHandle

CLI_PATH = "/usr/local/bin/claude"
# Tool results (a long file, a test run's output) arrive as one JSON line; the
# SDK's default 1 MB would end the session on the first big one.
MAX_BUFFER_SIZE = 64 * 1024 * 1024
_CLOSE_GRACE_SECONDS = 5.0


def cli_argv(options: ClaudeAgentOptions) -> list[str]:
    """The CLI command line the SDK would run for ``options``, with the in-image CLI."""
    opts = dataclasses.replace(options, cli_path=CLI_PATH)
    return SubprocessCLITransport(prompt="", options=opts)._build_command()


class SandboxTransport(Transport):
    """Carries the SDK's protocol over a sandbox handle's stdin/stdout.

    Args:
        options: the SDK options (already passed through ``_configure_can_use_tool``).
        start: starts the sandbox for a CLI argv and returns its handle; blocking.
        wrap: turns the CLI argv into the container's argv (e.g. the egress bridge).
        on_stderr: receives the CLI's stderr bytes, from a reader thread.
    """

    def __init__(self, *, options: ClaudeAgentOptions, start: Callable[[list[str]], SandboxHandle],
                 wrap: Callable[[list[str]], list[str]] = lambda argv: argv,
                 on_stderr: Callable[[bytes], None] = lambda data: None):
        self._options = options
        self._start = start
        self._wrap = wrap
        self._on_stderr = on_stderr
        self._max = options.max_buffer_size or MAX_BUFFER_SIZE
        self.handle: SandboxHandle | None = None
        self._queue: asyncio.Queue[bytes | None] | None = None
        self._pump_done = threading.Event()
        self._ready = False
        self._closed = False
        self._write_lock = anyio.Lock()

    async def connect(self) -> None:
        if self.handle is not None:
            return
        argv = self._wrap(cli_argv(self._options))
        try:
            self.handle = await anyio.to_thread.run_sync(self._start, argv)
        except Exception as exc:
            raise CLIConnectionError(f"cannot start Claude Code in the sandbox: {exc}") from exc
        loop = asyncio.get_running_loop()
        self._queue = asyncio.Queue()
        threading.Thread(target=self._pump, args=(loop,), daemon=True, name="claude-stdout").start()
        self._ready = True

    def _pump(self, loop: asyncio.AbstractEventLoop) -> None:
        # The sandbox handle is blocking; a thread turns it into queue items.
        try:
            for chunk in self.handle.output():
                if chunk.stream == "stdout":
                    loop.call_soon_threadsafe(self._queue.put_nowait, chunk.data)
                else:
                    self._on_stderr(chunk.data)
        except Exception:  # noqa: BLE001 - a broken stream is an end of output
            pass
        finally:
            self._pump_done.set()
            with contextlib.suppress(RuntimeError):  # loop already closed
                loop.call_soon_threadsafe(self._queue.put_nowait, None)

    def read_messages(self) -> AsyncIterator[dict[str, Any]]:
        return self._read()

    async def _read(self) -> AsyncIterator[dict[str, Any]]:
        if self._queue is None:
            raise CLIConnectionError("Not connected")
        framer, decoder = _LineFramer(), codecs.getincrementaldecoder("utf-8")("replace")
        while (data := await self._queue.get()) is not None:
            for line in framer.push(decoder.decode(data)):
                self._guard(len(line))
                if (msg := _parse_stdout_line(line)) is not None:
                    yield msg
            self._guard(framer.pending_len)
        with contextlib.suppress(CLIJSONDecodeError):
            if (msg := _parse_stdout_line(framer.flush())) is not None:
                yield msg
        self._ready = False
        info = await anyio.to_thread.run_sync(self.handle.wait)
        if info.exit_code != 0:
            raise ProcessError(f"Claude Code exited with code {info.exit_code}",
                               exit_code=info.exit_code, stderr="")

    def _guard(self, length: int) -> None:
        if length > self._max:
            raise CLIJSONDecodeError(
                f"JSON message exceeded maximum buffer size of {self._max} bytes",
                ValueError(f"Buffer size {length} exceeds limit {self._max}"))

    async def write(self, data: str) -> None:
        async with self._write_lock:
            if not self._ready or self.handle is None:
                raise CLIConnectionError("Claude Code is not running")
            try:
                await anyio.to_thread.run_sync(self.handle.write_stdin, data.encode())
            except OSError as exc:
                self._ready = False
                raise CLIConnectionError(f"Failed to write to Claude Code: {exc}") from exc

    async def end_input(self) -> None:
        if self.handle is not None:
            await anyio.to_thread.run_sync(self.handle.close_stdin)

    def kill(self) -> None:
        """Stop the container now (cancel, timeout); the read loop then ends."""
        if self.handle is not None:
            with contextlib.suppress(Exception):
                self.handle.kill()

    async def close(self) -> None:
        if self.handle is None or self._closed:
            return
        self._closed = True
        with anyio.CancelScope(shield=True):
            self._ready = False
            handle = self.handle
            with contextlib.suppress(Exception):
                await anyio.to_thread.run_sync(handle.close_stdin)
            # Give the CLI a moment to flush its session file after EOF.
            with anyio.move_on_after(_CLOSE_GRACE_SECONDS):
                while not self._pump_done.is_set():
                    await anyio.sleep(0.05)
            with contextlib.suppress(Exception):
                await anyio.to_thread.run_sync(handle.kill)
            with contextlib.suppress(Exception):
                await anyio.to_thread.run_sync(handle.remove)

    def is_ready(self) -> bool:
        return self._ready

"""A started task container: its output demultiplexed, its exit, kill and stdin."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import docker
from docker.errors import APIError, NotFound

from worker.sandbox.base import Chunk, ExitInfo, SandboxHandle
from worker.sandbox.docker_calls import DOCKER_ERRORS, force_remove, infrastructure

# One recv() never returns more than this, so a 100 MB line without a newline
# still reaches the caller as bounded chunks, while big reads keep the
# per-chunk Python overhead low for floods of short lines.
READ_SIZE = 256 * 1024
_STREAMS = {0: "stdout", 1: "stdout", 2: "stderr"}
_HEADER = struct.Struct(">BxxxL")
SIGKILL_EXIT = 128 + 9


class DockerHandle(SandboxHandle):
    """A started container; ``output()`` demultiplexes the attach stream."""

    def __init__(self, api: docker.APIClient, cid: str, name: str, sock: socket.socket):
        self.api = api
        self.id = cid
        self.name = name
        self._sock = sock
        self._exit: ExitInfo | None = None
        self._killed = False
        self._lock = threading.Lock()

    def output(self) -> Iterator[Chunk]:
        try:
            yield from demux(self._recv)
        finally:
            self._close_socket()

    def _recv(self, n: int) -> bytes:
        try:
            return self._sock.recv(n)
        except OSError:  # closed under us by kill()/remove(): end of output
            return b""

    def wait(self) -> ExitInfo:
        if self._exit is None:
            with infrastructure(f"cannot wait for sandbox {self.name}"):
                code = self.api.wait(self.id, timeout=None)["StatusCode"]
                state = self.api.inspect_container(self.id)["State"]
            self._exit = ExitInfo(exit_code=code, oom_killed=self._oom(code, state))
        return self._exit

    def _oom(self, code: int, state: dict) -> bool:
        if state.get("OOMKilled"):
            return True
        # With --init the kernel may kill the child rather than PID 1; docker
        # then still sees the cgroup's OOM event, but fall back to the event log
        # in case a daemon version only flags a killed PID 1.
        if code != SIGKILL_EXIT or self._killed:
            return False
        return self._had_oom_event(state)

    def _had_oom_event(self, state: dict) -> bool:
        try:
            since = _parse_time(state.get("StartedAt"))
            # The API counts whole seconds: a second more catches an OOM in
            # this very second (at the price of waiting for it, rarely).
            until = datetime.now(timezone.utc) + timedelta(seconds=1)
            events = self.api.events(
                since=since, until=until, decode=True,
                filters={"container": self.id, "event": "oom"})
            return any(True for _ in events)
        except (*DOCKER_ERRORS, ValueError):
            return False

    def kill(self) -> None:
        self._killed = True
        with infrastructure(f"cannot kill sandbox {self.name}"):
            try:
                self.api.kill(self.id)
            except NotFound:
                pass
            except APIError as exc:
                if exc.status_code != 409:  # 409: not running any more, nothing to do
                    raise

    def remove(self) -> None:
        self._close_socket()
        with infrastructure(f"cannot remove sandbox {self.name}"):
            force_remove(self.api, self.id)

    def write_stdin(self, data: bytes) -> None:
        self._sock.sendall(data)

    def signal(self, name: str) -> None:
        # Through dockerd to the container's init, which passes it to the
        # command's process group (INIT_ENV): nothing on the host is signalled.
        with infrastructure(f"cannot signal sandbox {self.name}"):
            try:
                self.api.kill(self.id, signal=name)
            except NotFound:
                pass
            except APIError as exc:
                if exc.status_code != 409:  # 409: not running any more
                    raise

    def close_stdin(self) -> None:
        # Half-close: with stdin_once the daemon closes the container's stdin
        # and keeps streaming its output back.
        try:
            self._sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def _close_socket(self) -> None:
        with self._lock:
            if self._sock.fileno() == -1:
                return
            try:
                self._sock.shutdown(socket.SHUT_RDWR)  # wakes a blocked recv()
            except OSError:
                pass
            self._sock.close()


def demux(recv) -> Iterator[Chunk]:
    """Split Docker's multiplexed attach stream into stdout/stderr chunks.

    Each frame is an 8-byte header (stream id, 3 zero bytes, big-endian length)
    then the payload. Payloads are passed on as soon as they arrive, even mid
    frame, so latency stays low and no chunk exceeds ``READ_SIZE``; consecutive
    pieces of the same stream within one read are joined to cut per-chunk cost.
    """
    header = b""
    stream, remaining = "stdout", 0
    while data := recv(READ_SIZE):
        view, pos, end = memoryview(data), 0, len(data)
        pieces: list[tuple[str, list[bytes]]] = []
        while pos < end:
            if remaining == 0:
                take = min(8 - len(header), end - pos)
                header += data[pos:pos + take]
                pos += take
                if len(header) == 8:
                    sid, remaining = _HEADER.unpack(header)
                    stream, header = _STREAMS.get(sid, "stdout"), b""
                continue
            take = min(remaining, end - pos)
            piece = bytes(view[pos:pos + take])
            pos += take
            remaining -= take
            if pieces and pieces[-1][0] == stream:
                pieces[-1][1].append(piece)
            else:
                pieces.append((stream, [piece]))
        for name, parts in pieces:
            yield Chunk(name, parts[0] if len(parts) == 1 else b"".join(parts))


def _parse_time(value: str | None) -> datetime:
    if not value:
        raise ValueError("no start time")
    # Docker gives nanoseconds; datetime takes microseconds.
    head, _, frac = value.rstrip("Z").partition(".")
    return datetime.fromisoformat(f"{head}.{(frac + '000000')[:6]}+00:00")

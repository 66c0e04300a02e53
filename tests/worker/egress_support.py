"""Helpers for egress proxy tests: everything stays on loopback and unix sockets.

* ``MapResolver``: the only resolver a test proxy gets. It knows a few made-up
  names and maps them to loopback; any other name raises, so a proxy under test
  never asks the system's DNS about anything.
* ``CountingServer``: a loopback TCP server that counts every connection. Every
  name a refusal test uses maps to it, so an allow-list check that broke shows
  as a counted connection, never as traffic leaving the machine.
* ``raw``: one request on the proxy's unix socket, as a proxy client sends it.
* ``ProxyProcess``: a proxy alone in a child process, so its memory can be
  measured without whatever else a test process holds or frees meanwhile.
"""

from __future__ import annotations

import os
import socket
import socketserver
import subprocess
import sys
import threading
from collections.abc import Callable


class MapResolver:
    """An async resolver over a fixed {name: [ip, ...]} map; records every call."""

    def __init__(self, mapping: dict[str, list[str] | Callable[[], list[str]]]):
        self.mapping = mapping
        self.calls: list[tuple[str, int]] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append((host, port))
        answer = self.mapping.get(host)
        if answer is None:
            raise OSError(f"test resolver: unknown name {host!r}")
        return list(answer() if callable(answer) else answer)


class CountingServer:
    """Loopback TCP server: counts connections, answers a tiny HTTP reply or echoes.

    ``mode="http"`` reads one request head and answers ``reply`` (default a 200
    "ok"); ``mode="echo"`` sends back whatever arrives (a stand-in for TLS
    behind a CONNECT tunnel); ``mode="sink"`` reads a request head and a body
    until the client stops, counting bytes, then answers 200.
    """

    def __init__(self, *, mode: str = "http", reply: bytes | None = None,
                 host: str = "127.0.0.1", port: int = 0):
        self.mode = mode
        self.reply = reply or (b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n"
                               b"connection: close\r\n\r\nok")
        self.connections = 0
        self.heads: list[bytes] = []
        self.body_bytes = 0
        self._lock = threading.Lock()
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                with outer._lock:
                    outer.connections += 1
                outer._serve(self.request)

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self._server = socketserver.ThreadingTCPServer((host, port), Handler)
        self._server.daemon_threads = True

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def start(self) -> "CountingServer":
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _serve(self, sock: socket.socket) -> None:
        sock.settimeout(20)
        try:
            if self.mode == "echo":
                while data := sock.recv(65536):
                    sock.sendall(data)
                return
            head = b""
            while b"\r\n\r\n" not in head:
                data = sock.recv(65536)
                if not data:
                    return
                head += data
            head, _, rest = head.partition(b"\r\n\r\n")
            with self._lock:
                self.heads.append(head)
            if self.mode == "sink":
                self._sink(sock, head, rest)
            sock.sendall(self.reply)
        except OSError:
            pass

    def _sink(self, sock: socket.socket, head: bytes, rest: bytes) -> None:
        """Read the body without keeping it: counts bytes until its end.

        The end is the declared content-length, else the terminating chunk.
        """
        self.body_bytes += len(rest)
        length = [int(line.split(b":", 1)[1]) for line in head.lower().split(b"\r\n")
                  if line.startswith(b"content-length:")]
        while length and self.body_bytes < length[0]:
            data = sock.recv(1 << 20)
            if not data:
                return
            with self._lock:
                self.body_bytes += len(data)
        tail = rest[-5:]
        while not length and not tail.endswith(b"0\r\n\r\n"):
            data = sock.recv(1 << 20)
            if not data:
                return
            with self._lock:
                self.body_bytes += len(data)
            tail = (tail + data)[-5:]


def raw(sock_path, request: bytes | str, *, timeout: float = 10) -> bytes:
    """Send one request on the proxy's socket; what came back until it closed (or timed out).

    A timeout is not an error here: a proxy that wrongly opened a tunnel keeps
    the connection open, and the test should fail on what it counted, not hang.
    """
    data = request.encode() if isinstance(request, str) else request
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(timeout)
        sock.connect(str(sock_path))
        sock.sendall(data)
        out = b""
        try:
            while chunk := sock.recv(65536):
                out += chunk
        except (ConnectionResetError, TimeoutError):
            pass
    return out


def vm_rss_bytes(pid: int | str = "self") -> int:
    """A process's resident set size (this one's by default), from /proc."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS in /proc/{pid}/status")


_PROXY_CHILD = r"""
import sys
from tests.worker.egress_support import MapResolver
from worker.egress import EgressLimits, EgressProxy, ModelCredential
sock, model_url, port, cap = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
proxy = EgressProxy(
    socket_path=sock, model_url=model_url, credential=ModelCredential("api_key", "real-key"),
    on_refused=lambda event: None, own_hosts=("127.0.0.1:8377",),
    allow_hosts=[f"up.test:{port}"], resolver=MapResolver({"up.test": ["127.0.0.1"]}),
    allow_private_resolution=True, limits=EgressLimits(max_request_bytes=cap)).start()
print("ready", flush=True)
sys.stdin.read()
proxy.stop()
"""


class ProxyProcess:
    """An egress proxy for ``up.test:port`` running alone in a child process.

    An xdist worker's own RSS also moves with threads and garbage left by
    earlier tests; a child holding only the proxy measures the proxy.
    """

    def __init__(self, socket_path, *, model_url: str, port: int, max_request_bytes: int):
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        self._child = subprocess.Popen(
            [sys.executable, "-c", _PROXY_CHILD, str(socket_path), model_url, str(port),
             str(max_request_bytes)],
            cwd=root, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        ready = self._child.stdout.readline().strip()
        if ready != "ready":
            self._child.kill()
            raise RuntimeError(f"the proxy child did not start: {ready!r}")

    def rss(self) -> int:
        return vm_rss_bytes(self._child.pid)

    def stop(self) -> None:
        self._child.stdin.close()
        try:
            self._child.wait(10)
        except subprocess.TimeoutExpired:
            self._child.kill()
            self._child.wait()

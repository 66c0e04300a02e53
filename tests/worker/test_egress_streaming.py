"""The egress proxy streams bodies, caps their size, bounds their time.

Uploads come from generators through the proxy's unix socket to loopback
servers (names mapped by a test resolver), so nothing leaves the machine; the
memory tests run the proxy alone in a child process and read that one's VmRSS.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time

import pytest

from tests.fixtures.fake_anthropic import FakeAnthropic, text
from tests.worker.egress_support import CountingServer, MapResolver, ProxyProcess, raw
from worker.egress import EgressLimits, EgressProxy, ModelCredential

MiB = 1024 * 1024
CHUNK = b"\0" * (64 * 1024)


@pytest.fixture
def api():
    server = FakeAnthropic([text("hi")]).start()
    yield server
    server.stop()


def _proxy(tmp_path, api, port, *, model_url: str = "", resolver: MapResolver | None = None,
           **limits):
    refused: list[dict] = []
    proxy = EgressProxy(
        socket_path=tmp_path / "e.sock", model_url=model_url or api.url,
        credential=ModelCredential("api_key", "real-key"), on_refused=refused.append,
        own_hosts=("127.0.0.1:8377",), allow_hosts=[f"up.test:{port}"],
        resolver=resolver or MapResolver({"up.test": ["127.0.0.1"]}),
        allow_private_resolution=True, limits=EgressLimits(**limits)).start()
    return proxy, refused


@pytest.fixture
def counter():
    """Where every refused name points: a connection to it means a check broke."""
    server = CountingServer().start()
    yield server
    server.stop()


def _refused_names(*names: str) -> MapResolver:
    """up.test plus ``names``, all on loopback (where ``counter`` listens)."""
    return MapResolver({name: ["127.0.0.1"] for name in ("up.test", *names)})


class Upload:
    """A chunked upload of up to ``total`` bytes from a generator, on a thread."""

    def __init__(self, sock_path, target: str, host: str, total: int):
        self.sent = 0
        self.response = b""
        self.error: BaseException | None = None
        self._sock = socket.socket(socket.AF_UNIX)
        self._sock.settimeout(30)
        self._sock.connect(str(sock_path))
        head = (f"POST {target} HTTP/1.1\r\nHost: {host}\r\n"
                "Transfer-Encoding: chunked\r\n\r\n").encode()
        self._sock.sendall(head)
        self._total = total
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        try:
            while data := self._sock.recv(65536):
                self.response += data
        except OSError:
            pass

    def send_all(self) -> None:
        framed = b"%x\r\n" % len(CHUNK) + CHUNK + b"\r\n"
        try:
            while self.sent < self._total:
                self._sock.sendall(framed)
                self.sent += len(CHUNK)
            self._sock.sendall(b"0\r\n\r\n")
        except OSError as exc:  # the proxy cut us off
            self.error = exc

    def finish(self) -> bytes:
        self._reader.join(30)
        self._sock.close()
        return self.response


# The big upload comes from another process too, so the test process only
# samples the proxy child's RSS while the bytes flow.
_SENDER = r"""
import socket, sys
path, head, total = sys.argv[1], sys.argv[2], int(sys.argv[3])
chunk = b"\0" * 65536
framed = b"%x\r\n" % len(chunk) + chunk + b"\r\n"
s = socket.socket(socket.AF_UNIX)
s.settimeout(120)
s.connect(path)
s.sendall(head.encode())
sent = 0
while sent < total:
    s.sendall(framed)
    sent += len(chunk)
s.sendall(b"0\r\n\r\n")
print(s.recv(64).split(b"\r\n")[0].decode(), sent)
"""


def test_a_big_chunked_upload_streams_through_with_flat_memory(tmp_path, api):
    sink = CountingServer(mode="sink").start()
    proxy = ProxyProcess(tmp_path / "e.sock", model_url=api.url, port=sink.port,
                         max_request_bytes=4096 * MiB)
    head = (f"POST http://up.test:{sink.port}/ HTTP/1.1\r\nHost: up.test:{sink.port}\r\n"
            "Transfer-Encoding: chunked\r\n\r\n")
    try:
        # Warm up (threads, buffers, the HTTP client) before the baseline.
        warm = Upload(tmp_path / "e.sock", f"http://up.test:{sink.port}/", f"up.test:{sink.port}",
                      4 * MiB)
        warm.send_all()
        assert warm.finish().startswith(b"HTTP/1.1 200")
        before = peak = proxy.rss()
        sender = subprocess.Popen([sys.executable, "-c", _SENDER, str(tmp_path / "e.sock"), head,
                                   str(256 * MiB)], stdout=subprocess.PIPE, text=True)
        while sender.poll() is None:
            peak = max(peak, proxy.rss())
            time.sleep(0.05)
        out = sender.stdout.read().split()
        assert sender.returncode == 0 and out[:2] == ["HTTP/1.1", "200"], out
        assert sink.body_bytes >= 256 * MiB  # all of it went through
        growth = peak - before
        assert growth < 48 * MiB, f"RSS grew {growth / MiB:.0f} MiB for 256 MiB streamed"
    finally:
        proxy.stop()
        sink.stop()


@pytest.mark.parametrize("target_kind", ["listed", "model"])
def test_a_chunked_upload_over_the_cap_is_cut_off(tmp_path, api, target_kind):
    sink = CountingServer(mode="sink").start()
    # The model endpoint is the sink too, so both kinds count what got through.
    proxy = ProxyProcess(tmp_path / "e.sock", model_url=f"http://127.0.0.1:{sink.port}",
                         port=sink.port, max_request_bytes=8 * MiB)
    if target_kind == "listed":
        target, host = f"http://up.test:{sink.port}/", f"up.test:{sink.port}"
    else:
        target, host = "/v1/messages", "127.0.0.1:8377"
    try:
        before = proxy.rss()
        up = Upload(tmp_path / "e.sock", target, host, 1024 * MiB)
        up.send_all()
        response = up.finish()
        growth = proxy.rss() - before
        assert up.error is not None, "the upload of 1 GiB was never cut off"
        assert up.sent < 128 * MiB, f"{up.sent / MiB:.0f} MiB accepted before the cut"
        assert sink.body_bytes <= 8 * MiB + 64 * 1024  # the cap, plus chunk framing
        assert response.startswith(b"HTTP/1.1 413"), response[:200]
        assert growth < 48 * MiB, f"RSS grew {growth / MiB:.0f} MiB"
    finally:
        proxy.stop()
        sink.stop()


def test_a_declared_length_over_the_cap_is_refused_before_connecting(tmp_path, api):
    counter = CountingServer().start()
    proxy, _ = _proxy(tmp_path, api, counter.port, max_request_bytes=1 * MiB)
    try:
        for target, host in ((f"http://up.test:{counter.port}/", f"up.test:{counter.port}"),
                             ("/v1/messages", "127.0.0.1:8377")):
            got = raw(tmp_path / "e.sock", f"POST {target} HTTP/1.1\r\nHost: {host}\r\n"
                                           f"Content-Length: {2 * MiB}\r\n\r\n")
            assert got.startswith(b"HTTP/1.1 413"), got[:200]
        assert counter.connections == 0 and api.seen == []
    finally:
        proxy.stop()
        counter.stop()


def _endless_reply(length_header: bool) -> bytes:
    head = b"HTTP/1.1 200 OK\r\n"
    head += b"content-length: 1073741824\r\n" if length_header else b"connection: close\r\n"
    return head + b"\r\n"


class Firehose(CountingServer):
    """Answers every request with a body far bigger than any cap (until cut off)."""

    def __init__(self, length_header: bool):
        super().__init__(reply=_endless_reply(length_header))
        self.sent = 0

    def _serve(self, sock):
        sock.settimeout(20)
        try:
            sock.recv(65536)
            sock.sendall(self.reply)
            while self.sent < 1024 * MiB:
                sock.sendall(CHUNK)
                self.sent += len(CHUNK)
        except OSError:
            pass


def test_a_response_over_the_cap_is_cut_off(tmp_path, api):
    hose = Firehose(length_header=False).start()
    proxy, _ = _proxy(tmp_path, api, hose.port, max_response_bytes=4 * MiB)
    try:
        got = raw(tmp_path / "e.sock", f"GET http://up.test:{hose.port}/ HTTP/1.1\r\n"
                                       f"Host: up.test:{hose.port}\r\n\r\n", timeout=30)
        head, _, body = got.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200")
        assert len(body) < 5 * MiB and not body.endswith(b"0\r\n\r\n")  # cut, not ended
        assert hose.sent < 64 * MiB
    finally:
        proxy.stop()
        hose.stop()


def test_a_declared_response_length_over_the_cap_is_a_502(tmp_path, api):
    hose = Firehose(length_header=True).start()
    proxy, _ = _proxy(tmp_path, api, hose.port, max_response_bytes=4 * MiB)
    try:
        got = raw(tmp_path / "e.sock", f"GET http://up.test:{hose.port}/ HTTP/1.1\r\n"
                                       f"Host: up.test:{hose.port}\r\n\r\n", timeout=30)
        assert got.startswith(b"HTTP/1.1 502"), got[:200]
    finally:
        proxy.stop()
        hose.stop()


class Silent(CountingServer):
    """Reads the request, then says nothing (or trickles one byte a tick)."""

    def __init__(self, trickle: bool = False):
        super().__init__()
        self.trickle = trickle
        self.done = threading.Event()

    def _serve(self, sock):
        try:
            sock.recv(65536)
            if self.trickle:
                sock.sendall(b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n")
                while not self.done.wait(0.1):
                    sock.sendall(b".")
            else:
                self.done.wait(30)
        except OSError:
            pass

    def stop(self):
        self.done.set()
        super().stop()


def test_an_upstream_that_never_answers_gets_a_504(tmp_path, api):
    silent = Silent().start()
    proxy, _ = _proxy(tmp_path, api, silent.port, idle_timeout=0.5)
    try:
        start = time.monotonic()
        got = raw(tmp_path / "e.sock", f"GET http://up.test:{silent.port}/ HTTP/1.1\r\n"
                                       f"Host: up.test:{silent.port}\r\n\r\n", timeout=20)
        assert got.startswith(b"HTTP/1.1 504"), got[:200]
        assert time.monotonic() - start < 5
    finally:
        proxy.stop()
        silent.stop()


def test_a_trickling_upstream_is_cut_at_the_total_timeout(tmp_path, api):
    slow = Silent(trickle=True).start()
    proxy, _ = _proxy(tmp_path, api, slow.port, idle_timeout=5, total_timeout=1.0)
    try:
        start = time.monotonic()
        got = raw(tmp_path / "e.sock", f"GET http://up.test:{slow.port}/ HTTP/1.1\r\n"
                                       f"Host: up.test:{slow.port}\r\n\r\n", timeout=20)
        assert got.startswith(b"HTTP/1.1 200") and not got.endswith(b"0\r\n\r\n")
        assert time.monotonic() - start < 4
    finally:
        proxy.stop()
        slow.stop()


def test_a_silent_tunnel_is_closed_after_the_idle_timeout(tmp_path, api):
    echo = CountingServer(mode="echo").start()
    proxy, _ = _proxy(tmp_path, api, echo.port, idle_timeout=0.5)
    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(10)
            s.connect(str(tmp_path / "e.sock"))
            s.sendall(f"CONNECT up.test:{echo.port} HTTP/1.1\r\n"
                      f"Host: up.test:{echo.port}\r\n\r\n".encode())
            assert s.recv(1024).startswith(b"HTTP/1.1 200")
            start = time.monotonic()
            assert s.recv(1024) == b""  # closed by the proxy, not by our timeout
            assert time.monotonic() - start < 5
    finally:
        proxy.stop()
        echo.stop()


def test_a_client_that_sends_nothing_is_dropped(tmp_path, api):
    proxy, _ = _proxy(tmp_path, api, 1, idle_timeout=0.5)
    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(10)
            s.connect(str(tmp_path / "e.sock"))
            start = time.monotonic()
            s.sendall(b"GET /v1/mess")  # half a request line, then silence
            data = b""
            while chunk := s.recv(1024):  # ends only when the proxy hangs up
                data += chunk
            assert data == b"" or data.startswith(b"HTTP/1.1 408"), data
            assert time.monotonic() - start < 5
    finally:
        proxy.stop()


def test_expect_100_continue_is_answered_and_the_body_streamed(tmp_path, api):
    sink = CountingServer(mode="sink").start()
    proxy, _ = _proxy(tmp_path, api, sink.port)
    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(10)
            s.connect(str(tmp_path / "e.sock"))
            s.sendall(f"PUT http://up.test:{sink.port}/up HTTP/1.1\r\nHost: up.test:{sink.port}\r\n"
                      "Content-Length: 3000000\r\nExpect: 100-continue\r\n\r\n".encode())
            assert s.recv(1024).startswith(b"HTTP/1.1 100 ")  # invited, as curl waits to be
            s.sendall(b"x" * 3_000_000)
            assert s.recv(1024).startswith(b"HTTP/1.1 200")
        assert sink.body_bytes == 3_000_000
        assert b"expect" not in sink.heads[0].lower()  # answered here, not passed on
    finally:
        proxy.stop()
        sink.stop()


def test_a_refused_upload_is_not_invited(tmp_path, api, counter):
    resolver = _refused_names("evil.test")
    proxy, refused = _proxy(tmp_path, api, 1, resolver=resolver)
    evil = f"evil.test:{counter.port}"
    try:
        got = raw(tmp_path / "e.sock", f"PUT http://{evil}/ HTTP/1.1\r\nHost: {evil}\r\n"
                                       "Content-Length: 3000000\r\nExpect: 100-continue\r\n\r\n",
                  timeout=5)
        assert counter.connections == 0 and resolver.calls == []
        assert got.startswith(b"HTTP/1.1 403") and b" 100 " not in got
        assert [r["host"] for r in refused] == ["evil.test"]
    finally:
        proxy.stop()


def test_refusal_events_are_rate_limited_with_a_summary(tmp_path, api, counter):
    resolver = _refused_names(*(f"h{i}.evil.test" for i in range(300)))
    proxy, refused = _proxy(tmp_path, api, 1, resolver=resolver, refusals_per_second=5)
    p = counter.port
    try:
        start = time.monotonic()
        for i in range(300):
            got = raw(tmp_path / "e.sock", f"CONNECT h{i}.evil.test:{p} HTTP/1.1\r\n"
                                           f"Host: h{i}.evil.test:{p}\r\n\r\n")
            assert got.startswith(b"HTTP/1.1 403")
        elapsed = time.monotonic() - start
    finally:
        proxy.stop()  # flushes the last summary
    assert counter.connections == 0 and resolver.calls == []
    singles = [r for r in refused if not r.get("more")]
    summaries = [r for r in refused if r.get("more")]
    windows = int(elapsed) + 2
    # At most 5 a second, and at most one summary a second (plus the last, at stop).
    assert len(singles) <= 5 * windows and len(summaries) <= windows, refused
    assert len(singles) + sum(r["more"] for r in summaries) == 300
    assert summaries, "a burst far over the rate must end in an 'and K more' summary"

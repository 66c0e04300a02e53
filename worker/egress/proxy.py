"""The egress proxy: model API with the real credential injected, allow-list, refusals.

Three kinds of request arrive on the socket:

* origin-form (``POST /v1/messages``): the agent talking to ``ANTHROPIC_BASE_URL``.
  Forwarded to the configured model endpoint; whatever key the container sent
  (a placeholder) is dropped and the real credential added here, so the key
  never enters the container.
* ``CONNECT host:port``: HTTPS through ``HTTPS_PROXY``. Tunnelled only when
  the host is allow-listed; the proxy never sees inside the TLS.
* absolute-form (``GET http://host/...``): plain HTTP through ``HTTP_PROXY``.
  Forwarded only to allow-listed hosts, without any credential.

Anything else gets a 403 and ``on_refused(host)``, which the agent turns into an
``egress.refused`` event. Runs its own asyncio loop in a thread so the caller
may be synchronous.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import h11
import httpx

from worker.egress.allow import host_allowed, split_host_port

# Headers that belong to one hop, or that carry a credential we replace.
_DROP_HEADERS = frozenset({
    "host", "connection", "keep-alive", "proxy-connection", "proxy-authorization",
    "proxy-authenticate", "te", "trailer", "transfer-encoding", "upgrade",
    "content-length", "x-api-key", "authorization",
})
_OAUTH_BETA = "oauth-2025-04-20"
_MAX_HEAD = 64 * 1024


@dataclass(frozen=True)
class ModelCredential:
    kind: str  # "api_key" | "oauth_token"
    secret: str

    def __repr__(self) -> str:  # never print the secret by accident
        return f"ModelCredential(kind={self.kind!r}, secret=<hidden>)"

    def apply(self, headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """Headers with the real credential in place of whatever came in."""
        if self.kind == "oauth_token":
            betas = [v for k, v in headers if k == "anthropic-beta"]
            rest = [(k, v) for k, v in headers if k != "anthropic-beta"]
            merged = ",".join(filter(None, betas + [_OAUTH_BETA]))
            return rest + [("authorization", f"Bearer {self.secret}"), ("anthropic-beta", merged)]
        return headers + [("x-api-key", self.secret)]


class EgressProxy:
    """One task's proxy. ``start()`` listens on ``socket_path``; ``stop()`` ends everything."""

    def __init__(self, *, socket_path: Path, model_url: str, credential: ModelCredential,
                 allow_hosts: list[str] = (), on_refused: Callable[[str], None] = lambda h: None,
                 read_timeout: float = 600.0, own_hosts: tuple[str, ...] = ()):
        self.socket_path = Path(socket_path)
        self.model_url = model_url.rstrip("/")
        self.credential = credential
        self.allow_hosts = list(allow_hosts)
        self.on_refused = on_refused
        self.read_timeout = read_timeout
        # The bridge's address inside the container ("127.0.0.1:8377"): a client
        # that sends even its model requests through HTTP(S)_PROXY addresses
        # them to the bridge itself, and they mean the model endpoint.
        self.own_hosts = {h.lower() for h in own_hosts}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.AbstractServer | None = None
        self._conns: set[asyncio.Task] = set()
        self._client: httpx.AsyncClient | None = None

    def start(self) -> "EgressProxy":
        self.socket_path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            self.socket_path.unlink()
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, args=(ready,), daemon=True,
                                        name=f"egress:{self.socket_path.name}")
        self._thread.start()
        if not ready.wait(10) or self._server is None:
            raise RuntimeError("egress proxy did not start")
        # The container runs as another uid; the socket lives in a per-task
        # directory that only this task's container mounts.
        os.chmod(self.socket_path, 0o666)
        return self

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)

        async def boot():
            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(30.0, read=self.read_timeout), follow_redirects=False,
                trust_env=False)
            self._server = await asyncio.start_unix_server(self._handle, path=str(self.socket_path))

        try:
            self._loop.run_until_complete(boot())
        finally:
            ready.set()
        self._loop.run_forever()

    def stop(self) -> None:
        if not self._loop or not self._thread:
            return
        fut = asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop)
        with contextlib.suppress(Exception):
            fut.result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()
        self._loop = self._thread = None
        with contextlib.suppress(FileNotFoundError):
            self.socket_path.unlink()

    async def _shutdown(self) -> None:
        if self._server:
            self._server.close()
        for task in list(self._conns):
            task.cancel()
        await asyncio.gather(*self._conns, return_exceptions=True)
        if self._client:
            await self._client.aclose()

    # -- one client connection -------------------------------------------------
    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        self._conns.add(task)
        try:
            await self._serve(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, h11.ProtocolError):
            pass
        finally:
            self._conns.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _serve(self, reader, writer) -> None:
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=_MAX_HEAD)
        while True:
            request, body = await _read_request(conn, reader)
            if request is None:
                return
            target = request.target.decode("latin-1")
            headers = [(k.decode().lower(), v.decode("latin-1")) for k, v in request.headers]
            method = request.method.decode()
            if method == "CONNECT":
                return await self._tunnel(conn, reader, writer, target)
            parts = urlsplit(target)
            if target.startswith("/") or parts.netloc.lower() in self.own_hosts:
                path = target if target.startswith("/") else _path_of(parts)
                await self._forward(conn, writer, method, self.model_url + path, headers,
                                    body, self.credential)
            else:
                host = parts.netloc
                if not self._allowed(host):
                    await _send_simple(conn, writer, 403, f"egress to {host} refused\n")
                    self.on_refused(split_host_port(host)[0])
                else:
                    await self._forward(conn, writer, method, target, headers, body, None)
            if conn.our_state is h11.MUST_CLOSE or conn.their_state is h11.MUST_CLOSE:
                return
            conn.start_next_cycle()

    def _allowed(self, hostport: str) -> bool:
        return host_allowed(hostport, self.allow_hosts)

    async def _forward(self, conn, writer, method, url, headers, body, credential) -> None:
        out = [(k, v) for k, v in headers if k not in _DROP_HEADERS]
        if credential is not None:
            out = credential.apply(out)
        req = self._client.build_request(method, url, headers=out, content=body)
        try:
            resp = await self._client.send(req, stream=True)
        except httpx.HTTPError as exc:
            await _send_simple(conn, writer, 502, f"upstream unreachable: {type(exc).__name__}\n")
            return
        try:
            resp_headers = [(k, v) for k, v in resp.headers.multi_items()
                            if k.lower() not in _DROP_HEADERS]
            writer.write(conn.send(h11.Response(status_code=resp.status_code,
                                                headers=resp_headers)))
            async for chunk in resp.aiter_raw():
                writer.write(conn.send(h11.Data(data=chunk)))
                await writer.drain()
            writer.write(conn.send(h11.EndOfMessage()))
            await writer.drain()
        except httpx.HTTPError:
            # The upstream broke mid-body: cut the client off so it sees a
            # truncated response rather than a clean end.
            raise ConnectionError("upstream broke mid-response")
        finally:
            await resp.aclose()

    async def _tunnel(self, conn, reader, writer, target: str) -> None:
        host, port = split_host_port(target, default_port=443)
        if not self._allowed(target):
            await _send_simple(conn, writer, 403, f"egress to {host} refused\n")
            self.on_refused(host)
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(host, port)
        except OSError:
            await _send_simple(conn, writer, 502, "upstream unreachable\n")
            return
        writer.write(conn.send(h11.Response(status_code=200, headers=[])))
        leftover, _ = conn.trailing_data
        if leftover:
            up_writer.write(leftover)
        await asyncio.gather(_relay(reader, up_writer), _relay(up_reader, writer))


def _path_of(parts) -> str:
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


async def _read_request(conn: h11.Connection, reader: asyncio.StreamReader):
    """The next request and its whole body, or (None, b"") when the client is done."""
    request, body = None, bytearray()
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            data = await reader.read(65536)
            conn.receive_data(data)
            continue
        if isinstance(event, h11.Request):
            request = event
            if event.method == b"CONNECT":
                return request, b""
        elif isinstance(event, h11.Data):
            body += event.data
        elif isinstance(event, h11.EndOfMessage):
            return request, bytes(body)
        elif isinstance(event, h11.ConnectionClosed) or event is h11.PAUSED:
            return None, b""


async def _send_simple(conn, writer, status: int, text: str) -> None:
    data = text.encode()
    writer.write(conn.send(h11.Response(status_code=status, headers=[
        ("content-type", "text/plain"), ("content-length", str(len(data))),
        ("connection", "close")])))
    writer.write(conn.send(h11.Data(data=data)))
    writer.write(conn.send(h11.EndOfMessage()))
    await writer.drain()


async def _relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.write_eof()

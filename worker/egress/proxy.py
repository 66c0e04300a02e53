"""The egress proxy: model API with the real credential injected, allow-list, refusals.

Three kinds of request arrive on the socket (parsed by ``worker.egress.target``):

* to the bridge itself (``POST /v1/messages``, origin-form or absolute-form to
  ``own_hosts``): the agent talking to ``ANTHROPIC_BASE_URL``. Only the model
  API's own paths are forwarded, to the configured model endpoint; whatever
  key the container sent (a placeholder) is dropped and the real credential
  added here, so the key never enters the container. Each reply's usage is
  priced and summed; past the task's budget, model calls are refused.
* ``CONNECT host:port``: HTTPS through ``HTTPS_PROXY``. Tunnelled only when the
  host is allow-listed, to the address resolved and checked once; the proxy
  never sees inside the TLS.
* absolute-form (``GET http://host/...``): plain HTTP through ``HTTP_PROXY``.
  Forwarded only to allow-listed hosts, to the checked address with the
  original Host header, without any credential; redirects are passed back.

Bodies stream both ways under the caps and deadlines of ``EgressLimits``.
Anything refused gets a 4xx and an ``on_refused({"host", "reason"})`` call
(rate-limited). Runs its own asyncio loop in a thread so the caller may be
synchronous.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import h11
import httpx

from worker.egress import dial, relay
from worker.egress.allow import AllowList
from worker.egress.http1 import Client, ClientGone
from worker.egress.limits import EgressLimits
from worker.egress.refusals import RefusalReporter
from worker.egress.spend import SpendLedger
from worker.egress.target import Refused, Target, parse_authority, parse_target

log = logging.getLogger(__name__)

# The model API's paths the CLI calls (checked against the real CLI in
# tests/worker/test_claude_run.py: POST /v1/messages?beta=true); nothing else on
# the model host (files, batches, organizations, skills...) is forwarded.
MODEL_PATHS = frozenset({"/v1/messages", "/v1/messages/count_tokens"})
METERED_PATH = "/v1/messages"
_OAUTH_BETA = "oauth-2025-04-20"


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
    """One task's proxy. ``start()`` listens on ``socket_path``; ``stop()`` ends everything.

    Args:
        budget_usd: refuse model calls once this much is spent (None: no limit).
        on_budget: called once, ``(spent_usd, budget_usd)``, at the first refusal.
        resolver: ``async (host, port) -> [ip, ...]``; default getaddrinfo.
        allow_private_resolution: let names resolve to, and listed literals be,
            loopback/private/link-local addresses. For tests with their own
            resolver only; refused without one.
        own_hosts: the bridge's address inside the container ("127.0.0.1:8377"):
            requests to it mean the model endpoint.
    """

    def __init__(self, *, socket_path: Path, model_url: str, credential: ModelCredential,
                 allow_hosts: list[str] = (), on_refused: Callable[[dict], None] = lambda e: None,
                 budget_usd: float | None = None,
                 on_budget: Callable[[float, float], None] = lambda spent, budget: None,
                 limits: EgressLimits = EgressLimits(), resolver: dial.Resolver | None = None,
                 allow_private_resolution: bool = False, own_hosts: tuple[str, ...] = ()):
        if allow_private_resolution and resolver is None:
            raise ValueError("allow_private_resolution needs a test's own resolver")
        self.socket_path = Path(socket_path)
        self.model_url = model_url.rstrip("/")
        self.credential = credential
        self.allow = AllowList(allow_hosts)
        self.limits = limits
        self.ledger = SpendLedger(budget_usd, on_budget)
        self.resolver = resolver or dial.system_resolver
        self.allow_private = allow_private_resolution
        self.own = {(a.host, a.port) for a in map(_authority, own_hosts) if a}
        self._refusals = RefusalReporter(on_refused, limits.refusals_per_second)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.AbstractServer | None = None
        self._conns: set[asyncio.Task] = set()
        self._http: httpx.AsyncClient | None = None
        self._model_slots: asyncio.Semaphore | None = None

    @property
    def spent_usd(self) -> float:
        """What this task's model calls have cost so far, priced by the proxy."""
        return self.ledger.spent_usd

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
            self._http = httpx.AsyncClient(follow_redirects=False, trust_env=False)
            self._model_slots = asyncio.Semaphore(max(1, self.limits.model_concurrency))
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
        if self._http:
            await self._http.aclose()
        self._refusals.flush()

    # -- one client connection -------------------------------------------------
    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        self._conns.add(task)
        client = Client(reader, writer, self.limits.idle_timeout)
        try:
            await self._serve(client)
        except h11.RemoteProtocolError as exc:
            with contextlib.suppress(Exception):
                await client.simple(exc.error_status_hint, "bad request\n")
        except (ClientGone, ConnectionError, TimeoutError, asyncio.IncompleteReadError,
                h11.LocalProtocolError):
            pass
        except asyncio.CancelledError:
            # stop() cancels open connections; end quietly (asyncio's stream
            # callback would log a cancelled handler as an error).
            pass
        finally:
            self._conns.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _serve(self, client: Client) -> None:
        while (request := await client.next_request()) is not None:
            if not await self._one(client, request):
                return
            if h11.MUST_CLOSE in (client.conn.our_state, client.conn.their_state):
                return
            client.conn.start_next_cycle()

    async def _one(self, client: Client, request: h11.Request) -> bool:
        """Answer one request; False when the connection must close after it."""
        method = request.method.decode("ascii", "replace")
        raw_target = request.target.decode("latin-1")
        headers = [(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in request.headers]
        try:
            target = parse_target(method, raw_target, [v for k, v in headers if k == "host"])
            if (target.authority.host, target.authority.port) in self.own and method != "CONNECT":
                return await self._model(client, method, target, headers)
            if self.allow.match(target.authority) is None or target.form == "origin":
                raise Refused("not_listed", target.authority.host)
            addresses = await dial.addresses_for(
                target.authority, resolver=self.resolver, allow_private=self.allow_private,
                timeout=self.limits.connect_timeout)
            if method == "CONNECT":
                await relay.tunnel(client, target, addresses, self.limits)
                return False
            return await self._plain(client, method, target, headers, addresses[0])
        except Refused as exc:
            await self._refuse(client, exc, raw_target)
            return False

    async def _refuse(self, client: Client, exc: Refused, raw_target: str) -> None:
        if exc.reason == "unresolvable":
            await relay.finish_body(client, self.limits.max_request_bytes)
            return await client.simple(502, f"cannot resolve {exc.host}\n")
        event = {"host": exc.host or _printable(raw_target), "reason": exc.reason}
        if exc.reason == "model_path":
            event["path"] = exc.detail
        if self._refusals.note(event):
            asyncio.get_running_loop().call_later(1.0, self._refusals.flush)
        await relay.finish_body(client, self.limits.max_request_bytes)
        if exc.reason == "model_path":
            await client.json(404, _api_error("not_found_error",
                                              "clawweb egress: this API path is not forwarded"))
        else:
            status = 400 if exc.reason == "bad_target" else 403
            await client.simple(status, f"egress to {event['host']} refused ({exc.reason})\n")

    async def _model(self, client: Client, method: str, target: Target, headers) -> bool:
        path = target.path.split("?", 1)[0]
        if method != "POST" or path not in MODEL_PATHS:
            raise Refused("model_path", httpx.URL(self.model_url).host, f"{method} {path}"[:200])
        log.debug("egress: model %s %s", method, target.path)
        metered = path == METERED_PATH
        if metered and self.ledger.exhausted:
            return await self._over_budget(client)
        async with self._model_slots:
            if metered and self.ledger.exhausted:  # spent while this call waited
                return await self._over_budget(client)
            out = [(k, v) for k, v in headers if k != "accept-encoding"]
            # Uncompressed, so the meter can read the usage (an encoding httpx
            # cannot decode would pass through unread, and unpriced).
            out = self.credential.apply(relay.forwardable(out)) + [("accept-encoding", "identity")]
            return await relay.forward(
                client, self._http, method, self.model_url + target.path, out, self.limits,
                model=True, on_reply=self.ledger.add if metered else None)

    async def _over_budget(self, client: Client) -> bool:
        self.ledger.refuse()
        spent, budget = self.ledger.spent_usd, self.ledger.budget_usd or 0.0
        await relay.finish_body(client, self.limits.max_request_bytes)
        message = (f"clawweb: this task's budget of ${budget:.2f} is spent (${spent:.2f} so far); "
                   "no further model calls.")
        await client.json(402, _api_error("billing_error", message), [("x-should-retry", "false")])
        return False

    async def _plain(self, client, method, target: Target, headers, address: str) -> bool:
        auth = target.authority
        host = str(auth) if auth.port != 80 else str(auth).rpartition(":")[0]
        url = f"http://{dial.url_host(address)}:{auth.port}{target.path}"
        out = relay.forwardable(headers) + [("host", host)]
        return await relay.forward(client, self._http, method, url, out, self.limits,
                                   model=False)


def _authority(text: str):
    try:
        return parse_authority(text, default_port=80)
    except Refused:
        log.warning("egress: ignoring own host %r", text)
        return None


def _printable(text: str) -> str:
    """Hostile text, safe and short for an event or a log line."""
    return "".join(c if c.isascii() and c.isprintable() else "?" for c in text[:200])


def _api_error(kind: str, message: str) -> dict:
    """Anthropic's error shape, so the CLI shows the message as an API error."""
    return {"type": "error", "error": {"type": kind, "message": message}}

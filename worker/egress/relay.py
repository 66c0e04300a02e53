"""Moving bytes under limits: one HTTP exchange with an upstream, or one CONNECT tunnel.

Both directions stream: the request body goes upstream as the client sends
it, the reply goes back as it arrives, and neither is ever held whole. Each
has a size cap (model replies: none, they are bounded in time only) and each
exchange has connect, idle and total deadlines. Where the client can still be
answered, a cap gives 413 and a deadline 504; once a reply has started, the
connection is simply cut, so the client sees a truncated reply, never a clean
end.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

import h11
import httpx

from worker.egress import dial
from worker.egress.http1 import Client, ClientGone, TooLarge
from worker.egress.limits import EgressLimits
from worker.egress.spend import UsageMeter
from worker.egress.target import Target

# Headers that belong to one hop, or that carry a credential we replace.
_DROP = frozenset({
    "host", "connection", "keep-alive", "proxy-connection", "proxy-authorization",
    "proxy-authenticate", "te", "trailer", "upgrade", "x-api-key", "authorization",
    "expect",  # 100-continue is answered here, hop by hop
})
_FRAMING = frozenset({"content-length", "transfer-encoding"})


def forwardable(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Request headers that may go upstream (framing is sorted out by ``forward``)."""
    return [(k, v) for k, v in headers if k not in _DROP]


async def finish_body(client: Client, cap: int) -> None:
    """Read and drop the rest of a request body, so an early answer is not lost to a reset."""
    if client.conn.their_state is h11.SEND_BODY:
        with contextlib.suppress(TooLarge, ClientGone, h11.ProtocolError):
            await client.drain_body(cap)


async def forward(client: Client, http: httpx.AsyncClient, method: str, url: str,
                  headers: list[tuple[str, str]], limits: EgressLimits, *, model: bool,
                  on_reply: Callable[[UsageMeter], object] | None = None) -> bool:
    """One request upstream and its reply back; False when the connection must close.

    ``on_reply`` (model calls to the metered path) gets the reply's meter once
    the reply has been read, even when the client left halfway: the proxy reads
    on to the end, since the usage comes last.
    """
    length = next((int(v) for k, v in headers if k == "content-length"), None)
    if length is not None and length > limits.max_request_bytes:
        await client.simple(413, "request body too large\n")
        return False
    out, content = await _request_body(client, headers, length, limits.max_request_bytes)
    idle = limits.model_idle_timeout if model else limits.idle_timeout
    timeout = httpx.Timeout(limits.connect_timeout, read=idle, write=idle, pool=idle)
    try:
        async with asyncio.timeout(limits.model_total_timeout if model else limits.total_timeout):
            request = http.build_request(method, url, headers=out, content=content,
                                         timeout=timeout)
            response = await http.send(request, stream=True)
            try:
                return await _reply(client, response, limits, model, on_reply)
            finally:
                await response.aclose()
    except TooLarge:
        status, text = 413, "request body too large"
    except (TimeoutError, httpx.TimeoutException):
        status, text = 504, "upstream timed out"
    except httpx.HTTPError as exc:
        status, text = 502, f"upstream failed: {type(exc).__name__}"
    if not client.can_answer:
        raise ClientGone(text)
    await client.simple(status, text + "\n")
    return False


async def _request_body(client: Client, headers, length: int | None, cap: int):
    """Upstream headers, and the body as a stream (None when there is no body)."""
    out = [(k, v) for k, v in headers if k not in _FRAMING]
    if any(k == "transfer-encoding" for k, _ in headers):
        return out, client.body(cap)  # h11 has checked it is chunked
    if length:
        # With its length given, httpx sends the stream as it is, not chunked.
        return out + [("content-length", str(length))], client.body(cap)
    await client.drain_body(0)
    return out, None


async def _reply(client: Client, response: httpx.Response, limits: EgressLimits, model: bool,
                 on_reply) -> bool:
    cap = None if model else limits.max_response_bytes
    declared = response.headers.get("content-length", "")
    if cap is not None and declared.isdigit() and int(declared) > cap:
        await client.simple(502, "upstream response too large\n")
        return False
    meter = None
    if on_reply is not None and response.status_code == 200:
        meter = UsageMeter(response.headers.get("content-type", ""))
    # Model replies go back decoded (the meter reads them as they pass), so
    # their content-encoding no longer applies.
    skip = _DROP | _FRAMING | ({"content-encoding"} if model else set())
    await client.head(response.status_code,
                      [(k, v) for k, v in response.headers.multi_items() if k.lower() not in skip])
    chunks = response.aiter_bytes() if model else response.aiter_raw()
    try:
        listening = await _pump(client, chunks, cap, meter)
    finally:
        # Priced before the client hears the end, so a client that asks
        # "how much?" next sees this reply counted (and priced also when the
        # upstream broke halfway: what was used so far still counts).
        if meter is not None:
            on_reply(meter)
    if not listening:
        raise ClientGone("client left mid-reply")
    await client.end()
    return True


async def _pump(client: Client, chunks: AsyncIterator[bytes], cap: int | None,
                meter: UsageMeter | None) -> bool:
    """Copy the reply body; False when the client left (and a meter kept reading)."""
    total, listening = 0, True
    async for chunk in chunks:
        total += len(chunk)
        if cap is not None and total > cap:
            raise ClientGone("reply over its cap")
        if meter is not None:
            meter.feed(chunk)
        if listening:
            try:
                await client.data(chunk)
            except ClientGone:
                if meter is None:
                    raise
                listening = False  # read on: this reply's usage comes at its end
    return listening


async def tunnel(client: Client, target: Target, addresses: list[str],
                 limits: EgressLimits) -> None:
    """CONNECT: a TCP connection to the checked address, then bytes both ways."""
    try:
        up_reader, up_writer = await dial.open_tcp(addresses, target.authority.port,
                                                   timeout=limits.connect_timeout)
    except OSError:
        await client.simple(502, "upstream unreachable\n")
        return
    try:
        await client.head(200, [])
        leftover, _ = client.conn.trailing_data
        if leftover:
            up_writer.write(leftover)
        await _splice(client, up_reader, up_writer, limits)
    finally:
        up_writer.close()


async def _splice(client: Client, up_reader, up_writer, limits: EgressLimits) -> None:
    """Relay until both sides are done, a cap is hit, or nothing moved for ``idle``."""
    loop = asyncio.get_running_loop()
    last = [loop.time()]

    async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter, cap: int) -> bool:
        moved = 0
        while data := await src.read(65536):
            moved += len(data)
            if moved > cap:
                return False
            last[0] = loop.time()
            dst.write(data)
            await dst.drain()
        with contextlib.suppress(Exception):
            dst.write_eof()  # half-close: the other direction may still be answering
        return True

    pumps = {asyncio.ensure_future(pump(client.reader, up_writer, limits.max_request_bytes)),
             asyncio.ensure_future(pump(up_reader, client.writer, limits.max_response_bytes))}
    tick = min(1.0, limits.idle_timeout / 2)
    try:
        async with asyncio.timeout(limits.total_timeout):
            while pumps:
                done, pumps = await asyncio.wait(pumps, timeout=tick,
                                                 return_when=asyncio.FIRST_COMPLETED)
                if any(t.exception() is not None or not t.result() for t in done):
                    return
                if loop.time() - last[0] > limits.idle_timeout:
                    return
    except TimeoutError:
        return
    finally:
        for t in pumps:
            t.cancel()
        await asyncio.gather(*pumps, return_exceptions=True)

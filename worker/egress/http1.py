"""The client side of the egress proxy: HTTP/1.1 over the bridge's unix socket, via h11.

Nothing here buffers a body: ``body`` yields the request body piece by piece
as the upstream takes it, counting bytes against a cap, and every read from
the client has an idle deadline.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import h11

MAX_HEAD = 64 * 1024
READ_SIZE = 64 * 1024


class TooLarge(Exception):
    """A body went over its cap."""


class ClientGone(Exception):
    """The client closed, stalled or broke the protocol; drop the connection."""


class Client:
    """One client connection: its h11 state, its streams, and its idle deadline."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 idle: float):
        self.conn = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD)
        self.reader, self.writer, self.idle = reader, writer, idle

    async def next_request(self) -> h11.Request | None:
        """The next request head, or None when the client is done (or idle too long)."""
        while True:
            event = self.conn.next_event()
            if event is h11.NEED_DATA:
                try:
                    await self._receive()
                except ClientGone:
                    return None
                continue
            if isinstance(event, h11.Request):
                return event
            return None  # ConnectionClosed, or PAUSED after a CONNECT

    async def body(self, cap: int) -> AsyncIterator[bytes]:
        """The current request's body, as it arrives; raises TooLarge past ``cap``."""
        if self.conn.they_are_waiting_for_100_continue:
            # curl sends "Expect: 100-continue" before a big body: invite it.
            await self.write(self.conn.send(h11.InformationalResponse(status_code=100,
                                                                      headers=[])))
        total = 0
        while True:
            event = self.conn.next_event()
            if event is h11.NEED_DATA:
                await self._receive()
            elif isinstance(event, h11.Data):
                total += len(event.data)
                if total > cap:
                    raise TooLarge(total)
                yield bytes(event.data)
            elif isinstance(event, h11.EndOfMessage):
                return
            else:
                raise ClientGone("request body ended early")

    async def drain_body(self, cap: int) -> None:
        """Read (and drop) what is left of the request body, up to ``cap``.

        A client still waiting for "100 Continue" has sent no body yet, and gets
        none of an invitation: the answer it gets instead tells it not to send.
        """
        if self.conn.they_are_waiting_for_100_continue:
            return
        async for _ in self.body(cap):
            pass

    async def _receive(self) -> None:
        try:
            data = await asyncio.wait_for(self.reader.read(READ_SIZE), self.idle)
        except (TimeoutError, ConnectionError) as exc:
            raise ClientGone("client idle or gone") from exc
        self.conn.receive_data(data)

    # -- answering -----------------------------------------------------------------
    @property
    def can_answer(self) -> bool:
        """True while no response head has gone out for the current request."""
        return self.conn.our_state is h11.SEND_RESPONSE

    async def head(self, status: int, headers: list[tuple[str, str]]) -> None:
        await self.write(self.conn.send(h11.Response(status_code=status, headers=headers)))

    async def data(self, chunk: bytes) -> None:
        await self.write(self.conn.send(h11.Data(data=chunk)))

    async def end(self) -> None:
        await self.write(self.conn.send(h11.EndOfMessage()))

    async def write(self, data: bytes | None) -> None:
        """Write and wait until the client takes it (a client that stops reading stalls)."""
        if data:
            self.writer.write(data)
        try:
            await asyncio.wait_for(self.writer.drain(), self.idle)
        except (TimeoutError, ConnectionError) as exc:
            raise ClientGone("client stopped reading") from exc

    async def simple(self, status: int, text: str) -> None:
        """A short plain-text answer, then the connection closes."""
        await self._whole(status, "text/plain; charset=utf-8", text.encode())

    async def json(self, status: int, obj: dict[str, Any],
                   headers: list[tuple[str, str]] = ()) -> None:
        """A short JSON answer (Anthropic's error shape, say), then the connection closes."""
        await self._whole(status, "application/json", json.dumps(obj).encode(), list(headers))

    async def _whole(self, status: int, ctype: str, data: bytes,
                     extra: list[tuple[str, str]] = ()) -> None:
        if not self.can_answer:
            return
        await self.head(status, [("content-type", ctype), ("content-length", str(len(data))),
                                 ("connection", "close"), *extra])
        await self.data(data)
        await self.end()

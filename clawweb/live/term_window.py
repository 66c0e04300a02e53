"""What one browser's terminal holds: a bounded window over a task's output events.

The live loop feeds every event it reads (history first, then Redis) into a
:class:`TermWindow` and, at most every 50 ms, asks it for an *op*: which new
chunks to append (already rendered to safe HTML) and which old ones the browser
must drop to stay within the bounds. The browser never holds more than about
``max_lines`` lines / ``max_chars`` characters (four times that after the user
paged in earlier output), and Reflex state never holds the output at all.

Each op carries ``prev`` (the event cursor the browser must be at) and
``cursor`` (where it will be after the op): a browser that missed an op (a
dropped socket) sees the mismatch and asks for a fresh replay, so nothing is
missing and nothing is repeated.
"""

from __future__ import annotations

import html
from collections import deque
from dataclasses import dataclass

from clawweb import streams
from clawweb.i18n import DEFAULT_LANGUAGE, stored
from clawweb.live.ansi import AnsiRenderer, normalize, plain_lines

MAX_LINES = 5000
MAX_CHARS = 1_000_000
MAX_CHUNKS = 5000
EXTENDED_FACTOR = 4  # how far "Load earlier output" may grow the window
PAGE_LINES = 2000
PAGE_CHARS = 256_000


@dataclass
class Chunk:
    seq: int
    stream: str  # stdout | stderr | sys | input
    text: str | None  # raw text until sent, then None (the browser has it)
    chars: int
    lines: int


def _chunk_for(ev: streams.Event, truncated_label: str,
               lang: str = DEFAULT_LANGUAGE) -> Chunk | None:
    if ev.type == "output":
        stream = "stderr" if ev.data.get("stream") == "stderr" else "stdout"
        text = str(ev.data.get("text") or "")
    elif ev.type == "truncated":
        stream = "sys"
        text = "\n" + truncated_label.format(dropped_bytes=ev.data.get("dropped_bytes", 0)) + "\n"
    elif ev.type == "input":
        # What someone sent to the command's stdin, shown where a terminal echoes it.
        stream = "input"
        text = ("^C" if ev.data.get("signal") else "^D" if ev.data.get("eof")
                else str(ev.data.get("text") or "")) + "\n"
    elif ev.type == "system":
        # A stored message (key + params) or an older plain {"text": ...}.
        stream, text = "sys", stored.render(ev.data, lang) + "\n"
    else:
        return None
    if not text:
        return None
    return Chunk(ev.seq, stream, text, len(text), plain_lines(text))


class TermWindow:
    """A bounded, seq-keyed window of rendered output for one browser."""

    def __init__(self, *, max_lines: int = MAX_LINES, max_chars: int = MAX_CHARS,
                 max_chunks: int = MAX_CHUNKS, truncated_label: str = "[{dropped_bytes}]",
                 lang: str = DEFAULT_LANGUAGE):
        self.max_lines, self.max_chars, self.max_chunks = max_lines, max_chars, max_chunks
        self.truncated_label = truncated_label
        self.lang = lang
        self.chunks: deque[Chunk] = deque()
        self.cursor = 0  # last event seq consumed
        self.sent_cursor = 0  # cursor the browser is at after the last op
        self.newlines = 0
        self.open_line = False
        self.dropped_bytes = 0
        self.has_earlier = False  # output before the window exists in storage
        self.extended = False  # the user paged in earlier output
        self._chars = self._lines = 0
        self._drop_before: int | None = None
        self._renderers: dict[str, AnsiRenderer] = {}

    # -- feeding ------------------------------------------------------------
    @property
    def line_count(self) -> int:
        return self.newlines + (1 if self.open_line else 0)

    def add(self, ev: streams.Event) -> None:
        """Consume the next event (seqs must increase)."""
        if ev.seq <= self.cursor:
            return
        self.cursor = ev.seq
        if ev.type == "truncated":
            self.dropped_bytes = max(self.dropped_bytes, int(ev.data.get("dropped_bytes") or 0))
        chunk = _chunk_for(ev, self.truncated_label, self.lang)
        if chunk is None:
            return
        self.newlines += chunk.lines
        self.open_line = not normalize(chunk.text).endswith("\n")
        self.chunks.append(chunk)
        self._chars += chunk.chars
        self._lines += chunk.lines
        self._trim(EXTENDED_FACTOR if self.extended else 1)

    def _over(self, factor: int) -> bool:
        return (self._chars > self.max_chars * factor or self._lines > self.max_lines * factor
                or len(self.chunks) > self.max_chunks * factor)

    def _trim(self, factor: int) -> None:
        while len(self.chunks) > 1 and self._over(factor):
            old = self.chunks.popleft()
            self._chars -= old.chars
            self._lines -= old.lines
            self.has_earlier = True
            if old.text is None:  # the browser has it: tell it to drop it
                self._drop_before = self.chunks[0].seq

    def follow_live(self) -> None:
        """Back to the normal bound (the user jumped to the live end)."""
        self.extended = False
        self._trim(1)

    # -- ops for the browser ---------------------------------------------------
    def _render(self, chunk: Chunk, renderers: dict[str, AnsiRenderer]) -> list:
        if chunk.stream in ("sys", "input"):
            body = html.escape(normalize(chunk.text or ""), quote=True)
        else:
            body = renderers.setdefault(chunk.stream, AnsiRenderer()).render(chunk.text or "")
        chunk.text = None
        return [chunk.seq, chunk.stream, body]

    def flush(self) -> dict | None:
        """The op that brings the browser up to date, or None when it already is."""
        fresh = []
        for chunk in reversed(self.chunks):
            if chunk.text is None:
                break
            fresh.append(chunk)
        if not fresh and self._drop_before is None and self.cursor == self.sent_cursor:
            return None
        op = {"prev": self.sent_cursor, "cursor": self.cursor,
              "drop_before": self._drop_before,
              "append": [self._render(c, self._renderers) for c in reversed(fresh)]}
        self.sent_cursor = self.cursor
        self._drop_before = None
        return op

    @property
    def first_seq(self) -> int:
        return self.chunks[0].seq if self.chunks else self.cursor + 1

    def prepend(self, earlier: list[streams.Event], more_exist: bool) -> dict | None:
        """Page in ``earlier`` events (all before the window), newest kept within budget.

        Args:
            earlier: Stored events with seq < ``first_seq``, oldest first.
            more_exist: Whether storage has events before ``earlier[0]``.
        """
        room_lines = min(PAGE_LINES, self.max_lines * EXTENDED_FACTOR - self._lines)
        room_chars = min(PAGE_CHARS, self.max_chars * EXTENDED_FACTOR - self._chars)
        picked: list[Chunk] = []
        lines = chars = 0
        cut = False
        for ev in reversed(earlier):
            chunk = _chunk_for(ev, self.truncated_label, self.lang)
            if chunk is None:
                continue
            if picked and (lines + chunk.lines > room_lines or chars + chunk.chars > room_chars):
                cut = True
                break
            picked.append(chunk)
            lines, chars = lines + chunk.lines, chars + chunk.chars
        if not picked:  # nothing printable left before the window
            self.has_earlier = False
            return None
        picked.reverse()
        renderers: dict[str, AnsiRenderer] = {}  # colour state before the page is unknown
        rendered = [self._render(c, renderers) for c in picked]
        self.chunks.extendleft(reversed(picked))
        self._chars += chars
        self._lines += lines
        self.extended = True
        self.has_earlier = cut or more_exist
        return {"prev": self.sent_cursor, "cursor": self.sent_cursor, "prepend": rendered}

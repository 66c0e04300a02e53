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
from clawweb.live.ansi import AnsiRenderer, escapes_in, normalize, plain_lines, resolve_cr

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
    erase: bool = False  # clear the line shown so far first (a CR began this text)
    mid: bool = False  # continues a line an earlier chunk began


def _drop_open_tail(chunks: list[Chunk]) -> int:
    """Clear the unsent text after the last newline of ``chunks``; the characters removed."""
    removed = 0
    for chunk in reversed(chunks):
        text = chunk.text or ""
        k = text.rfind("\n")
        kept = text[:k + 1] + escapes_in(text[k + 1:])
        removed += len(text) - len(kept)
        chunk.text, chunk.chars = kept, len(kept)
        if k >= 0:
            break
    return removed


class _Lines:
    """Where a stream of chunks stands on the screen: a CR waiting for what follows,
    an open line, and whether the output just resumed after a truncation."""

    def __init__(self) -> None:
        self.pending_cr = self.open_line = self.after_cut = False

    def settle(self, chunk: Chunk) -> bool:
        """Resolve ``chunk``'s carriage returns in place; False when nothing is left to show."""
        if chunk.stream in ("stdout", "stderr"):
            chunk.text, chunk.erase, self.pending_cr = resolve_cr(chunk.text or "",
                                                                  self.pending_cr)
            chunk.chars, chunk.lines = len(chunk.text), plain_lines(chunk.text)
            if self.after_cut and chunk.text:
                # The worker kept the last bytes of a long output: they begin inside a line.
                self.after_cut = False
                if chunk.lines and not chunk.erase:
                    _cut_to_line(chunk)
        else:
            self.pending_cr = False
        # A chunk that begins by overwriting the line starts it afresh: not a line's tail.
        chunk.mid = self.open_line and not chunk.erase
        if not chunk.text and not chunk.erase:
            return False
        self.open_line = not normalize(chunk.text or "").endswith("\n")
        return True


def _cut_to_line(chunk: Chunk) -> None:
    """Drop the unsent text before ``chunk``'s first newline (the tail of a line cut off)."""
    text = chunk.text or ""
    nl = text.find("\n")
    if nl >= 0:
        chunk.text = escapes_in(text[:nl]) + text[nl + 1:]
        chunk.chars, chunk.lines = len(chunk.text), chunk.lines - 1
    chunk.mid = chunk.erase = False


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
        self.dropped_bytes = 0
        self.has_earlier = False  # output before the window exists in storage
        self.extended = False  # the user paged in earlier output
        self._chars = self._lines = 0
        self._drop_before: int | None = None
        self._trim_head = 0  # seq of a sent chunk the browser must cut to a whole line
        self._screen = _Lines()
        self._renderers: dict[str, AnsiRenderer] = {}

    # -- feeding ------------------------------------------------------------
    @property
    def line_count(self) -> int:
        return self.newlines + (1 if self.open_line else 0)

    @property
    def open_line(self) -> bool:
        """The last line shown has no newline yet."""
        return self._screen.open_line

    def add(self, ev: streams.Event) -> None:
        """Consume the next event (seqs must increase)."""
        if ev.seq <= self.cursor:
            return
        self.cursor = ev.seq
        if ev.type == "truncated":
            self.dropped_bytes = max(self.dropped_bytes, int(ev.data.get("dropped_bytes") or 0))
            self._screen.after_cut = True
        chunk = _chunk_for(ev, self.truncated_label, self.lang)
        if chunk is None or not self._screen.settle(chunk):
            return  # nothing, or only a CR: what follows decides
        self.newlines += chunk.lines
        self.chunks.append(chunk)
        self._chars += chunk.chars
        self._lines += chunk.lines
        self._trim(EXTENDED_FACTOR if self.extended else 1)

    def _over(self, factor: int) -> bool:
        return (self._chars > self.max_chars * factor or self._lines > self.max_lines * factor
                or len(self.chunks) > self.max_chunks * factor)

    def _trim(self, factor: int) -> None:
        while len(self.chunks) > 1 and self._over(factor):
            self._pop()
            self._whole_head()

    def _pop(self) -> None:
        old = self.chunks.popleft()
        self._chars -= old.chars
        self._lines -= old.lines
        self.has_earlier = True
        if old.text is None:  # the browser has it: tell it to drop it
            self._drop_before = self.chunks[0].seq
        if self._trim_head == old.seq:
            self._trim_head = 0

    def _whole_head(self) -> None:
        """Start the window at a whole line: the tail of a line cut off goes too."""
        while len(self.chunks) > 1 and self.chunks[0].mid and self.chunks[0].lines == 0:
            self._pop()  # no newline in it: all of it belongs to the cut line
        head = self.chunks[0]
        if not head.mid or head.lines == 0:
            return
        lines, chars = head.lines, head.chars
        if head.text is None:  # the browser has it: it cuts (assets/term.js trimHead)
            self._trim_head, head.mid, head.lines = head.seq, False, head.lines - 1
        else:
            _cut_to_line(head)
        self._lines -= lines - head.lines
        self._chars -= chars - head.chars

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
        # A fourth item only when set: the browser clears its open line first.
        return [chunk.seq, chunk.stream, body, 1] if chunk.erase else [chunk.seq, chunk.stream, body]

    def flush(self) -> dict | None:
        """The op that brings the browser up to date, or None when it already is."""
        fresh = []
        for chunk in reversed(self.chunks):
            if chunk.text is None:
                break
            fresh.append(chunk)
        if not fresh and self._drop_before is None and not self._trim_head \
                and self.cursor == self.sent_cursor:
            return None
        op = {"prev": self.sent_cursor, "cursor": self.cursor,
              "drop_before": self._drop_before,
              "append": [self._render(c, self._renderers) for c in reversed(fresh)]}
        if self._trim_head:
            op["trim_head"] = self._trim_head
        self.sent_cursor = self.cursor
        self._drop_before = None
        self._trim_head = 0
        return op

    def _chunks_of(self, events: list[streams.Event]) -> list[Chunk]:
        """Chunks for stored events, carriage returns settled as they were live."""
        chunks: list[Chunk] = []
        screen = _Lines()
        for ev in events:
            screen.after_cut = screen.after_cut or ev.type == "truncated"
            chunk = _chunk_for(ev, self.truncated_label, self.lang)
            if chunk is not None and screen.settle(chunk):
                chunks.append(chunk)
        return chunks

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
        for chunk in reversed(self._chunks_of(earlier)):
            if picked and (lines + chunk.lines > room_lines or chars + chunk.chars > room_chars):
                cut = True
                break
            picked.append(chunk)
            lines, chars = lines + chunk.lines, chars + chunk.chars
        if not picked:  # nothing printable left before the window
            self.has_earlier = False
            return None
        picked.reverse()
        if self.chunks and self.chunks[0].erase:
            chars -= _drop_open_tail(picked)  # the window's first line overwrote it
        if picked[0].mid and picked[0].lines and (cut or more_exist):
            lines, chars = lines - 1, chars - picked[0].chars
            _cut_to_line(picked[0])
            chars += picked[0].chars
        renderers: dict[str, AnsiRenderer] = {}  # colour state before the page is unknown
        rendered = [self._render(c, renderers) for c in picked]
        self.chunks.extendleft(reversed(picked))
        self._chars += chars
        self._lines += lines
        self.extended = True
        self.has_earlier = cut or more_exist
        return {"prev": self.sent_cursor, "cursor": self.sent_cursor, "prepend": rendered}

"""Terminal output → safe HTML: ANSI SGR colours as inline styles, everything else inert.

Task output is hostile input: a command may print ``<script>``, OSC 8
hyperlinks, OSC 52 clipboard writes, NUL bytes or lone surrogates. Only SGR
(colour/bold/underline) survives, as ``<span style>`` values we compute from
numbers; every other escape sequence and control character is dropped and all
text is HTML-escaped. ansi2html was considered and rejected: it turns OSC 8
into ``<a href>`` without quoting the URL (attribute injection) and keeps no
colour state between calls, which chunked output needs.
"""

from __future__ import annotations

import html
import re

# Escape sequences: CSI (ESC [ ... final), OSC (ESC ] ... BEL|ST), DCS/SOS/PM/APC
# (ESC P|X|^|_ ... ST), and two-/three-byte ESC forms (ESC ( B, ESC 7, ...).
_ESCAPE = re.compile(
    r"\x1b\[([0-9;:?<=>]*)[ -/]*([@-~])"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"
    r"|\x1b[PX^_][^\x1b]*\x1b\\"
    r"|\x1b[ -/]*[0-~]"
)
# An escape sequence cut off at the end of a chunk: held back for the next one.
_INCOMPLETE = re.compile(
    r"\x1b(?:\[[0-9;:?<=>]*[ -/]*|\][^\x07\x1b]*|[PX^_][^\x1b]*\x1b?|[ -/]*)?\Z")
# C0 (but \t \n), DEL, C1, bidi overrides (spoofing), lone surrogates, nonchars.
_CONTROL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")
_MAX_PENDING = 4096

# xterm's palette, readable on the terminal's dark background.
PALETTE = (
    "#3b4048", "#ef5350", "#8bc34a", "#ffca28", "#42a5f5", "#ba68c8", "#26c6da", "#d0d4da",
    "#7f8690", "#ff7a7a", "#b5e878", "#ffe082", "#82c3ff", "#e0a0f0", "#80deea", "#ffffff",
)


def _xterm256(n: int) -> str:
    if n < 16:
        return PALETTE[n]
    if n < 232:
        n -= 16
        steps = (0, 95, 135, 175, 215, 255)
        return "#%02x%02x%02x" % (steps[n // 36], steps[(n // 6) % 6], steps[n % 6])
    level = 8 + (n - 232) * 10
    return "#%02x%02x%02x" % (level, level, level)


def _code(param: str) -> int:
    """One SGR parameter; an empty or absurd one means nothing (int() of a 5000-digit
    string raises, which would let a task's output break its own page)."""
    if not param.isdigit():
        return 0
    digits = param.lstrip("0")
    return int(digits or "0") if len(digits) <= 9 else 10**9


def normalize(text: str) -> str:
    """Plain, inert text: CRLF/CR as newlines, no control characters."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text)


def escapes_in(text: str) -> str:
    """Only the escape sequences of ``text``: what overwritten text leaves behind
    (a colour set before a carriage return still colours what follows it)."""
    return "".join(m.group(0) for m in _ESCAPE.finditer(text))


def resolve_cr(text: str, pending_cr: bool) -> tuple[str, bool, bool]:
    """Carriage returns as a progress bar means them: the text after one replaces the line.

    A terminal moves the cursor to column 0 and overwrites character by
    character; progress output reprints the whole line (usually as wide, often
    with ESC[K), so "replace the line" shows what a terminal shows without
    keeping a screen model. pyte would, but a full emulator per browser is far
    more than this needs.

    Args:
        text: One output event's text.
        pending_cr: The previous event of the stream ended with a CR.

    Returns:
        (text without CRs, erase: the line already shown must be cleared before
        this text, pending: this text ends with a CR that the next text decides).
    """
    text = text.replace("\r\n", "\n")
    if not text:
        return "", False, pending_cr
    if pending_cr and text.startswith("\n"):
        pending_cr = False  # a CR LF split across two events: just a newline
    pending = text.endswith("\r")
    lines = text.rstrip("\r").split("\n")
    erase = pending_cr and bool(lines[0])
    for i, line in enumerate(lines):
        cut = line.rfind("\r")
        if cut >= 0:
            erase = erase or i == 0
            lines[i] = escapes_in(line[:cut]) + line[cut + 1:]
    return "\n".join(lines), erase, pending


class AnsiRenderer:
    """Renders one output stream chunk by chunk, carrying colour state across chunks."""

    def __init__(self) -> None:
        self.reset()
        self._pending = ""

    def reset(self) -> None:
        self.fg: str | None = None
        self.bg: str | None = None
        self.bold = self.dim = self.italic = self.underline = self.inverse = False

    def _style(self) -> str:
        fg, bg = (self.bg, self.fg) if self.inverse else (self.fg, self.bg)
        if self.inverse:
            fg, bg = fg or "#0b0d10", bg or PALETTE[7]
        parts = []
        if fg:
            parts.append(f"color:{fg}")
        if bg:
            parts.append(f"background:{bg}")
        if self.bold:
            parts.append("font-weight:bold")
        if self.dim:
            parts.append("opacity:.7")
        if self.italic:
            parts.append("font-style:italic")
        if self.underline:
            parts.append("text-decoration:underline")
        return ";".join(parts)

    def _extended(self, codes: list[int], i: int) -> tuple[str | None, int]:
        """38/48 ;5;n or ;2;r;g;b → (colour, index of the last code used)."""
        mode = codes[i + 1] if i + 1 < len(codes) else None
        if mode == 5 and i + 2 < len(codes):
            return _xterm256(codes[i + 2] % 256), i + 2
        if mode == 2 and i + 4 < len(codes):
            r, g, b = (min(max(c, 0), 255) for c in codes[i + 2:i + 5])
            return "#%02x%02x%02x" % (r, g, b), i + 4
        return None, len(codes)

    def _sgr(self, params: str) -> None:
        codes = [_code(p) for p in re.split("[;:]", params)] or [0]
        i = 0
        while i < len(codes):
            c = codes[i]
            if c == 0:
                self.reset()
            elif c in (1, 2, 3, 4, 7):
                setattr(self, {1: "bold", 2: "dim", 3: "italic", 4: "underline",
                               7: "inverse"}[c], True)
            elif c == 22:
                self.bold = self.dim = False
            elif c in (23, 24, 27):
                setattr(self, {23: "italic", 24: "underline", 27: "inverse"}[c], False)
            elif 30 <= c <= 37 or 90 <= c <= 97:
                self.fg = PALETTE[c - 30 if c < 90 else c - 82]
            elif 40 <= c <= 47 or 100 <= c <= 107:
                self.bg = PALETTE[c - 40 if c < 100 else c - 92]
            elif c == 39:
                self.fg = None
            elif c == 49:
                self.bg = None
            elif c in (38, 48):
                colour, i = self._extended(codes, i)
                if c == 38:
                    self.fg = colour or self.fg
                else:
                    self.bg = colour or self.bg
            i += 1

    def _text(self, text: str) -> str:
        text = normalize(text)
        if not text:
            return ""
        escaped = html.escape(text, quote=True)
        style = self._style()
        return f'<span style="{style}">{escaped}</span>' if style else escaped

    def render(self, text: str) -> str:
        """HTML for the next chunk of this stream (safe to insert as innerHTML)."""
        text = self._pending + text
        self._pending = ""
        cut = _INCOMPLETE.search(text)
        if cut and len(text) - cut.start() <= _MAX_PENDING:
            text, self._pending = text[:cut.start()], text[cut.start():]
        out: list[str] = []
        pos = 0
        for m in _ESCAPE.finditer(text):
            out.append(self._text(text[pos:m.start()]))
            if m.group(2) == "m" and not (m.group(1) or "").startswith(("?", "<", "=", ">")):
                self._sgr(m.group(1) or "0")
            pos = m.end()
        out.append(self._text(text[pos:]))
        return "".join(out)


def to_html(text: str) -> str:
    """One-shot conversion of a complete text."""
    return AnsiRenderer().render(text)


def plain_lines(text: str) -> int:
    """Newlines in ``text`` as the terminal shows them (CR counts as a line break)."""
    return normalize(_ESCAPE.sub("", text)).count("\n")

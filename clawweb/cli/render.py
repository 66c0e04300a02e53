"""How the CLI shows things: task output on stdout, its own notes on stderr.

A task's output is hostile text: on a terminal only its colours (SGR) survive,
every other escape sequence (OSC 52 clipboard writes, OSC 8 links, cursor
moves, title changes) and control character is dropped; in a pipe or file
even the colours go, so a log stays readable. clawweb's own notes are coloured
only on a terminal, and never when ``NO_COLOR`` is set.
"""

from __future__ import annotations

import os
import re
from typing import TextIO

# CSI, OSC (to BEL or ST), DCS/SOS/PM/APC (to ST), and short ESC forms.
_ESCAPE = re.compile(r"\x1b\[[0-9;:?<=>]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"
                     r"|\x1b[PX^_][^\x1b]*\x1b\\|\x1b[ -/]*[0-~]")
_SGR = re.compile(r"\x1b\[[0-9;:]*m")
# C0 but tab and newline, DEL, C1, bidi overrides (spoofing), lone surrogates.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_NOTE_COLOURS = {"ok": "32", "bad": "31", "note": "2", "ask": "33"}


def _lines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def for_terminal(text: str) -> str:
    """Task output fit for a terminal: colours kept, nothing else that acts."""
    text, out, pos = _lines(text), [], 0
    for match in _ESCAPE.finditer(text):
        out.append(_CONTROL.sub("", text[pos:match.start()]))
        if _SGR.fullmatch(match.group(0)):
            out.append(match.group(0))
        pos = match.end()
    out.append(_CONTROL.sub("", text[pos:]))
    return "".join(out)


def for_pipe(text: str) -> str:
    """Task output as plain text: no escape sequence, no control character."""
    return _CONTROL.sub("", _ESCAPE.sub("", _lines(text)))


def colours_on(stream: TextIO) -> bool:
    return stream.isatty() and not os.environ.get("NO_COLOR") \
        and os.environ.get("TERM") != "dumb"


class Printer:
    """Writes task output and notes to the right stream in the right form."""

    def __init__(self, out: TextIO, err: TextIO, *, quiet: bool = False):
        self.out, self.err, self.quiet = out, err, quiet
        self._colour = colours_on(err)

    def output(self, text: str, *, stderr: bool = False) -> None:
        stream = self.err if stderr else self.out
        stream.write(for_terminal(text) if stream.isatty() else for_pipe(text))
        stream.flush()

    def note(self, text: str, kind: str = "note") -> None:
        """A line of clawweb's own on stderr (status, approvals, retries)."""
        if self.quiet and kind == "note":
            return
        line = for_pipe(text)
        if self._colour:
            line = f"\x1b[{_NOTE_COLOURS.get(kind, '2')}m{line}\x1b[0m"
        self.err.write(line + "\n")
        self.err.flush()

    def line(self, text: str) -> None:
        """A line of a listing on stdout (already clawweb's own text)."""
        self.out.write(for_pipe(text) + "\n")
        self.out.flush()


def table(rows: list[list[str]]) -> list[str]:
    """Rows as aligned columns (the last column is not padded)."""
    if not rows:
        return []
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    return ["  ".join([*(c.ljust(w) for c, w in zip(r, widths)), r[-1]]).rstrip()
            for r in rows]

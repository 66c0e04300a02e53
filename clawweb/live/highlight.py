"""Syntax colouring and word-level change marks as escaped HTML spans.

Pygments lexes the text (the lexer is chosen by file name only: guessing from
content is slow and a task controls the content); every token becomes a
``<span class="t-…">`` around ``html.escape``d text. Word marks
(``<span class="cw-w">``) come from difflib over word tokens of a removed and
an added line, split into the same spans, so colour and marks nest cleanly.
"""

from __future__ import annotations

import difflib
import functools
import html
import re

from pygments.lexer import Lexer
from pygments.lexers import get_lexer_for_filename
from pygments.token import STANDARD_TYPES
from pygments.util import ClassNotFound

MAX_LINE_CHARS = 2000  # longer lines are shown plain: lexing them is slow and useless
MIN_WORD_RATIO = 0.3  # below this two lines share too little for word marks to help
_WORDS = re.compile(r"\w+|\s+|[^\w\s]")


@functools.lru_cache(maxsize=256)
def lexer_for(path: str) -> Lexer | None:
    """The Pygments lexer for a file name, or None (plain text)."""
    name = (path or "").rsplit("/", 1)[-1]
    try:
        return get_lexer_for_filename(name, stripnl=False, ensurenl=False, stripall=False)
    except (ClassNotFound, ValueError):
        return None


def _css_class(ttype) -> str:
    while ttype is not None and ttype not in STANDARD_TYPES:
        ttype = ttype.parent
    short = STANDARD_TYPES.get(ttype, "") if ttype is not None else ""
    return f"t-{short}" if short else ""


def tokens(lexer: Lexer | None, text: str) -> list[tuple[str, str]]:
    """(css class, text) pieces of ``text``; one plain piece without a lexer."""
    if lexer is None or len(text) > MAX_LINE_CHARS * 50:
        return [("", text)]
    out: list[tuple[str, str]] = []
    for ttype, value in lexer.get_tokens(text):
        if not value:
            continue
        cls = _css_class(ttype)
        if out and out[-1][0] == cls:  # fewer spans: one per run of a kind
            out[-1] = (cls, out[-1][1] + value)
        else:
            out.append((cls, value))
    # Pygments may add a trailing newline; the caller's text has the last word.
    joined = "".join(v for _, v in out)
    if joined != text and joined.rstrip("\n") == text:
        extra = len(joined) - len(text)
        cls, last = out[-1]
        out[-1] = (cls, last[:-extra])
    return [p for p in out if p[1]]


def word_ranges(old: str, new: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Character ranges that differ between two versions of a line (old side, new side)."""
    if len(old) > MAX_LINE_CHARS or len(new) > MAX_LINE_CHARS:
        return [], []
    a, b = _WORDS.findall(old), _WORDS.findall(new)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    if matcher.ratio() < MIN_WORD_RATIO:
        return [], []
    a_at, b_at = _offsets(a), _offsets(b)
    old_ranges, new_ranges = [], []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        if i2 > i1:
            old_ranges.append((a_at[i1], a_at[i2]))
        if j2 > j1:
            new_ranges.append((b_at[j1], b_at[j2]))
    return old_ranges, new_ranges


def _offsets(words: list[str]) -> list[int]:
    at, pos = [0], 0
    for word in words:
        pos += len(word)
        at.append(pos)
    return at


def _marked(pieces: list[tuple[str, str]], ranges: list[tuple[int, int]]) -> str:
    parts, pos, r = [], 0, 0
    for cls, text in pieces:
        start = 0
        while start < len(text):
            while r < len(ranges) and ranges[r][1] <= pos + start:
                r += 1
            inside = r < len(ranges) and ranges[r][0] <= pos + start
            edge = ranges[r][1] if inside else (ranges[r][0] if r < len(ranges) else 1 << 60)
            end = min(len(text), edge - pos)
            classes = " ".join(c for c in (cls, "cw-w" if inside else "") if c)
            chunk = html.escape(text[start:end], quote=True)
            parts.append(f'<span class="{classes}">{chunk}</span>' if classes else chunk)
            start = end
        pos += len(text)
    return "".join(parts)


def line_html(lexer: Lexer | None, text: str,
              ranges: list[tuple[int, int]] | None = None) -> str:
    """One line of code as escaped, coloured HTML with optional word marks."""
    if len(text) > MAX_LINE_CHARS:
        return html.escape(text, quote=True)
    return _marked(tokens(lexer, text), sorted(ranges or []))


def code_html(path: str, text: str) -> list[str]:
    """Every line of a file as escaped, coloured HTML (the whole text lexed at once)."""
    lexer = lexer_for(path)
    if lexer is None or len(text) > MAX_LINE_CHARS * 200:
        return [html.escape(line, quote=True) for line in text.split("\n")]
    lines, current = [], []
    for cls, value in tokens(lexer, text):
        pieces = value.split("\n")
        for i, piece in enumerate(pieces):
            if i:
                lines.append("".join(current))
                current = []
            if piece:
                escaped = html.escape(piece, quote=True)
                current.append(f'<span class="{cls}">{escaped}</span>' if cls else escaped)
    lines.append("".join(current))
    return lines

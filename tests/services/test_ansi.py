"""ANSI → HTML: colours survive, everything hostile comes out as inert text."""

from __future__ import annotations

import re

import pytest

from clawweb.services.ansi import AnsiRenderer, plain_lines, to_html

TAG = re.compile(r"<[^>]*>")


def _tags(html: str) -> set[str]:
    return {t.split()[0].strip("</>") for t in TAG.findall(html)}


def test_sgr_colours_become_styled_spans():
    out = to_html("\x1b[31mred\x1b[0m \x1b[1;38;5;46mgreen\x1b[0m \x1b[48;2;1;2;3mbg\x1b[m")
    assert '<span style="color:#ef5350">red</span>' in out
    assert "color:#00ff00" in out and "font-weight:bold" in out
    assert "background:#010203" in out
    assert _tags(out) == {"span"}


def test_colour_state_carries_across_chunks_and_split_escapes():
    r = AnsiRenderer()
    first = r.render("\x1b[3")  # the escape is cut in the middle
    second = r.render("2mgreen")
    assert first == ""
    assert second == '<span style="color:#8bc34a">green</span>'
    assert r.render("\x1b[0mplain") == "plain"


@pytest.mark.parametrize("hostile", [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "\x1b]8;;javascript:alert(1)\x07click\x1b]8;;\x07",
    '\x1b]8;;x" onmouseover="alert(1)\x1b\\click\x1b]8;;\x1b\\',
    "\x1b]52;c;ZXZpbA==\x07",
    "\x1bP+q544e\x1b\\",
    "a\x00b\x07c\x9b31md\u202eevil",
    "bad \udcff utf8 \ufffd",
])
def test_hostile_output_is_inert_text(hostile):
    out = to_html(hostile)
    assert _tags(out) <= {"span"}, out
    assert "<script" not in out and "<img" not in out and "<a" not in out
    assert not re.search(r"<span(?! style=\"[a-z0-9#:;.\-]*\")", out), out
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e\ud800-\udfff]", out)
    out.encode("utf-8")  # no lone surrogates reach the browser


def test_markup_is_escaped_not_dropped():
    assert to_html("<b>&\"'") == "&lt;b&gt;&amp;&quot;&#x27;"


def test_osc_payloads_are_dropped_but_text_around_them_stays():
    assert to_html("before\x1b]52;c;ZXZpbA==\x07after") == "beforeafter"
    assert to_html("\x1b]8;;https://e.example\x1b\\label\x1b]8;;\x1b\\") == "label"


def test_carriage_returns_and_line_count():
    assert to_html("a\r\nb\rc") == "a\nb\nc"
    assert plain_lines("one\ntwo\r\nthree\x1b[31m\n") == 3


def test_huge_unterminated_escape_does_not_swallow_output():
    r = AnsiRenderer()
    out = r.render("\x1b]52;" + "A" * 10000) + r.render("tail")
    assert out.endswith("tail")

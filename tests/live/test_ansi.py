"""ANSI → HTML: colours survive, everything hostile comes out as inert text."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings, strategies as st

from clawweb.live.ansi import AnsiRenderer, plain_lines, to_html

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


# Every style we emit is one of these declarations: nothing from the input.
_DECL = r"(?:color|background):#[0-9a-f]{6}|font-weight:bold|opacity:\.7|font-style:italic" \
        r"|text-decoration:underline"
_SAFE_SPAN = re.compile(rf'<span style="(?:{_DECL})(?:;(?:{_DECL}))*">')


def _assert_inert(out: str) -> None:
    """Only our own spans with our own styles; every other '<' is escaped text."""
    for tag in TAG.findall(out):
        assert tag == "</span>" or _SAFE_SPAN.fullmatch(tag), tag
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", out)


def _chunked(text: str, cuts: list[int]) -> str:
    r = AnsiRenderer()
    points = sorted({c for c in cuts if 0 < c < len(text)})
    pieces = [text[a:b] for a, b in zip([0, *points], [*points, len(text)])]
    return "".join(r.render(p) for p in pieces)


@pytest.mark.parametrize("hostile", [
    "<svg onload=alert(1)>", "<svg/onload=alert(1)>", "<svg><script>alert(1)</script></svg>",
    "<math><mtext></p><img src=x onerror=alert(1)>",
    "\x1b[31m<svg onload=alert(1)>\x1b[0m",
])
def test_svg_and_markup_inside_colour_is_text(hostile):
    out = to_html(hostile)
    _assert_inert(out)
    assert "<svg" not in out and "<img" not in out and "<script" not in out
    assert out.count("&lt;") == hostile.count("<")


IMG = '<img src=x onerror="alert(document.cookie)">'


@pytest.mark.parametrize("cut", range(1, len(IMG)))
def test_img_split_across_chunks_never_becomes_a_tag(cut):
    out = _chunked(IMG, [cut])
    _assert_inert(out)
    assert out == html_escape(IMG)


def test_img_split_around_an_escape_sequence_is_text():
    text = "<im\x1b[3" + "1mg src=x one" + "\x1b]8;;x\x07rror=alert(1)>"
    for cuts in ([4], [6], [4, 6, 14], list(range(1, len(text)))):
        out = _chunked(text, cuts)
        _assert_inert(out)
        assert "<im" not in out and "&lt;im" in out


def html_escape(text: str) -> str:
    import html
    return html.escape(text, quote=True)


@pytest.mark.parametrize("link", [
    '\x1b]8;;https://e.example/" onclick="alert(1)\x07label\x1b]8;;\x07',
    "\x1b]8;;https://e.example/' onclick='alert(1)\x07label\x1b]8;;\x07",
    "\x1b]8;;javascript:alert(document.domain)\x1b\\label\x1b]8;;\x1b\\",
    "\x1b]8;;JaVaScRiPt:alert(1)\x07label\x1b]8;;\x07",
    '\x1b]8;id=" style="x:expression(alert(1));https://e.example\x07label\x1b]8;;\x07',
    "\x1b]8;;data:text/html,<script>alert(1)</script>\x07label\x1b]8;;\x07",
])
def test_osc8_links_cannot_inject_attributes_or_hrefs(link):
    for out in (to_html(link), _chunked(link, list(range(1, len(link), 3)))):
        _assert_inert(out)
        assert out == "label"  # the link target is dropped whole, the label stays


@pytest.mark.parametrize("sgr", [
    '\x1b[38;2;255;0;0;"onmouseover=alert(1)m', "\x1b[31;expression(alert(1))m",
    "\x1b[38;5;1\"><script>m", "\x1b[31m\x1b[\"style=\"m", "\x1b[38:2::255:0:0m",
    "\x1b[38;2;999;-1;1e9m", "\x1b[=31m", "\x1b[?31m", "\x1b[31;;;;;;;;;;;;;;;;;;1m",
    "\x1b[38;5;" + "9" * 5000 + "m", "\x1b[" + "4" * 5000 + "m", "\x1b[48;2;" + "1" * 4400 + ";0;0m",
])
def test_sgr_params_cannot_reach_style_or_class(sgr):
    out = to_html(sgr + "text\x1b[0m")
    _assert_inert(out)
    assert "class=" not in out and "script" not in out.replace("&lt;script", "")
    assert out.endswith("text") or out.endswith("text</span>")


_HOSTILE_PIECES = st.sampled_from([
    "<", ">", '"', "'", "&", "=", "/", " ", "svg", "img", "onload", "onerror", "javascript:",
    "\x1b", "[", "]", "8;;", ";", ":", "m", "\x07", "\x1b\\", "31", "38;2;", "5;", "9" * 50,
    "\x00", "\x9b", "\u202e", "\ud800", "a", "\n", "\r",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(_HOSTILE_PIECES, max_size=40), st.lists(st.integers(0, 400), max_size=6))
def test_any_mix_of_hostile_pieces_in_any_chunks_is_inert(pieces, cuts):
    out = _chunked("".join(pieces), cuts)
    _assert_inert(out)
    out.encode("utf-8")

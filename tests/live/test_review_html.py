"""Diffs, files and markdown from a repository become inert, escaped HTML."""

from __future__ import annotations

import html
import re

from clawweb.live import diff_html, highlight, markdown_html

HOSTILE = '<script>alert(1)</script><img src=x onerror="alert(2)">'


def _tags(markup: str) -> set[str]:
    return set(re.findall(r"<([a-zA-Z][a-zA-Z0-9]*)", markup))


def _text(markup: str) -> str:
    """What the browser shows: the markup's text with entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def test_code_is_escaped_and_coloured_by_file_name():
    line = f"def f(): return '{HOSTILE}'"
    out = highlight.line_html(highlight.lexer_for("app.py"), line)
    assert _tags(out) == {"span"}
    assert '<span class="t-k">def</span>' in out
    assert _text(out) == line


def test_unknown_file_types_are_plain_escaped_text():
    assert highlight.lexer_for("notes.unknownext") is None
    assert highlight.line_html(None, HOSTILE) == (
        "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=&quot;alert(2)&quot;&gt;")


def test_word_marks_cover_only_the_changed_words():
    old, new = "    return 'old value'", "    return 'new value'"
    old_r, new_r = highlight.word_ranges(old, new)
    assert [old[a:b] for a, b in old_r] == ["old"] and [new[a:b] for a, b in new_r] == ["new"]
    marked = highlight.line_html(highlight.lexer_for("a.py"), new, new_r)
    assert re.search(r'<span class="t-s1? cw-w">new</span>', marked), marked


def test_unrelated_lines_get_no_word_marks():
    assert highlight.word_ranges("completely different", "x = 42; y") == ([], [])


def test_a_diff_window_pairs_removed_and_added_lines():
    lines = [("@", 0, 0, "@@ -1,2 +1,2 @@"), ("-", 1, 0, "a = 1"), ("+", 0, 1, "a = 2"),
             (" ", 2, 2, HOSTILE), ("\\", 0, 0, "No newline at end of file")]
    out = diff_html.window_html("x.py", lines)
    assert _tags(out) == {"div", "span"}
    assert out.count('class="cw-l cw-del"') == 1 and out.count('class="cw-l cw-add"') == 1
    assert "cw-w" in out and HOSTILE in _text(out)
    assert "<script" not in out and "<img" not in out


def test_a_whole_file_keeps_multi_line_tokens_and_numbers_lines():
    out = diff_html.file_html("a.py", 'x = """one\n<b>two</b>"""\ny = 1')
    assert out.count('class="cw-l cw-ctx"') == 3
    assert "&lt;b&gt;two&lt;/b&gt;" in out and "<b>" not in out


def _md(text: str, base_dir: str = "docs") -> str:
    return markdown_html.render(text, base_dir=base_dir,
                                image_url=lambda p: f"/img?path={p}",
                                file_url=lambda p: f"/files?path={p}")


def test_markdown_keeps_raw_html_as_text():
    out = _md(f"# Title\n\n{HOSTILE}\n\n<div onclick=x>y</div>\n")
    assert "<script" not in out and "<img" not in out and "<div" not in out
    assert "&lt;script&gt;" in out


def test_markdown_images_only_from_the_repository():
    out = _md("![logo](../assets/logo.png) ![remote](https://evil.example/t.png) "
              "![svg](pic.svg) ![up](../../../etc/x.png) "
              "![data](data:image/png;base64,iVBORw0KGgo=)")
    imgs = re.findall(r"<img [^>]*>", out)
    assert imgs == ['<img src="/img?path=assets/logo.png" alt="logo" loading="lazy" '
                    'decoding="async">']
    assert 'href="https://evil.example/t.png"' in out  # a link, never loaded
    assert "evil.example" not in "".join(imgs)


def test_markdown_links_open_in_the_browser_and_scripts_are_not_links():
    out = _md("[guide](guide.md) [root](/README.md) [web](https://example.org) "
              "[bad](javascript:alert(1)) [anchor](#usage)")
    assert 'href="/files?path=docs/guide.md"' in out
    assert 'href="/files?path=README.md"' in out
    assert 'href="https://example.org" rel="noopener noreferrer nofollow"' in out
    assert "javascript:" not in out.split("[bad]")[0] and 'href="javascript' not in out
    assert 'href="#usage"' in out


def test_markdown_code_fences_are_coloured_and_escaped():
    out = _md("```python\nimport os  # <b>\n```\n")
    assert '<span class="t-kn">import</span>' in out and "&lt;b&gt;" in out


def test_repo_path_resolution_stays_inside_the_repository():
    assert markdown_html.repo_path("docs", "img/a.png") == "docs/img/a.png"
    assert markdown_html.repo_path("docs", "../a.png") == "a.png"
    assert markdown_html.repo_path("docs", "../../a.png") is None
    assert markdown_html.repo_path("", "/x/../y.md") == "y.md"
    for bad in ("https://a/b.png", "//host/x.png", "mailto:a@b", "#top", ""):
        assert markdown_html.repo_path("docs", bad) is None

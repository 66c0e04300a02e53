"""Markdown from a repository as safe HTML for the file browser.

markdown-it-py with raw HTML off (``<script>`` stays text), its own link
validation (no ``javascript:``), and two rules of ours:

- an image shows only when it names a png/jpg/gif/webp file *in the
  repository*: its URL is built here, pointing at the download route for the
  same commit. Any other image (remote, ``data:``, outside the repository)
  becomes a plain link, so viewing a README never makes the browser fetch
  anything from elsewhere;
- a relative link opens the file in the browser; remote links get
  ``rel="noopener noreferrer nofollow"``.
"""

from __future__ import annotations

import html
import posixpath
from collections.abc import Callable
from urllib.parse import unquote, urlsplit

from markdown_it import MarkdownIt
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from clawweb.live.highlight import tokens
from clawweb.services.review.diff import image_type

MAX_MARKDOWN_CHARS = 512 * 1024
REMOTE_SCHEMES = ("http", "https", "mailto")


def repo_path(base_dir: str, target: str) -> str | None:
    """The repository path a relative URL in a file under ``base_dir`` names, or None."""
    if not target or target.startswith(("#", "//")) or urlsplit(target).scheme:
        return None
    path = unquote(urlsplit(target).path)
    joined = path.lstrip("/") if path.startswith("/") else posixpath.join(base_dir, path)
    norm = posixpath.normpath(joined) if joined else ""
    if not norm or norm == "." or norm.startswith("../") or norm == ".." or "\0" in norm:
        return None
    return norm


def _attr(value: str) -> str:
    return html.escape(value, quote=True)


def _remote(url: str) -> bool:
    return urlsplit(url).scheme.lower() in REMOTE_SCHEMES


def _image_rule(base_dir: str, image_url: Callable[[str], str]):
    def render(self, tokens_, idx, options, env):
        token = tokens_[idx]
        src = token.attrGet("src") or ""
        alt = self.renderInlineAsText(token.children or [], options, env)
        path = repo_path(base_dir, src)
        if path and image_type(path):
            return (f'<img src="{_attr(image_url(path))}" alt="{_attr(alt)}" '
                    f'loading="lazy" decoding="async">')
        label = _attr(alt or src)
        if _remote(src):  # shown as a link: the browser loads nothing from elsewhere
            return (f'<a href="{_attr(src)}" rel="noopener noreferrer nofollow" '
                    f'target="_blank">{label}</a>')
        return label
    return render


def _link_rule(base_dir: str, file_url: Callable[[str], str]):
    def render(self, tokens_, idx, options, env):
        token = tokens_[idx]
        href = token.attrGet("href") or ""
        path = repo_path(base_dir, href)
        if path:
            token.attrSet("href", file_url(path))
        elif _remote(href):
            token.attrSet("rel", "noopener noreferrer nofollow")
            token.attrSet("target", "_blank")
        elif not href.startswith("#"):
            token.attrSet("href", "#")
        return self.renderToken(tokens_, idx, options, env)
    return render


def _fence(self, tokens_, idx, options, env):
    token = tokens_[idx]
    lang = (token.info or "").split(None, 1)[0] if token.info else ""
    try:
        lexer = get_lexer_by_name(lang, stripnl=False, ensurenl=False) if lang else None
    except ClassNotFound:
        lexer = None
    body = "".join(f'<span class="{c}">{html.escape(v)}</span>' if c else html.escape(v)
                   for c, v in tokens(lexer, token.content))
    return f"<pre><code>{body}</code></pre>\n"


def render(text: str, *, base_dir: str, image_url: Callable[[str], str],
           file_url: Callable[[str], str]) -> str:
    """Markdown ``text`` of a file in ``base_dir`` as safe HTML.

    Args:
        text: The file's text (cut at ``MAX_MARKDOWN_CHARS``).
        base_dir: The file's directory in the repository ("" for the root).
        image_url: Download URL for an image path in the repository.
        file_url: File-browser URL for a path in the repository.
    """
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.add_render_rule("image", _image_rule(base_dir, image_url))
    md.add_render_rule("link_open", _link_rule(base_dir, file_url))
    md.add_render_rule("fence", _fence)
    return md.render(text[:MAX_MARKDOWN_CHARS])

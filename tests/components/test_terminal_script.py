"""The terminal's script is a static file every page loads by ``src``, not Python text.

The CSP admits scripts from 'self' and no inline ones but the build's own, so
the script that applies the live loop's ops lives in ``assets/`` (served at
the root) and the app's head loads it; the ops the loop sends only call it.
"""

from __future__ import annotations

from pathlib import Path

import reflex  # noqa: F401 - a missing Reflex must fail these tests, never skip them

ROOT = Path(__file__).resolve().parents[2]
ASSET = ROOT / "assets" / "term.js"


def test_the_terminal_script_is_an_asset_file():
    source = ASSET.read_text(encoding="utf-8")
    assert "window.clawwebTerm = T" in source
    assert "T.apply = function(gen, op)" in source


def test_every_page_loads_it_by_src():
    from clawweb import clawweb as app_module

    heads = [str(c) for c in app_module.HEAD]
    assert any('src:"/term.js"' in h.replace(" ", "") for h in heads), heads


def test_no_python_module_carries_the_script():
    texts = {p: p.read_text(encoding="utf-8") for p in (ROOT / "clawweb").rglob("*.py")}
    carrying = [str(p.relative_to(ROOT)) for p, text in texts.items()
                if "window.clawwebTerm = T" in text or "T.drain = function" in text]
    assert not carrying, carrying


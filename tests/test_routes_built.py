"""Every URL of the app's pages is built by ``clawweb/routes.py``, never spelt by hand.

Reads the source: any string literal in ``clawweb/`` (outside routes.py and
docstrings) that starts with one of the app's page prefixes is a hand-spelt URL.
The forge clients' API paths (``services/forges/``) are other servers' URLs; the
REST API's paths (``rest/``, and the CLI that calls them, ``cli/``) are relative
to ``/api/v1``, not pages (the page links they hand out come from routes.py).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PREFIXES = ("/tasks", "/projects", "/login", "/account", "/admin", "/notifications",
            "/invite", "/setup")
EXEMPT = ("clawweb/routes.py", "clawweb/services/forges/", "clawweb/rest/", "clawweb/cli/")


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def hand_spelt(source: str) -> list[str]:
    """The string literals in ``source`` that spell one of the app's page URLs."""
    tree = ast.parse(source)
    skip = _docstrings(tree)
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and id(node) not in skip and node.value.startswith(PREFIXES)]


def test_no_page_url_is_spelt_outside_routes():
    found = []
    for path in sorted((ROOT / "clawweb").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(EXEMPT):
            continue
        found += [f"{rel}: {text!r}" for text in hand_spelt(path.read_text(encoding="utf-8"))]
    assert found == []


def test_the_finder_sees_a_hand_spelt_url_and_not_a_docstring():
    source = 'def f(p):\n    """/tasks/<id>: a page."""\n    return "/tasks/" + p\n'
    assert hand_spelt(source) == ["/tasks/"]
    assert hand_spelt('x = f"/projects/{p}/settings"') == ["/projects/"]

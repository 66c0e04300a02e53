"""The house's dependency rules, read from the source (every import, nested ones too).

- ``services/``, ``live/``, ``models``, ``settings``, ``streams`` never import Reflex;
- nothing in ``clawweb/`` imports ``worker/``;
- ``live/`` imports neither state nor components, services never import live/;
- state modules never import components, and never each other in a circle;
- components and pages never import services (they go through state).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLAIN = ("clawweb/services", "clawweb/live", "clawweb/models", "clawweb/settings.py",
         "clawweb/streams.py")


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, wherever the import statement is."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _files(*under: str) -> list[Path]:
    out: list[Path] = []
    for part in under:
        target = ROOT / part
        out += [target] if target.is_file() else sorted(target.rglob("*.py"))
    return out


def _offenders(files: list[Path], banned) -> list[str]:
    return sorted(f"{p.relative_to(ROOT)} imports {name}" for p in files
                  for name in _imports(p) if banned(name))


def test_plain_modules_never_import_reflex():
    assert _offenders(_files(*PLAIN), lambda n: n.split(".")[0].startswith("reflex")) == []


def test_nothing_in_clawweb_imports_the_worker():
    assert _offenders(_files("clawweb"), lambda n: n.split(".")[0] == "worker") == []


def test_live_imports_neither_state_nor_components():
    assert _offenders(_files("clawweb/live"), lambda n: n.startswith(
        ("clawweb.state", "clawweb.components", "clawweb.pages"))) == []


def test_services_never_import_live():
    assert _offenders(_files("clawweb/services"),
                      lambda n: n.startswith("clawweb.live")) == []


def test_state_modules_never_import_components():
    assert _offenders(_files("clawweb/state"), lambda n: n.startswith(
        ("clawweb.components", "clawweb.pages"))) == []


def test_components_and_pages_reach_services_only_through_state():
    assert _offenders(_files("clawweb/components", "clawweb/pages"),
                      lambda n: n.startswith("clawweb.services")) == []


def _state_graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in _files("clawweb/state")}
    return {name: {m for m in _imports(path) if m in modules and m != name}
            for name, path in modules.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle as a path of module names, or [] when there is none."""
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str]:
        if node in path:
            return path[path.index(node):] + [node]
        if node in done:
            return []
        for nxt in sorted(graph[node]):
            found = visit(nxt, path + [node])
            if found:
                return found
        done.add(node)
        return []

    for start in sorted(graph):
        found = visit(start, [])
        if found:
            return found
    return []


def test_state_modules_import_each_other_in_one_direction_only():
    assert _cycle(_state_graph()) == []


def test_the_cycle_finder_sees_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) == []

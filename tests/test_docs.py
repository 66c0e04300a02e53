"""The docs stay true: every setting is in the README with its default, and every
test docs/architecture.md cites as proof exists."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from clawweb.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
MiB = 1024 * 1024


def readme_rows() -> dict[str, str]:
    """``CLAWWEB_X`` -> the default cell, from every settings table row of the README."""
    rows = {}
    for line in (ROOT / "README.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not cells[0].startswith("`CLAWWEB_"):
            continue
        names = re.findall(r"`(CLAWWEB_[A-Z0-9_]+)`", cells[0])
        defaults = cells[1].split(" / ") if len(names) > 1 else [cells[1]]
        rows.update(zip(names, defaults if len(defaults) == len(names) else
                        [cells[1]] * len(names)))
    return rows


def shown_value(cell: str):
    """The value a default cell shows, or None when it describes rather than states it."""
    if m := re.fullmatch(r"(\d+) MiB", cell):
        return int(m.group(1)) * MiB
    if m := re.fullmatch(r"`([^`]*)`", cell):
        return m.group(1)
    return None


def same(shown: str | int, default) -> bool:
    if isinstance(default, Path):
        return Path(shown) == default
    if isinstance(shown, int) or isinstance(default, bool):
        return str(shown).lower() == str(default).lower()
    if isinstance(default, (int, float)):
        return float(shown) == float(default)
    return shown == str(default)


def test_every_setting_is_in_the_readme_with_its_default():
    rows = readme_rows()
    missing = [f"CLAWWEB_{name.upper()}" for name in Settings.model_fields
               if f"CLAWWEB_{name.upper()}" not in rows]
    assert missing == [], f"settings missing from the README's tables: {missing}"
    wrong, checked = [], 0
    for name, field in Settings.model_fields.items():
        shown = shown_value(rows[f"CLAWWEB_{name.upper()}"])
        if shown is None:
            continue
        checked += 1
        if not same(shown, field.default):
            wrong.append((name, shown, field.default))
    assert wrong == [], f"README defaults that differ from settings.py: {wrong}"
    assert checked >= 25  # the comparison really ran over most of the table


def cited_tests() -> list[tuple[str, str]]:
    text = (ROOT / "docs" / "architecture.md").read_text()
    return re.findall(r"`(tests/[\w/]+\.py)::(test_\w+)`", text)


def test_every_test_the_architecture_cites_exists():
    cites = cited_tests()
    assert len(cites) > 100  # the threat model's tables were read
    functions: dict[str, set[str]] = {}
    gone = []
    for path, name in cites:
        file = ROOT / path
        if path not in functions:
            tree = ast.parse(file.read_text()) if file.exists() else ast.Module(body=[])
            functions[path] = {n.name for n in ast.walk(tree)
                               if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
        if name not in functions[path]:
            gone.append(f"{path}::{name}")
    assert gone == [], f"docs/architecture.md cites tests that do not exist: {gone}"

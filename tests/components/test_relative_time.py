"""Relative times ("3 minutes ago") follow the UI language: Chinese gets moment's zh-cn
locale, and every relative time in the app goes through ``components.i18n.ago``."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_ago_picks_the_chinese_locale_for_chinese_and_imports_only_that_locale():
    from clawweb import clawweb as _app  # noqa: F401 - registers the states
    from clawweb.components.i18n import ago

    component = ago("2026-01-01T00:00:00Z", interval=1000)
    rendered = json.dumps(component.render(), default=str)
    assert '\\"zh\\"' in rendered and 'locale:\\"zh-cn\\"' in rendered
    # Side-effect imports (no name) sit under "" with the module as the tag.
    bare = {var.tag for var in component._get_all_imports().get("", [])}
    assert "moment/locale/zh-cn" in bare  # the locale file is bundled
    assert "moment/min/locales" not in bare  # not every locale moment has


def test_no_relative_time_bypasses_ago():
    found = []
    for path in sorted((ROOT / "clawweb").rglob("*.py")):
        if path.name == "i18n.py" and path.parent.name == "components":
            continue
        text = path.read_text(encoding="utf-8")
        found += [f"{path.relative_to(ROOT)}: {m}" for m in re.findall(r"from_now\w*=True", text)]
    assert found == []

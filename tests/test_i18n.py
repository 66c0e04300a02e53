"""The message catalog is complete in both languages and used consistently."""

from __future__ import annotations

import re
from pathlib import Path

from clawweb.i18n import messages, pick_language, t

ROOT = Path(__file__).resolve().parents[1]


def test_every_key_has_english_and_chinese():
    bad = [k for k, v in messages().items()
           if not (isinstance(v, tuple) and len(v) == 2 and v[0].strip() and v[1].strip())]
    assert not bad, f"incomplete messages: {bad}"


def test_chinese_is_really_translated():
    # A Chinese entry identical to the English one is usually a forgotten translation;
    # allow names and pure symbols.
    same = [k for k, (en, zh) in messages().items()
            if en == zh and re.search(r"[A-Za-z]{4,}", en) and en not in ("clawweb",)]
    assert len(same) <= 10, f"untranslated Chinese entries: {same}"


def test_placeholders_match_between_languages():
    field = re.compile(r"{(\w+)}")
    bad = [k for k, (en, zh) in messages().items()
           if sorted(field.findall(en)) != sorted(field.findall(zh))]
    assert not bad, f"placeholders differ: {bad}"


def test_every_key_used_in_code_exists():
    used = set()
    pattern = re.compile(r"""\b(?:tr|t|_t|self\.tr|ServiceError|InvalidInput|PermissionDenied|NotFound|Unavailable|GitError)\(\s*["']([a-z_]+\.[a-z0-9_.]+)["']""")
    for path in list((ROOT / "clawweb").rglob("*.py")) + list((ROOT / "worker").rglob("*.py")):
        used.update(pattern.findall(path.read_text(encoding="utf-8")))
    from clawweb.i18n import plural_keys
    missing = sorted(k for k in used if k not in messages() and k not in plural_keys())
    assert not missing, f"keys used but not in the catalog: {missing}"


def test_lookup_and_browser_language():
    assert t("nav.projects", "zh") == "项目"
    assert t("nav.projects", "en") == "Projects"
    assert pick_language("zh-CN,zh;q=0.9,en;q=0.8") == "zh"
    assert pick_language("en-GB,en;q=0.9") == "en"
    assert pick_language("fr-FR") == "en"


def test_no_message_dodges_plurals_with_parentheses():
    lazy = [k for k, (en, _zh) in messages().items() if "(s)" in en]
    assert not lazy, f"use key#one / key#other instead: {lazy}"


def test_plural_messages_follow_the_count_in_both_languages():
    from clawweb.i18n import plural_keys
    assert t("ui_conv.badge", "en", count=1) == "1 approval waiting"
    assert t("ui_conv.badge", "en", count=3) == "3 approvals waiting"
    assert t("ui_conv.badge", "en", count=0) == "0 approvals waiting"
    assert t("ui_conv.badge", "zh", count=1) == "1 个审批等待处理"
    assert t("auth.locked", "en", minutes=1).endswith("in 1 minute.")
    # Every plural has both English forms, and they decide by the same number.
    for key in plural_keys():
        one, other = messages()[key + "#one"], messages()[key + "#other"]
        assert re.findall(r"{(\w+)}", one[0])[:1] == re.findall(r"{(\w+)}", other[0])[:1], key


def test_every_audit_action_the_code_writes_has_a_label():
    from tests.support.leftovers import TEMPLATES, audit_action_sources, audit_actions
    literals, templates = audit_action_sources()
    # The collector really finds codes passed literally, through helpers and conditionals.
    assert {"auth.sign_in", "task.merge", "user.disable", "user.enable"} <= literals
    unknown = sorted(tpl for tpl in templates if tpl not in TEMPLATES)
    assert not unknown, f"expand these action templates in tests/support/leftovers.py: {unknown}"
    missing = sorted(code for code in audit_actions() if f"audit.action.{code}" not in messages())
    assert not missing, f"add audit.action.<code> to clawweb/i18n/catalog/audit_actions.py: {missing}"


def test_the_leftover_finder_sees_english_and_raw_keys_not_user_data():
    from tests.support.leftovers import leftovers
    page = "项目\n运行\nexited with code 3\nauth.sign_in\n#7 3 minutes ago\nRun\nmy Run tool"
    found = leftovers(page, user_data=("my Run",))
    assert "tasks.ended.exit_code: exited with code 3" in found
    assert "raw key auth.sign_in: auth.sign_in" in found
    assert "ui_tasks.run: Run" in found  # a one-word message as a whole line
    assert "moment: #7 3 minutes ago" in found  # moment's English, not in the catalog
    assert not [f for f in found if "my Run tool" in f]  # a line of user data
    assert not leftovers("项目\n以退出码 3 结束\n3 分钟前\napi.anthropic.com\nREADME.md\n"
                         "例如 auth. 或 user.create")


def test_a_plurals_count_is_a_number_to_the_leftover_finder():
    from tests.support.leftovers import leftovers
    assert "ui_tasks.lines#other: 12 lines" in leftovers("12 lines")
    assert not leftovers("yes line")  # someone's output, not "{count} line"

"""Messages the worker stores as keys + params are shown in the reader's language;
older plain strings still show as they were."""

from __future__ import annotations

import re
from pathlib import Path

from clawweb import streams
from clawweb.i18n import known, messages, stored
from clawweb.live.conversation import Conversation
from clawweb.live.term_window import TermWindow

ROOT = Path(__file__).resolve().parents[2]


def ev(seq: int, type_: str, data: dict) -> streams.Event:
    return streams.Event(seq=seq, type=type_, data=data, ts=0.0)


def test_a_stored_reason_is_translated_and_plain_text_is_kept():
    reason = stored.encode("workspace.disk_full", limit_mb=64)
    assert stored.decode(reason) == {"key": "workspace.disk_full", "params": {"limit_mb": 64}}
    assert "64 MB" in stored.render(reason, "en") and "disk is full" in stored.render(reason)
    assert "64 MB" in stored.render(reason, "zh") and "磁盘已满" in stored.render(reason, "zh")
    assert stored.render("cancelled by alice", "zh") == "cancelled by alice"
    assert stored.render("", "en") == "" and stored.decode("plain") is None


def test_a_nested_detail_is_translated_too():
    inner = stored.note("workspace.session_too_big", max_mb=64)
    text = stored.render(stored.note("workspace.session_not_saved", detail=inner), "zh")
    assert "会话文件超过 64 MB" in text and "{" not in text


def test_hostile_or_broken_messages_render_as_text_without_error():
    assert stored.render('{"key": "no.such_key", "params": {}}') == "no.such_key"
    broken = stored.render('{"key": "workspace.disk_full", "params": {}}')
    assert "{limit_mb}" in broken   # a missing parameter: the sentence, not a crash
    assert stored.render('{"key": "Bad Key!", "params": {}}').startswith('{"key"')
    assert stored.render('{"key": "workspace.disk_full", "params": []}').startswith('{"key"')


def test_the_terminal_shows_system_notes_in_the_readers_language():
    window = TermWindow(lang="zh")
    window.add(ev(1, "system", stored.note("workspace.nothing_changed")))
    window.add(ev(2, "system", {"text": "could not save the task's changes (old)"}))
    op = window.flush()
    texts = [body for _seq, stream, body in op["append"] if stream == "sys"]
    assert texts[0].startswith("工作副本没有任何改动") and "old" in texts[1]
    english = TermWindow()
    english.add(ev(1, "system", stored.note("workspace.nothing_changed")))
    assert english.flush()["append"][0][2].startswith("Nothing changed")


def test_a_claude_conversation_shows_system_notes_as_notices():
    conv = Conversation(lang="zh")
    conv.add(ev(1, "system", stored.note("workspace.session_missing")))
    (item,) = conv.items
    assert (item["kind"], item["name"]) == ("notice", "system")
    assert item["text"].startswith("之前的对话未被保留")


def test_the_task_page_translates_the_failure_reason():
    from clawweb.state.task_live import TaskLiveState
    from tests.support.reflex_state import new_state

    _, state = new_state(TaskLiveState)
    state.lang = "zh"
    state._show(5, {"kind": "shell", "failure_reason": stored.encode(
        "workspace.sandbox_not_removed")})
    assert state.task["failure_reason"].startswith("无法删除任务的容器")
    state._show(5, {"kind": "shell", "failure_reason": "exited with code 3"})
    assert state.task["failure_reason"] == "exited with code 3"


def test_every_stored_key_used_in_code_is_in_the_catalog():
    pattern = re.compile(r"\b(?:stored\.note|stored\.encode|note|encode|Refused|TaskFsError)"
                         r"""\(\s*["']([a-z_]+\.[a-z0-9_.]+)["']""")
    used = set()
    for path in list((ROOT / "clawweb").rglob("*.py")) + list((ROOT / "worker").rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        used.update(pattern.findall(source))
        used.update(re.findall(r"""unpublished=["']([a-z_]+\.[a-z0-9_.]+)["']""", source))
    # The scan sees the worker's keys:
    assert {"workspace.sandbox_not_removed", "workspace.nothing_changed"} <= used
    assert sorted(k for k in used if not known(k)) == []

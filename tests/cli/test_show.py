"""What the CLI prints for a task's ending: the reason in words, never a stored key."""

from __future__ import annotations

import io

from clawweb.cli.render import Printer
from clawweb.cli.show import show_event
from clawweb.i18n import stored


def _shown(event: dict) -> str:
    out, err = io.StringIO(), io.StringIO()
    show_event(Printer(out, err), 7, event)
    return err.getvalue()


def test_an_ending_reason_stored_as_a_key_is_printed_in_words():
    reason = stored.encode("tasks.ended.cancelled_by", user="alice")
    line = _shown({"seq": 3, "type": "status",
                   "data": {"status": "cancelled", "reason": reason, "exit_code": None}})
    assert "cancelled by alice" in line and "tasks.ended" not in line and "{" not in line


def test_a_plural_stored_message_picks_its_form():
    assert stored.render(stored.encode("auth.locked", minutes=1)).endswith("1 minute.")
    assert stored.render(stored.encode("auth.locked", minutes=3)).endswith("3 minutes.")


def test_a_system_note_is_printed_in_words():
    line = _shown({"seq": 4, "type": "system",
                   "data": stored.note("workspace.nothing_changed")})
    assert line.startswith("[clawweb] ") and "workspace." not in line and len(line) > 15

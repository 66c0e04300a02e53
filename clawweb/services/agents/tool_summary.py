"""The one line that names what a tool call does: its command, file path or pattern.

Plain text, shared by the task page's conversation (``clawweb/live/conversation.py``)
and the notifications an approval request sends (``services/notify/hooks.py``).
"""

from __future__ import annotations

from typing import Any

SUMMARY_CAP = 500

_SUMMARY_FIELDS = ("command", "file_path", "path", "pattern", "url", "query", "notebook_path",
                   "description", "prompt")


def cap(text: Any, limit: int) -> tuple[str, bool]:
    """``text`` as a string of at most ``limit`` characters plus a marker, and whether it was cut."""
    text = text if isinstance(text, str) else ("" if text is None else str(text))
    if len(text) <= limit:
        return text, False
    return text[:limit] + f"\n… [{len(text) - limit} more characters]", True


def summary_of(name: str, tool_input: Any) -> str:
    """The one line a tool card shows: the command, file path or pattern."""
    if not isinstance(tool_input, dict):
        return ""
    for key in _SUMMARY_FIELDS:
        value = tool_input.get(key)
        if isinstance(value, str) and value.strip():
            return cap(value.strip(), SUMMARY_CAP)[0]
    return ""

"""What a tool card shows of a call's input: a short diff, a checklist, the input itself.

Pure functions of the tool's input (``clawweb.live.conversation`` folds the
events; the approval rows show the same input text).
"""

from __future__ import annotations

import difflib
import json
from typing import Any

from clawweb.services.agents.tool_summary import SUMMARY_CAP, cap

INPUT_CAP = 2_000
DIFF_LINES = 120
TODO_CAP = 50


def diff_lines(name: str, tool_input: Any) -> list[dict[str, str]]:
    """Edit / MultiEdit / Write inputs as a short diff: [{"sign": "+", "text": ...}]."""
    if not isinstance(tool_input, dict):
        return []
    pairs: list[tuple[str, str]] = []
    if name == "Edit":
        pairs = [(tool_input.get("old_string") or "", tool_input.get("new_string") or "")]
    elif name == "MultiEdit" and isinstance(tool_input.get("edits"), list):
        pairs = [(e.get("old_string") or "", e.get("new_string") or "")
                 for e in tool_input["edits"] if isinstance(e, dict)]
    elif name == "Write":
        pairs = [("", tool_input.get("content") or "")]
    out: list[dict[str, str]] = []
    for old, new in pairs:
        if not isinstance(old, str) or not isinstance(new, str):
            continue
        for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=2):
            if line.startswith(("---", "+++")):
                continue
            if line.startswith("@@"):
                # Its numbers count lines of the snippet, not of the file: only set
                # hunks apart.
                if out:
                    out.append({"sign": "…", "text": ""})
                continue
            sign = line[:1] if line[:1] in "+-" else " "
            out.append({"sign": sign, "text": line[1:]})
            if len(out) >= DIFF_LINES:
                out.append({"sign": "…", "text": ""})
                return out
    return out


def todos(raw: Any) -> list[dict[str, str]]:
    """A TodoWrite list as checklist rows: content capped, unknown statuses pending."""
    if not isinstance(raw, list):
        return []
    out = []
    for todo in raw[:TODO_CAP]:
        if isinstance(todo, dict):
            status = todo.get("status") if todo.get("status") in (
                "pending", "in_progress", "completed") else "pending"
            out.append({"content": cap(todo.get("content") or "", SUMMARY_CAP)[0],
                        "status": status})
    return out


def input_text(tool_input: Any) -> str:
    """A tool call's input as indented JSON (text for what JSON cannot hold), capped."""
    try:
        text = json.dumps(tool_input, indent=2, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = str(tool_input)
    return cap(text, INPUT_CAP)[0]

"""Which tool calls only read: what a project's "let read-only commands through" lets pass.

Conservative on purpose: a call is read-only only when every part of it is on
a short list. Bash gets a plain command line only (no redirections,
substitutions, variables, quotes, escapes, background jobs or newlines), split
on ``&&``, ``||``, ``|`` and ``;``; each part must start with a listed program
(git: a listed subcommand right after ``git``, so no ``-c`` config) and carry
no option that writes a file. Anything else asks.
"""

from __future__ import annotations

import re
from typing import Any

READ_ONLY_TOOLS = frozenset({"Read", "Glob", "Grep", "LS", "NotebookRead"})
PROGRAMS = frozenset({"ls", "pwd", "cat", "head", "tail", "wc", "grep", "rg", "tree", "stat",
                      "file", "du", "df", "which", "whoami", "date", "uname", "echo", "true"})
GIT_SUBCOMMANDS = frozenset({"log", "status", "diff", "show", "rev-parse", "ls-files", "blame",
                             "shortlog", "describe"})
# Letters, digits and punctuation that mean nothing to bash, plus the operators
# we split on. No quotes, $, `, <, >, (, ), \, newline.
_PLAIN = re.compile(r"[A-Za-z0-9 _\-./:=,+@%~*&|;]+")
_SPLIT = re.compile(r"&&|\|\||\||;")
_WRITES = ("--output", "-o")


def _part_reads(part: str) -> bool:
    words = part.split()
    if not words or "=" in words[0] or "&" in part:
        return False
    if any(w.startswith(_WRITES) for w in words[1:]):
        return False
    if words[0] == "git":
        return len(words) > 1 and words[1] in GIT_SUBCOMMANDS
    return words[0] in PROGRAMS


def is_read_only(tool_name: str, tool_input: dict[str, Any]) -> bool:
    """Whether this call can only read (see the module docstring for what counts)."""
    if tool_name in READ_ONLY_TOOLS:
        return True
    if tool_name != "Bash":
        return False
    command = tool_input.get("command") if isinstance(tool_input, dict) else None
    if not isinstance(command, str) or not command.strip() or not _PLAIN.fullmatch(command):
        return False
    return all(_part_reads(part) for part in _SPLIT.split(command))

"""What one "Always allow" click grants: the narrowest Claude Code permission rule, or none.

A click answers one concrete call, so it may only store a rule that covers
that call and nothing a person did not see. Each shape below was checked on
the real CLI (tests/worker/test_claude_approvals.py):

* ``Bash(<command>)`` matches that command only (the CLI also strips a
  trailing comment or a ``timeout`` wrapper, which change nothing it runs).
  Only a plain command gets one: no operators, redirections, substitutions,
  variables, quotes, globs or escapes, whose meaning our string comparison and
  the CLI's shell parser could read differently. Never a prefix rule (``:*``).
* Files: ``Edit(//workspace/<path>)``. ``//`` anchors at the filesystem root;
  a relative ``Edit(a.py)`` is a gitignore pattern that also matches
  ``sub/a.py``, and the CLI ignores ``Write(...)`` rules (one ``Edit`` rule
  covers every file-editing tool). Paths outside /workspace, with ``.``/``..``
  segments or any character gitignore gives a meaning to get no rule.
* ``WebFetch(domain:<host>)`` for a plain DNS name (no userinfo, port, IP
  literal, percent-encoding or backslash, where URL parsers disagree).
* ``mcp__<server>__<tool>`` names one tool already.

Everything else gets no rule, and the card offers only Allow once / Deny.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

WORKSPACE = "/workspace"
# The CLI's rule syntax (and agent_settings' validation) takes at most this much
# between the parentheses; longer calls get no rule rather than a truncated one.
MAX_CONTENT = 500
FILE_TOOLS = {"Edit": "file_path", "Write": "file_path", "MultiEdit": "file_path",
              "NotebookEdit": "notebook_path"}
# Letters, digits and punctuation that means nothing to bash (outside words)
# nor to the CLI's rule matcher. ASCII only: no look-alikes, no bidi tricks.
_PLAIN_COMMAND = re.compile(r"[A-Za-z0-9 _\-./:=,+@%~]+")
# In file names: any letter or digit (names may be Chinese), and punctuation
# that gitignore patterns treat literally.
_PATH_PUNCT = frozenset("._-+@%,=~ /")
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
# The last label starts with a letter: a numeric one makes WHATWG URL parsers
# read the host as an IPv4 address (0x7f.1 is 127.0.0.1).
_HOST = re.compile(rf"(?:{_LABEL}\.)*[a-z](?:[a-z0-9-]{{0,61}}[a-z0-9])?")
_MCP = re.compile(r"mcp__([A-Za-z0-9-]+(?:_[A-Za-z0-9-]+)*)__([A-Za-z0-9_-]+)")


def _bash(tool_input: dict[str, Any]) -> str | None:
    command = tool_input.get("command")
    if not isinstance(command, str):
        return None
    command = command.strip(" ")  # the CLI trims; tabs and newlines stay and are refused
    if len(command) > MAX_CONTENT or not _PLAIN_COMMAND.fullmatch(command):
        return None
    return f"Bash({command})"


def _workspace_path(path: Any) -> str | None:
    """``path`` relative to /workspace, when a gitignore pattern can name exactly it."""
    if not isinstance(path, str) or not path.startswith(WORKSPACE + "/"):
        return None
    if posixpath.normpath(path) != path:  # "..", ".", "//", a trailing "/"
        return None
    rel = path[len(WORKSPACE) + 1:]
    if not rel or rel.endswith(" ") or len(rel) > MAX_CONTENT - len("//workspace/"):
        return None  # gitignore drops trailing spaces: "a " would name "a"
    if not all(c.isalnum() or c in _PATH_PUNCT for c in rel):
        return None
    return rel


def _file(tool_name: str, tool_input: dict[str, Any]) -> str | None:
    key = "file_path" if tool_name == "Read" else FILE_TOOLS[tool_name]
    rel = _workspace_path(tool_input.get(key))
    if rel is None:
        return None
    return f"{'Read' if tool_name == 'Read' else 'Edit'}(/{WORKSPACE}/{rel})"


def _web_fetch(tool_input: dict[str, Any]) -> str | None:
    url = tool_input.get("url")
    if not isinstance(url, str) or len(url) > 2000:
        return None
    if "\\" in url or any(not 0x21 <= ord(c) <= 0x7e for c in url):
        return None
    parts = urlsplit(url)
    host = parts.netloc.lower()
    # The whole authority must be a host name: "@", ":" or "%" mean userinfo,
    # a port or an encoding that another parser may resolve differently.
    if parts.scheme.lower() not in ("http", "https") or len(host) > 253:
        return None
    if not _HOST.fullmatch(host):
        return None
    return f"WebFetch(domain:{host})"


def rule_for(tool_name: str, tool_input: dict[str, Any]) -> str | None:
    """The rule "Always allow" stores for this call, in Claude Code's syntax, or None.

    Args:
        tool_name: the tool the agent asked for (``Bash``, ``Edit``, ``mcp__s__t``).
        tool_input: the call's input, as the CLI sent it.

    Returns:
        A rule naming exactly this call (see the module docstring), or None when
        the syntax cannot express one narrowly: then only "allow once" exists.
    """
    if not isinstance(tool_input, dict):
        return None
    if tool_name == "Bash":
        return _bash(tool_input)
    if tool_name in FILE_TOOLS or tool_name == "Read":
        return _file(tool_name, tool_input)
    if tool_name == "WebFetch":
        return _web_fetch(tool_input)
    if _MCP.fullmatch(tool_name or "") and len(tool_name) <= MAX_CONTENT:
        return tool_name
    return None


def rule_parts(rule: str) -> tuple[str, str | None]:
    """(tool name, rule content) of a rule, as the CLI's session rules take it."""
    tool, paren, rest = rule.partition("(")
    if not paren:
        return rule, None
    return tool, rest[:-1] if rest.endswith(")") else rest


def allowing_rule(rules: Iterable[str], tool_name: str, tool_input: dict[str, Any]) -> str | None:
    """The stored rule that pre-approves this call, or None (see ``project_allows``)."""
    rules = set(rules or ())
    if tool_name in rules:
        return tool_name
    rule = rule_for(tool_name, tool_input)
    return rule if rule is not None and rule in rules else None


def project_allows(rules: Iterable[str], tool_name: str, tool_input: dict[str, Any]) -> bool:
    """Whether a project's stored rules pre-approve this call.

    A bare tool name (``Bash``, ``Edit``) is a blanket rule the owner typed in
    the settings, honoured as set; otherwise only the exact rule a click would
    store for this very call counts. Wider rules the owner wrote (prefixes,
    globs) are passed to the CLI at the start of a task, which applies them
    itself; here they do not match, so a call they would cover is asked, never
    allowed behind the CLI's back.
    """
    return allowing_rule(rules, tool_name, tool_input) is not None


def prefix_rule_for_cli(rules: Iterable[str], tool_name: str,
                        tool_input: dict[str, Any]) -> str | None:
    """An owner-typed prefix rule (``Bash(npm test:*)``) that covers this plain command.

    Only a plain command counts (no operators, redirections, substitutions,
    quotes: ``_PLAIN_COMMAND``): the CLI's own matcher lets ``echo hi && touch x``
    pass ``Bash(echo hi:*)``, so the ask hook asks for anything but a plain
    command under the prefix, and leaves only those to the CLI.
    """
    command = tool_input.get("command") if tool_name == "Bash" else None
    if not isinstance(command, str):
        return None
    command = command.strip(" ")
    if len(command) > MAX_CONTENT or not _PLAIN_COMMAND.fullmatch(command):
        return None
    for rule in rules or ():
        tool, content = rule_parts(rule)
        prefix = content[:-2].strip() if tool == "Bash" and content and \
            content.endswith(":*") else ""
        if prefix and (command == prefix or command.startswith(prefix + " ")):
            return rule
    return None

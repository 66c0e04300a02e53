"""A webhook's rules: their validation, and which one a trigger matches.

- push to a branch matching ``push_branches`` (globs; "" = the project's
  default branch) → the shell command ``push_command``;
- an issue or pull request comment starting with ``comment_command``
  (``/clawweb fix the flaky test``) by one of ``comment_users`` → a Claude
  task with the rest of the comment as its prompt, and a reply with a link;
- a pull request opened → a Claude review task (``review_prompt`` or the
  default), and a reply with a link.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from typing import Any

from clawweb.models import Project, Webhook
from clawweb.services.errors import InvalidInput
from clawweb.services.tasks.service import MAX_COMMAND_BYTES
from clawweb.services.webhooks.events import Trigger

_PATTERN = re.compile(r"^[A-Za-z0-9._/*?\[\]-]{1,200}$")
_COMMAND = re.compile(r"^/[A-Za-z0-9_-]{1,39}$")
_LOGIN = re.compile(r"^[A-Za-z0-9._@-]{1,100}$")
MAX_PATTERNS = 20
MAX_USERS = 100
MAX_PROMPT = 20_000
MAX_CONTEXT = 4000
DEFAULT_REVIEW = ("Review this pull request: read the change, then report bugs, risky "
                  "spots and missing tests, most important first. Do not change any files.")
TEXT_FIELDS = ("name", "push_branches", "push_command", "comment_command", "comment_users",
               "review_prompt")
FLAGS = ("enabled", "push_enabled", "comment_enabled", "review_enabled")


@dataclass(frozen=True)
class Plan:
    """The task a trigger asks for."""

    kind: str  # shell | claude
    command: str
    reply: bool  # answer on the forge with a link


@dataclass(frozen=True)
class Ignored:
    reason: str  # a message key


def split_list(value: Any) -> list[str]:
    """Comma- or whitespace-separated items, each once, in order."""
    out: list[str] = []
    for item in re.split(r"[\s,]+", str(value or "")):
        if item and item not in out:
            out.append(item)
    return out


def _check_items(items: list[str], pattern: re.Pattern, key: str, limit: int) -> str:
    for item in items:
        if not pattern.match(item):
            raise InvalidInput(key, item=item[:60])
    if len(items) > limit:
        raise InvalidInput("webhooks.too_many", max=limit)
    return ", ".join(items)


def validate(values: dict[str, Any], current: Webhook) -> dict[str, Any]:
    """Cleaned rule fields from ``values`` (only the keys given), checked together.

    Raises:
        InvalidInput: a ``webhooks.*`` key naming the first bad field.
    """
    out: dict[str, Any] = {k: bool(values[k]) for k in FLAGS if k in values}
    if "name" in values:
        out["name"] = str(values["name"] or "").strip()[:100]
    if "push_branches" in values:
        out["push_branches"] = _check_items(split_list(values["push_branches"]), _PATTERN,
                                            "webhooks.bad_branch_pattern", MAX_PATTERNS)
    if "push_command" in values:
        command = str(values["push_command"] or "").strip()
        if len(command.encode()) > MAX_COMMAND_BYTES:
            raise InvalidInput("webhooks.command_too_long")
        out["push_command"] = command
    if "comment_command" in values:
        command = str(values["comment_command"] or "").strip()
        if not _COMMAND.match(command):
            raise InvalidInput("webhooks.bad_comment_command")
        out["comment_command"] = command
    if "comment_users" in values:
        out["comment_users"] = _check_items(split_list(values["comment_users"]), _LOGIN,
                                            "webhooks.bad_login", MAX_USERS)
    if "review_prompt" in values:
        prompt = str(values["review_prompt"] or "").strip()
        if len(prompt) > MAX_PROMPT:
            raise InvalidInput("webhooks.prompt_too_long", max=MAX_PROMPT)
        out["review_prompt"] = prompt
    _check_together({**{k: getattr(current, k) for k in (*FLAGS, *TEXT_FIELDS)}, **out})
    return out


def _check_together(merged: dict[str, Any]) -> None:
    if merged["push_enabled"] and not merged["push_command"]:
        raise InvalidInput("webhooks.push_command_required")
    if merged["comment_enabled"] and not merged["comment_users"]:
        # Anyone who can comment on a public repository would spend the owner's credit.
        raise InvalidInput("webhooks.comment_users_required")


def branch_matches(branch: str, patterns: str, default_branch: str) -> bool:
    wanted = split_list(patterns) or [default_branch]
    return bool(branch) and any(fnmatch.fnmatchcase(branch, p) for p in wanted)


def command_prompt(text: str, command: str) -> str | None:
    """The prompt after ``command`` at the start of a comment; None when it is not one."""
    stripped = text.lstrip()
    if not stripped.startswith(command):
        return None
    rest = stripped[len(command):]
    if rest and not rest[0].isspace():
        return None  # "/clawwebfoo" is another command
    return rest.strip()


def _context(forge: str, trigger: Trigger) -> str:
    where = "pull request" if trigger.on_pull_request else "issue"
    lines = [f"(From a {forge} {where} comment by {trigger.author or 'someone'}"
             + (f" on #{trigger.number}" if trigger.number else "")
             + (f" “{trigger.title[:200]}”" if trigger.title else "")
             + (f": {trigger.url}" if trigger.url else "") + ")"]
    return "\n".join(lines)[:MAX_CONTEXT]


def _review_prompt(hook: Webhook, trigger: Trigger) -> str:
    details = [f"Pull request #{trigger.number}: {trigger.title[:300]}",
               f"Branch {trigger.head or '?'} into {trigger.base or '?'}",
               f"When the request's code could be fetched it is checked out here; compare it "
               f"with origin/{trigger.base or 'the default branch'} (git diff "
               f"origin/{trigger.base or 'main'}...HEAD)."]
    if trigger.url:
        details.append(trigger.url)
    if trigger.body:
        details.append("Description:\n" + trigger.body[:MAX_CONTEXT])
    return (hook.review_prompt or DEFAULT_REVIEW) + "\n\n" + "\n".join(details)


def _comment(hook: Webhook, trigger: Trigger) -> Plan | Ignored:
    if not hook.comment_enabled:
        return Ignored("webhooks.ignored_no_rule")
    prompt = command_prompt(trigger.text, hook.comment_command)
    if prompt is None:
        return Ignored("webhooks.ignored_not_command")
    allowed = {u.lower() for u in split_list(hook.comment_users)}
    if trigger.author.lower() not in allowed:
        return Ignored("webhooks.ignored_author")
    if not prompt:
        return Ignored("webhooks.ignored_empty_prompt")
    prompt = prompt[:MAX_PROMPT]
    if hook.forge == "generic":
        return Plan("claude", prompt, reply=False)
    return Plan("claude", prompt + "\n\n" + _context(hook.forge, trigger),
                reply=trigger.number > 0)


def match(hook: Webhook, project: Project, trigger: Trigger) -> Plan | Ignored:
    """The task ``trigger`` asks of ``hook``'s rules, or why it asks for none."""
    if trigger.kind == "push":
        if not hook.push_enabled:
            return Ignored("webhooks.ignored_no_rule")
        if trigger.deleted:
            return Ignored("webhooks.ignored_branch_deleted")
        if not branch_matches(trigger.branch, hook.push_branches, project.default_branch):
            return Ignored("webhooks.ignored_branch")
        return Plan("shell", hook.push_command, reply=False)
    if trigger.kind == "comment":
        return _comment(hook, trigger)
    if trigger.kind == "pull_request_opened":
        if not hook.review_enabled:
            return Ignored("webhooks.ignored_no_rule")
        return Plan("claude", _review_prompt(hook, trigger), reply=trigger.number > 0)
    if trigger.kind == "ping":
        return Ignored("webhooks.ping")
    return Ignored("webhooks.ignored_event")

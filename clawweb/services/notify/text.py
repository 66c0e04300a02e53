"""What a notification says, in the recipient's language, short and inert.

Rows keep an event and catalog parameters (``Notification.params``); the text
is made here when someone reads or receives it. Anything that came from a task
(its title, a tool's input) passes through :func:`summary`: control and escape
characters gone, whitespace folded, cut short. Nothing else of a task's output
ever reaches a notification.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from clawweb.i18n import LANGUAGES, t
from clawweb.services.notify import events

SUMMARY_CHARS = 80
GROUP_LINES = 5
# CSI/OSC/other escape sequences, then anything left that is a control character.
_ESCAPES = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?|[@-Z\\-_])")


@dataclass(frozen=True)
class Message:
    title: str
    body: str
    link: str  # a path on this site


def summary(value: Any, limit: int = SUMMARY_CHARS) -> str:
    """One short line of plain text from anything a task or agent wrote."""
    text = _ESCAPES.sub("", str(value or ""))
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def language(value: str | None) -> str:
    """A catalog language for a stored preference ("" or unknown: English)."""
    return value if value in LANGUAGES else "en"


def _params(params: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in (params or {}).items() if isinstance(v, (int, float))}
    for key in ("project", "summary", "tool"):
        out[key] = summary((params or {}).get(key, ""), limit=SUMMARY_CHARS)
    out.setdefault("task_id", 0)
    out.setdefault("minutes", 5)
    return out


def render(event: str, params: dict[str, Any], lang: str, link: str = "") -> Message:
    """Title and body of one notification in ``lang``."""
    prefix = events.get(event).message_key
    values = _params(params)
    lang = language(lang)
    return Message(title=t(prefix + ".title", lang, **values),
                   body=t(prefix + ".body", lang, **values), link=link)


def render_group(items: list[tuple[str, dict[str, Any]]], lang: str, link: str) -> Message:
    """One message standing for several notifications to the same channel."""
    lang = language(lang)
    lines = [render(event, params, lang).title for event, params in items[:GROUP_LINES]]
    more = len(items) - len(lines)
    if more > 0:
        lines.append(t("notify.group.more", lang, count=more))
    kinds = {event for event, _ in items}
    if len(kinds) == 1:
        title = t(events.get(next(iter(kinds))).message_key + ".group", lang, count=len(items))
    else:
        title = t("notify.group.title", lang, count=len(items))
    return Message(title=title, body="\n".join(lines), link=link)

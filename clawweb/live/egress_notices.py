"""What the egress proxy reported, in the reader's words (for the conversation view).

The worker's proxy emits ``egress.refused`` {host, reason[, path][, more]} and
``agent.budget_stopped`` {spent_usd, budget_usd} (see worker/agents/claude_events.py);
these turn them into sentences from the catalog (``clawweb/i18n/catalog/egress.py``).
The host is the proxy's strictly parsed name (or a printable copy of what it
refused), shown as plain text.
"""

from __future__ import annotations

from typing import Any

from clawweb.i18n import messages, t

HOST_CAP = 500
PATH_CAP = 200


def refusal(data: dict, lang: str) -> tuple[str, str]:
    """(the sentence, why) for one ``egress.refused`` event; why is "" when unknown."""
    host = _text(data.get("host"), HOST_CAP)
    more = _count(data.get("more"))
    sentence = (t("egress.refused_more", lang, text=host, count=more) if more
                else t("ui_conv.notice.egress", lang, text=host))
    return sentence, _reason(data, lang)


def budget_stopped(data: dict, lang: str) -> str:
    """The sentence for an ``agent.budget_stopped`` event."""
    return t("egress.budget_stopped", lang, spent=_dollars(data.get("spent_usd")),
             budget=_dollars(data.get("budget_usd")))


def _reason(data: dict, lang: str) -> str:
    key = f"egress.reason.{data.get('reason')}"
    if key not in messages():
        return ""  # a reason this version has no words for: the host alone says enough
    path = data.get("path")
    if isinstance(path, str) and path:
        return f"{t(key, lang)} ({_text(path, PATH_CAP)})"
    return t(key, lang)


def _text(value: Any, limit: int) -> str:
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    return text[:limit]


def _count(value: Any) -> int:
    try:
        return max(0, int(value or 0))
    except (TypeError, ValueError):
        return 0


def _dollars(value: Any) -> str:
    try:
        return f"{float(value or 0):.2f}"
    except (TypeError, ValueError):
        return "?"

"""Redaction of credentials in any text that leaves a remote operation.

git prints the URL it talks to in many errors; a URL typed with
``https://user:token@`` (which :mod:`.urls` refuses, but a forge's own message
may still echo one) must never reach a page, the audit log or a log file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "***"
# scheme://userinfo@ — the userinfo may hold a token; an ssh user name is
# masked too, which costs nothing.
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/@\s'\"]+@")
_MIN_SECRET = 4  # shorter strings would mangle ordinary text and protect nothing


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with URL credentials and every known secret replaced by ``***``.

    Args:
        text: git stderr, a forge's error message, an exception string.
        secrets: exact strings to mask (the token, its Basic-auth form, key lines).
    """
    text = _USERINFO.sub(rf"\1{MASK}@", text or "")
    for secret in sorted({s for s in secrets if s and len(s) >= _MIN_SECRET},
                         key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def tail(text: str, limit: int = 600) -> str:
    """The last ``limit`` characters of ``text`` (where git puts the reason)."""
    text = (text or "").strip()
    return text if len(text) <= limit else "…" + text[-limit:]

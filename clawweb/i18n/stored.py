"""Messages stored for later readers: a catalog key and its parameters, never translated text.

The worker does not know who will read a task's events or its failure reason,
nor in which language. It stores ``{"key": ..., "params": {...}}`` (in an
event's data) or the same object as a JSON string (in a text column such as
``Task.failure_reason``); the page translates it in the reader's language with
:func:`render`. Plain strings written before this existed are shown as they are.

A parameter may itself be a stored message (e.g. the reason a save failed
inside "could not save the task's changes ({detail})"); it is rendered too.
"""

from __future__ import annotations

import json
import re
from typing import Any

from clawweb.i18n import DEFAULT_LANGUAGE, messages, plural_form, plural_keys, plural_param

_KEY = re.compile(r"^[a-z_]+\.[a-z0-9_.]+$")
_PREFIX = '{"key": '
MAX_PARAM_CHARS = 500


def note(key: str, **params: Any) -> dict[str, Any]:
    """A message for an event's data: ``{"key": key, "params": params}``."""
    return {"key": key, "params": {k: _param(v) for k, v in params.items()}}


def encode(key: str, **params: Any) -> str:
    """The same message as one string, for a text column (``Task.failure_reason``)."""
    return json.dumps(note(key, **params), ensure_ascii=False, sort_keys=True)


def _param(value: Any) -> Any:
    if isinstance(value, dict) and "key" in value:
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return str(value)[:MAX_PARAM_CHARS]


def decode(value: Any) -> dict[str, Any] | None:
    """The stored message in ``value`` (a dict or an encoded string), or None for plain text."""
    if isinstance(value, str):
        if not value.startswith(_PREFIX):
            return None
        try:
            value = json.loads(value)
        except ValueError:
            return None
    if not isinstance(value, dict):
        return None
    key, params = value.get("key"), value.get("params", {})
    if not isinstance(key, str) or not _KEY.match(key) or not isinstance(params, dict):
        return None
    return {"key": key, "params": params}


def render(value: Any, lang: str = DEFAULT_LANGUAGE) -> str:
    """Text for a reader: a stored message translated, plain text as it is.

    Event data may also be the older ``{"text": ...}`` shape.
    """
    msg = decode(value)
    if msg is None:
        if isinstance(value, dict):
            return str(value.get("text") or "")
        return "" if value is None else str(value)
    key = msg["key"]
    if key in plural_keys():
        key = plural_form(key, msg["params"].get(plural_param(key)))
    pair = messages().get(key)
    if pair is None:
        return msg["key"]
    template = pair[1] if lang == "zh" else pair[0]
    params = {k: render(v, lang) if decode(v) is not None else v
              for k, v in msg["params"].items()}
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError, AttributeError):
        return template  # parameters that do not fit: the sentence without them

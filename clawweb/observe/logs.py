"""Structured logs: one JSON object a line, from the web app and the workers alike.

``configure(component)`` sets up structlog and routes the standard ``logging``
module through the same processors, so every library's log line comes out as
JSON too, with ``task_id``, ``project_id`` and ``user_id`` when they are bound
(``bind(...)``, context variables: they follow the task through its thread and
its coroutines). Before rendering, ``redact`` replaces anything that looks like
a secret: values under sensitive keys, URL passwords, bearer and API tokens,
and every exact secret the process knows (``remember_secret``: the configured
keys, decrypted credentials).
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from urllib.parse import urlsplit

import structlog
from structlog.contextvars import bind_contextvars, merge_contextvars, unbind_contextvars

MASK = "***"
_SENSITIVE_KEY = re.compile(r"pass(word)?|secret|token|api_?key|authorization|cookie",
                            re.IGNORECASE)
_PATTERNS = [
    # user:password@ in any URL (Redis, PostgreSQL, git remotes)
    (re.compile(r"(?P<keep>[a-z][a-z0-9+.-]*://[^/\s:@]*:)[^@\s/]+(?=@)", re.IGNORECASE), "keep"),
    (re.compile(r"(?P<keep>\bBearer\s+)[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE), "keep"),
    (re.compile(r"(?P<keep>(?:password|passwd|token|secret|api_?key)\s*[=:]\s*)[^\s&,;'\"]+",
                re.IGNORECASE), "keep"),
    (re.compile(r"\bsk-ant-[A-Za-z0-9_-]{8,}"), ""),
    (re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{16,}|github_pat_[A-Za-z0-9_]{20,}"
                r"|glpat-[A-Za-z0-9_-]{16,})"), ""),
]
_known: set[str] = set()
_known_lock = threading.Lock()
MIN_SECRET_LEN = 6  # shorter "secrets" would mask ordinary words


def remember_secret(value: str | bytes | None) -> None:
    """Mask this exact value wherever it appears in a log line from now on."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if value and len(value) >= MIN_SECRET_LEN:
        with _known_lock:
            _known.add(value)


def scrub(text: str) -> str:
    """``text`` with every secret-looking part replaced by ``***``."""
    with _known_lock:
        known = sorted(_known, key=len, reverse=True)
    for value in known:
        if value in text:
            text = text.replace(value, MASK)
    for pattern, keep in _PATTERNS:
        text = pattern.sub(lambda m: (m.group(keep) if keep else "") + MASK, text)
    return text


def _clean(key: str, value):
    if isinstance(key, str) and _SENSITIVE_KEY.search(key) and value not in (None, ""):
        return MASK
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {k: _clean(k, v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean("", v) for v in value]
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    return scrub(str(value))


def redact(_logger, _method, event_dict: dict) -> dict:
    """structlog processor: mask secrets in every value (and in rendered tracebacks)."""
    # "_record" and friends are structlog's own bookkeeping, removed before rendering.
    return {k: v if k.startswith("_") else _clean("" if k == "event" else k, v)
            for k, v in event_dict.items()}


def bind(**ids) -> None:
    """Bind ids (task_id, project_id, user_id, worker) to every log line of this context."""
    bind_contextvars(**{k: v for k, v in ids.items() if v is not None})


def unbind(keys) -> None:
    """Drop these ids again (a worker's next job is another task's)."""
    unbind_contextvars(*keys)


def _remember_configured(settings) -> None:
    for value in (settings.secret_key, settings.metrics_token,
                  *settings.secret_key_previous.split(",")):
        remember_secret(value.strip())
    for url in (settings.redis_url, settings.database_url):
        try:
            remember_secret(urlsplit(url).password)
        except ValueError:
            pass


def configure(component: str, *, level: str | None = None, fmt: str | None = None,
              stream=None) -> None:
    """Set up structlog and stdlib logging for this process (idempotent).

    Args:
        component: ``web`` or ``worker``; added to every line.
        level: Defaults to ``CLAWWEB_LOG_LEVEL``.
        fmt: ``json`` or ``console``; defaults to ``CLAWWEB_LOG_FORMAT``.
        stream: Where lines go (default stderr).
    """
    from clawweb.settings import get_settings

    settings = get_settings()
    _remember_configured(settings)
    shared = [merge_contextvars, structlog.stdlib.add_log_level,
              structlog.stdlib.add_logger_name, structlog.processors.TimeStamper(fmt="iso"),
              _component(component), structlog.processors.format_exc_info, redact]
    renderer = (structlog.dev.ConsoleRenderer(colors=False)
                if (fmt or settings.log_format) == "console"
                else structlog.processors.JSONRenderer())
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer]))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel((level or settings.log_level).upper())
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger, cache_logger_on_first_use=True)


def _component(name: str):
    def add(_logger, _method, event_dict):
        event_dict.setdefault("component", name)
        return event_dict
    return add

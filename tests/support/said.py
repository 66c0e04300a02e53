"""Checks for messages the worker stores as a catalog key plus parameters."""

from __future__ import annotations

from clawweb.i18n import stored


def said(value, key: str) -> tuple[str, str]:
    """Assert ``value`` (a failure reason, an event's data) is the stored message ``key``.

    Returns:
        Its text in English and in Simplified Chinese, both rendered from the
        catalog (neither is the bare key, and they differ: it is translated).
    """
    found = stored.decode(value)
    assert found is not None, f"not a stored message: {value!r}"
    assert found["key"] == key, found
    en, zh = stored.render(value, "en"), stored.render(value, "zh")
    assert key not in (en, zh) and en != zh, (en, zh)
    return en, zh

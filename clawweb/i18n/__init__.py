"""The message catalog: every UI string, in English and Simplified Chinese.

Each area keeps its messages in ``catalog/<area>.py`` as
``MESSAGES = {"key": ("English", "简体中文")}``; they are merged here. Keys are
unique across areas (prefix them with the area).

A message that counts something comes in two entries, ``key#one`` and
``key#other`` (CLDR's plural categories: English has both, Chinese only
"other", so its two texts are the same). The number that decides is the first
placeholder of the English "other" text; callers use the bare ``key``.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
import re

from clawweb.i18n import catalog as _catalog_pkg

LANGUAGES = ("en", "zh")
LANGUAGE_NAMES = {"en": "English", "zh": "中文"}
DEFAULT_LANGUAGE = "en"


@functools.lru_cache
def messages() -> dict[str, tuple[str, str]]:
    merged: dict[str, tuple[str, str]] = {}
    for mod in pkgutil.iter_modules(_catalog_pkg.__path__):
        area = importlib.import_module(f"{_catalog_pkg.__name__}.{mod.name}")
        for key, value in area.MESSAGES.items():
            if key in merged:
                raise ValueError(f"message key {key!r} defined twice ({mod.name})")
            merged[key] = value
    return merged


@functools.lru_cache
def plural_keys() -> frozenset[str]:
    """The bare keys of the messages that have ``#one`` / ``#other`` forms."""
    return frozenset(k[:-len("#other")] for k in messages() if k.endswith("#other"))


@functools.lru_cache
def plural_param(key: str) -> str:
    """The placeholder whose number picks the form of plural message ``key``."""
    return re.findall(r"{(\w+)}", messages()[key + "#other"][0])[0]


def known(key: str) -> bool:
    """True for a key ``t`` can translate (a plain message or a plural's bare key)."""
    return key in messages() or key in plural_keys()


def plural_form(key: str, count) -> str:
    """``key#one`` or ``key#other`` for ``count`` (English rules; Chinese reads the same)."""
    try:
        one = int(count) == 1
    except (TypeError, ValueError):
        one = False
    return f"{key}#one" if one else f"{key}#other"


def t(key: str, lang: str = DEFAULT_LANGUAGE, **params) -> str:
    """Translate ``key``; unknown keys come back as the key so they are visible."""
    if key in plural_keys():
        key = plural_form(key, params.get(plural_param(key)))
    pair = messages().get(key)
    if pair is None:
        return key
    text = pair[1] if lang == "zh" else pair[0]
    return text.format(**params) if params else text


def pick_language(accept_language: str) -> str:
    """The best catalog language for an Accept-Language header."""
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh"
        if tag.startswith("en"):
            return "en"
    return DEFAULT_LANGUAGE

"""Catalog lookups for components: both languages are compiled in, the state picks."""

from __future__ import annotations

import reflex as rx
from reflex_components_moment import moment

from clawweb.i18n import messages, plural_keys, plural_param
from clawweb.state.base import AppState


def _texts(key: str, params: dict) -> tuple:
    en, zh = messages()[key]  # KeyError at compile time: a missing key is a bug
    if params:
        en, zh = en.format(**params), zh.format(**params)
    return en, zh


def _is_one(count) -> rx.Var | bool:
    if isinstance(count, rx.Var):
        return count.to(str) == "1"
    return str(count) == "1"


def tr(key: str, **params) -> rx.Var:
    """The message for ``key`` in the current language; params may be Vars.

    A plural message (``key#one`` / ``key#other``) picks its form in the
    browser from the param that counts (see ``clawweb.i18n``).
    """
    if key not in plural_keys():
        en, zh = _texts(key, params)
        return rx.cond(AppState.lang == "zh", zh, en)
    one, other = _texts(key + "#one", params), _texts(key + "#other", params)
    english = rx.cond(_is_one(params[plural_param(key)]), one[0], other[0])
    return rx.cond(AppState.lang == "zh", other[1], english)


# moment's name for Simplified Chinese; a literal locale makes the component import
# only that locale file (moment/locale/zh-cn), not all of them.
MOMENT_ZH = "zh-cn"


def ago(date, **props) -> rx.Component:
    """A relative time ("3 minutes ago", "3 分钟前") in the UI language, kept up to date."""
    return rx.cond(AppState.lang == "zh",
                   moment(date, from_now=True, locale=MOMENT_ZH, **props),
                   moment(date, from_now=True, **props))

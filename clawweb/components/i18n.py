"""Catalog lookups for components: both languages are compiled in, the state picks."""

from __future__ import annotations

import reflex as rx

from clawweb.i18n import messages
from clawweb.state.base import AppState


def tr(key: str, **params) -> rx.Var:
    """The message for ``key`` in the current language; params may be Vars."""
    en, zh = messages()[key]  # KeyError at compile time: a missing key is a bug
    if params:
        en, zh = en.format(**params), zh.format(**params)
    return rx.cond(AppState.lang == "zh", zh, en)

"""Cursor pagination: a page of items and an opaque cursor for the next one.

A cursor is the sort key of the last item returned (``[id]``, ``[name, id]``),
JSON in URL-safe base64. It carries no right: every page is read through the
same access-checked service as the first, so a forged cursor only moves where a
list starts.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Annotated, Any, Callable, Generic, Sequence, TypeVar

from fastapi import Query
from pydantic import BaseModel

from clawweb.rest.errors import ApiError

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
_MAX_CURSOR = 200
_MAX_PARTS = 4

CursorParam = Annotated[str | None, Query(max_length=_MAX_CURSOR,
                                          description="next_cursor of the previous page")]
LimitParam = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="items per page")]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def encode_cursor(key: Sequence[str | int]) -> str:
    """The opaque cursor for sort key ``key``."""
    raw = json.dumps(list(key), separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _invalid() -> ApiError:
    return ApiError(422, "api.cursor_invalid")


def decode_cursor(cursor: str | None) -> list | None:
    """The sort key in ``cursor`` (None for the first page).

    Raises:
        ApiError: 422 ``api.cursor_invalid`` for anything we did not make.
    """
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
    except (binascii.Error, ValueError):
        raise _invalid() from None
    if (not isinstance(key, list) or not 1 <= len(key) <= _MAX_PARTS
            or not all(isinstance(p, (str, int)) and not isinstance(p, bool) for p in key)):
        raise _invalid()
    return key


def page_of(items: Sequence[T], *, key: Callable[[T], list[Any]], cursor: str | None,
            limit: int) -> Page:
    """The page after ``cursor`` of ``items`` (sorted ascending by ``key``)."""
    after = decode_cursor(cursor)
    try:
        rest = [item for item in items if after is None or key(item) > after]
    except TypeError:  # a cursor of another list: its parts do not compare
        raise _invalid() from None
    shown = list(rest[:limit])
    more = len(rest) > limit
    return Page(items=shown, next_cursor=encode_cursor(key(shown[-1])) if more else None)

"""Cursor pagination: an opaque, URL-safe cursor holding the sort key of the last item returned."""

import base64
import binascii
import json
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

from shared.problems import ProblemError

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class InvalidCursor(ProblemError):
    status, code, title = 400, "invalid-cursor", "Invalid cursor"


def encode_cursor(key: list[Any]) -> str:
    raw = json.dumps(key, ensure_ascii=False, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> list[Any] | None:
    """Decode a cursor, or raise a 400 naming the `cursor` parameter."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidCursor("the cursor is not one this API issued", field="query.cursor") from exc
    if not isinstance(key, list):
        raise InvalidCursor("the cursor is not one this API issued", field="query.cursor")
    return key


LimitParam = Annotated[int, Query(ge=1, le=200, description="Page size (1–200).")]
CursorParam = Annotated[str | None, Query(description="The `next_cursor` of the previous page.")]


def page_of(items: list[T], limit: int, key_of: Any) -> Page[T]:
    """Build a page from up to limit+1 fetched items: the extra one only says there is a next page."""
    has_more = len(items) > limit
    items = items[:limit]
    next_cursor = encode_cursor(key_of(items[-1])) if has_more and items else None
    return Page[T](items=items, next_cursor=next_cursor)

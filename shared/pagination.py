"""Cursor pagination: an opaque, URL-safe cursor holding the sort key of the last item returned.

A cursor is base64url(JSON list). Each list endpoint decodes it against its own key spec, e.g.
`decode_cursor(cursor, (ID,))`, so a cursor of the wrong length, the wrong types or values no column can hold
is a 400 naming `query.cursor`, never a 500 from the database or from `int()`.
"""

import base64
import binascii
import json
import re
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

from shared.problems import ProblemError

T = TypeVar("T")

# One element of a cursor key: takes the decoded JSON value, returns the value to query with, or raises
# ValueError when it is not what this API puts in that place.
KeyPart = Callable[[object], Any]

MAX_CURSOR_LENGTH = 512  # the longest key this API issues is a timestamp and an id, well under 100 characters
INT4_MAX = 2**31 - 1
INT8_MAX = 2**63 - 1
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*={0,2}")
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class InvalidCursor(ProblemError):
    status, code, title = 400, "invalid-cursor", "Invalid cursor"
    title_ko = "유효하지 않은 커서"


def _integer(maximum: int) -> KeyPart:
    def part(value: object) -> int:
        # bool is an int in Python; a cursor never carries one
        if type(value) is not int or not 0 <= value <= maximum:
            raise ValueError(f"expected an integer from 0 to {maximum}")
        return value

    return part


ID = _integer(INT4_MAX)
"""An `integer` (int4) primary key."""
BIG_ID = _integer(INT8_MAX)
"""A `bigint` primary key."""


def text(pattern: str) -> KeyPart:
    """A string that matches `pattern` in full (e.g. a district code)."""
    compiled = re.compile(pattern)

    def part(value: object) -> str:
        if not isinstance(value, str) or not compiled.fullmatch(value):
            raise ValueError(f"expected a string matching {pattern}")
        return value

    return part


def DAY(value: object) -> date:
    """An ISO 8601 calendar date, `YYYY-MM-DD`."""
    if not isinstance(value, str) or not _ISO_DAY.fullmatch(value):
        raise ValueError("expected a date")
    return date.fromisoformat(value)


def INSTANT(value: object) -> datetime:
    """An ISO 8601 timestamp with its UTC offset, as `datetime.isoformat()` writes it."""
    if not isinstance(value, str) or len(value) > 40:
        raise ValueError("expected a timestamp")
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("expected a timestamp with a UTC offset")
    try:
        moment.astimezone(UTC)  # 0001-01-01T00:00+09:00 has no UTC form: the driver would raise later
    except OverflowError as exc:
        raise ValueError("timestamp out of range") from exc
    return moment


def encode_cursor(key: list[Any]) -> str:
    raw = json.dumps(key, ensure_ascii=False, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, spec: Sequence[KeyPart]) -> list[Any] | None:
    """Decode a cursor into the key its parts describe, or raise a 400 naming `query.cursor`."""
    if not cursor:
        return None
    try:
        if len(cursor) > MAX_CURSOR_LENGTH or not _BASE64URL.fullmatch(cursor):
            raise ValueError("not base64url")
        bare = cursor.rstrip("=")
        raw = base64.urlsafe_b64decode(bare + "=" * (-len(bare) % 4))
        key = json.loads(raw.decode("utf-8"))
        if not isinstance(key, list) or len(key) != len(spec):
            raise ValueError(f"expected a list of {len(spec)}")
        return [part(value) for part, value in zip(spec, key, strict=True)]
    except (binascii.Error, ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise InvalidCursor(
            "the cursor is not one this API issued",
            detail_ko="이 API가 발급한 커서가 아닙니다.",
            field="query.cursor",
        ) from exc


LimitParam = Annotated[int, Query(ge=1, le=200, description="Page size (1–200).")]
CursorParam = Annotated[str | None, Query(description="The `next_cursor` of the previous page.")]


def page_of(items: list[T], limit: int, key_of: Any) -> Page[T]:
    """Build a page from up to limit+1 fetched items: the extra one only says there is a next page."""
    has_more = len(items) > limit
    items = items[:limit]
    next_cursor = encode_cursor(key_of(items[-1])) if has_more and items else None
    return Page[T](items=items, next_cursor=next_cursor)

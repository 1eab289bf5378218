"""Refuse values PostgreSQL cannot store with a 422 naming the field, before any handler runs.

JSON may carry `\\u0000` or half of a surrogate pair; both decode into Python strings that PostgreSQL or the
UTF-8 encoder reject later, as a 500. Numbers fare no better: `1e999`, `NaN` and `Infinity` parse as floats
no JSON response can carry, and floats beyond 2**63 or integers beyond 64 bits fit no column
(`shared.json_body` keeps such integers as `OutOfRange`). Path, query and JSON body values are checked once
per request; every JSON media type counts.
"""

from typing import Any

import anyio.to_thread
from fastapi import Request

from shared.json_body import THREAD_PARSE_BYTES, JsonBodyRequest, OutOfRange, is_json_media_type, parse_json
from shared.problems import FieldError, ProblemError

# A float beyond int64's range: no amount, count or id here is that large, and an int column fed one
# (pydantic takes 1e300 for an int) overflows in the database instead.
FLOAT_MAX = float(2**63)


class UnstorableText(ProblemError):
    status, code, title = 422, "unstorable-text", "Text cannot be stored"
    title_ko = "저장할 수 없는 텍스트"


class NumberOutOfRange(ProblemError):
    status, code, title = 422, "number-out-of-range", "Number out of range"
    title_ko = "범위를 벗어난 숫자"


def is_storable(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def bad_values(value: Any, path: str) -> tuple[list[str], list[str]]:
    """The fields holding unstorable text, and those holding unrepresentable numbers; iterative, any depth."""
    texts: list[str] = []
    numbers: list[str] = []
    stack = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            if not is_storable(item):
                texts.append(where)
        elif isinstance(item, dict):
            if not all(is_storable(key) for key in item):
                texts.append(where)
            stack.extend((child, f"{where}.{key}") for key, child in item.items())
        elif isinstance(item, list):
            stack.extend((child, f"{where}.{index}") for index, child in enumerate(item))
        elif isinstance(item, OutOfRange) or (isinstance(item, float) and not abs(item) <= FLOAT_MAX):
            numbers.append(where)  # NaN fails the comparison too
    return sorted(texts), sorted(numbers)


async def _json_body(request: Request) -> tuple[Any, int]:
    if not is_json_media_type(request.headers.get("content-type")):
        return None, 0
    body = await request.body()  # already read and cached by FastAPI for the route
    if not body:
        return None, 0
    try:
        if isinstance(request, JsonBodyRequest):
            return await request.json(), len(body)
        return parse_json(body), len(body)
    except ValueError:  # malformed JSON is FastAPI's to report
        return None, 0


async def reject_unstorable_text(request: Request) -> None:
    """Path and query parameters, and JSON bodies, must hold no NUL, no lone surrogate, no unfit number."""
    texts = [f"path.{k}" for k, v in request.path_params.items() if isinstance(v, str) and not is_storable(v)]
    texts += [f"query.{k}" for k, v in request.query_params.multi_items() if not is_storable(v)]
    numbers: list[str] = []
    data, size = await _json_body(request)
    if data is not None:
        if size > THREAD_PARSE_BYTES:
            found = await anyio.to_thread.run_sync(bad_values, data, "body")
        else:
            found = bad_values(data, "body")
        texts += found[0]
        numbers = found[1]
    if texts:
        raise UnstorableText(
            "text must not contain NUL characters or unpaired surrogates",
            detail_ko="텍스트에는 NUL 문자나 짝이 없는 서로게이트가 들어갈 수 없습니다.",
            errors=[
                FieldError(
                    field=field,
                    message="contains a NUL character or an unpaired surrogate",
                    message_ko="NUL 문자나 짝이 없는 서로게이트가 있습니다.",
                )
                for field in texts
            ],
        )
    if numbers:
        raise NumberOutOfRange(
            "numbers must be finite, and integers within 64 bits",
            detail_ko="숫자는 유한해야 하며, 정수는 64비트 범위 안이어야 합니다.",
            errors=[
                FieldError(
                    field=field,
                    message="not a finite number within range",
                    message_ko="범위 안의 유한한 숫자가 아닙니다.",
                )
                for field in numbers
            ],
        )

"""Refuse text PostgreSQL cannot store (NUL, lone UTF-16 surrogates) with a 422 naming the field.

JSON may carry `\\u0000` or half of a surrogate pair; both decode into Python strings that PostgreSQL or the
UTF-8 encoder reject later, as a 500. Checked once per request, before any handler runs.
"""

import contextlib
import json
from typing import Any

from fastapi import Request

from shared.problems import FieldError, ProblemError


class UnstorableText(ProblemError):
    status, code, title = 422, "unstorable-text", "Text cannot be stored"


def _is_storable(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _bad_fields(value: Any, path: str) -> list[str]:
    if isinstance(value, str):
        return [] if _is_storable(value) else [path]
    if isinstance(value, dict):
        found = [path] if not all(_is_storable(key) for key in value) else []
        for key, item in value.items():
            found += _bad_fields(item, f"{path}.{key}")
        return found
    if isinstance(value, list):
        return [field for index, item in enumerate(value) for field in _bad_fields(item, f"{path}.{index}")]
    return []


async def reject_unstorable_text(request: Request) -> None:
    """Path and query parameters, and JSON bodies, must hold no NUL and no lone surrogate."""
    fields = [
        f"path.{k}" for k, v in request.path_params.items() if isinstance(v, str) and not _is_storable(v)
    ]
    fields += [f"query.{k}" for k, v in request.query_params.multi_items() if not _is_storable(v)]
    if request.headers.get("content-type", "").startswith("application/json"):
        body = await request.body()  # already read and cached by FastAPI for the route
        if body:
            with contextlib.suppress(ValueError):  # malformed JSON is FastAPI's to report
                fields += _bad_fields(json.loads(body), "body")
    if fields:
        raise UnstorableText(
            "text must not contain NUL characters or unpaired surrogates",
            errors=[
                FieldError(field=field, message="contains a NUL character or an unpaired surrogate")
                for field in fields
            ],
        )

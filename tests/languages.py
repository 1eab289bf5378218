"""Asking the same thing in English and in Korean: the answers differ in their texts only."""

import re
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from tests.conftest import assert_problem

HANGUL = re.compile(r"[가-힣]")
ENGLISH, KOREAN = {"Accept-Language": "en"}, {"Accept-Language": "ko-KR,ko;q=0.9,en;q=0.8"}


def assert_same_problem_in_both(
    english: httpx.Response, korean: httpx.Response, status: int, field: str | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The same problem (code, fields) in both; the English texts have no Hangul, the Korean ones have."""
    en, ko = assert_problem(english, status, field), assert_problem(korean, status, field)
    assert en["code"] == ko["code"] and en["type"] == ko["type"], (en, ko)
    assert english.headers["content-language"] == "en" and korean.headers["content-language"] == "ko"
    assert "accept-language" in korean.headers["vary"].lower()
    assert not HANGUL.search(en["title"]) and HANGUL.search(ko["title"]), (en["title"], ko["title"])
    assert ("detail" in en) == ("detail" in ko)
    if "detail" in en:
        assert not HANGUL.search(en["detail"]) and HANGUL.search(ko["detail"]), (en["detail"], ko["detail"])
    en_errors, ko_errors = en.get("errors", []), ko.get("errors", [])
    assert [e["field"] for e in en_errors] == [e["field"] for e in ko_errors]
    assert [e.get("type") for e in en_errors] == [e.get("type") for e in ko_errors]
    for e, k in zip(en_errors, ko_errors, strict=True):
        assert not HANGUL.search(e["message"]) and HANGUL.search(k["message"]), (e, k)
        assert "message_ko" not in e and "message_ko" not in k
    return en, ko


async def ask_both(
    send: Callable[[dict[str, str]], Awaitable[httpx.Response]],
) -> tuple[httpx.Response, httpx.Response]:
    return await send(ENGLISH), await send(KOREAN)

"""The caller's language for error texts: Korean when `Accept-Language` prefers it, English otherwise."""

from collections.abc import Mapping
from typing import Any

KOREAN = "ko"
ENGLISH = "en"


def preferred_language(accept_language: str | None) -> str:
    """`ko` or `en` by RFC 9110 quality values; ties go to the first listed, other languages are skipped."""
    if not accept_language:
        return ENGLISH
    best, best_q = ENGLISH, 0.0
    for part in accept_language.split(",")[:32]:
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-", 1)[0]
        if primary not in (KOREAN, ENGLISH, "*"):
            continue
        q = 1.0
        name, _, value = params.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                q = float(value)
            except ValueError:
                continue
        if q > best_q and primary != "*":
            best, best_q = primary, q
    return best


def scope_language(scope: Mapping[str, Any]) -> str:
    """The language of an ASGI request, for the middlewares that answer before a Request exists."""
    for name, value in scope.get("headers") or ():
        if name == b"accept-language":
            return preferred_language(value.decode("latin-1"))
    return ENGLISH


class ValueErrorKo(ValueError):
    """A validator's error with its Korean text: pydantic keeps the exception, the handler reads it."""

    def __init__(self, message: str, message_ko: str) -> None:
        super().__init__(message)
        self.message_ko = message_ko

    def __reduce__(self) -> tuple[type["ValueErrorKo"], tuple[str, str]]:  # copy and pickle keep both texts
        return type(self), (str(self), self.message_ko)

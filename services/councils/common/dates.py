"""Partial dates (YYYY, YYYY-MM, YYYY-MM-DD) as records give them, and the Asia/Seoul calendar."""

import calendar
import re
from collections.abc import Callable
from datetime import date
from typing import Annotated

from pydantic import AfterValidator, Field, ValidationInfo

from shared.language import ValueErrorKo

_PARTIAL = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def bounds(text: str) -> tuple[date, date]:
    """The first and last day of the period a partial date names; ValueError when it is not one."""
    match = _PARTIAL.match(text)
    if not match:
        raise ValueErrorKo(
            "must be a date written YYYY, YYYY-MM or YYYY-MM-DD",
            "YYYY, YYYY-MM 또는 YYYY-MM-DD 형식의 날짜여야 합니다.",
        )
    year, month, day = (int(part) if part else None for part in match.groups())
    assert year is not None
    try:
        if month is None:
            return date(year, 1, 1), date(year, 12, 31)
        if day is None:
            return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
        exact = date(year, month, day)
    except ValueError as exc:
        raise ValueErrorKo(
            f"{text} is not a calendar date", f"{text}은(는) 달력에 있는 날짜가 아닙니다."
        ) from exc
    return exact, exact


def first_day(text: str) -> date:
    return bounds(text)[0]


def last_day(text: str) -> date:
    return bounds(text)[1]


def _valid(text: str) -> str:
    bounds(text)
    return text


PartialDate = Annotated[
    str,
    AfterValidator(_valid),
    Field(
        description="A date as the record gives it: YYYY, YYYY-MM or YYYY-MM-DD.",
        examples=["2016-09", "2017-06-19"],
    ),
]


def ends_after_start(start: str | None, end: str | None) -> None:
    """Raise ValueError unless the end period's last day is on or after the start period's first day."""
    if start is not None and end is not None and last_day(end) < first_day(start):
        raise ValueErrorKo(
            f"must not be before the start ({start})", f"시작일({start})보다 앞설 수 없습니다."
        )


def end_not_before(start_field: str) -> Callable[[str | None, ValidationInfo], str | None]:
    """A field validator: this end date is not before the model's `start_field` (the error names the end)."""

    def check(end: str | None, info: ValidationInfo) -> str | None:
        ends_after_start(info.data.get(start_field), end)
        return end

    return check

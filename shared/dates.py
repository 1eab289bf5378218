"""Dates and date-times as the API takes them: ISO 8601 text only; and as it gives them: in Asia/Seoul.

Pydantic alone reads a number as a Unix timestamp (`?on=0` is 1970-01-01, `"opens_at": 0` is
1970-01-01T00:00Z) and accepts `20170101` or a date-time where a date belongs. These types take only the
written form, from a query, a path or a JSON body alike, and refuse the rest with the usual 422 naming the
field.
"""

import re
from datetime import date, datetime
from typing import Annotated

from pydantic import AwareDatetime, BeforeValidator, PlainSerializer

from shared.language import ValueErrorKo
from shared.seoul import SEOUL

_CALENDAR_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# A date, `T` (or a space, as ISO 8601 allows by agreement) and at least hours and minutes; the rest of the
# text (seconds, fraction, offset) is left to pydantic's parser.
_DATE_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}.*", re.DOTALL)


def calendar_date(value: object) -> object:
    """A `date`, or text written YYYY-MM-DD that names a real day; ValueError otherwise."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _CALENDAR_DATE.fullmatch(value):
        raise ValueErrorKo(
            "must be a calendar date written YYYY-MM-DD", "YYYY-MM-DD 형식의 달력 날짜여야 합니다."
        )
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueErrorKo(
            f"{value} is not a day of the calendar", f"{value}은(는) 달력에 있는 날짜가 아닙니다."
        ) from None


def date_time_text(value: object) -> object:
    """A `datetime`, or text that starts with a date and a time (ISO 8601); ValueError otherwise."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _DATE_TIME.fullmatch(value):
        raise ValueErrorKo(
            "must be a date-time written YYYY-MM-DDThh:mm:ss (ISO 8601)",
            "YYYY-MM-DDThh:mm:ss 형식(ISO 8601)의 날짜와 시각이어야 합니다.",
        )
    return value


IsoDate = Annotated[date, BeforeValidator(calendar_date)]
"""A date from a query, a path or a body: YYYY-MM-DD only."""

IsoDatetime = Annotated[datetime, BeforeValidator(date_time_text)]
"""A date-time from a body: ISO 8601 text only, never a number."""

AwareIsoDatetime = Annotated[AwareDatetime, BeforeValidator(date_time_text)]
"""The same with its offset required."""

# Timestamps leave the API in Asia/Seoul (DOMAIN.md §4), whatever zone the driver hands back.
SeoulDatetime = Annotated[
    datetime, PlainSerializer(lambda value: value.astimezone(SEOUL).isoformat(), return_type=str)
]

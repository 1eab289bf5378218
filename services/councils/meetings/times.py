"""A schedule's time of day: Seoul wall-clock time, written as an RFC 3339 `full-time` (`10:00:00+09:00`).

Stored without an offset (a TIME column). Input may omit the offset (read as Seoul time) or give +09:00;
any other offset is refused rather than converted, since converting could move a meeting to another day.
"""

from datetime import time
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, PlainSerializer, WithJsonSchema

from shared.language import ValueErrorKo
from shared.seoul import SEOUL_OFFSET


def _written(value: object) -> object:
    """Text (or a `time`), never a number: pydantic alone reads 36000 as 10:00."""
    if isinstance(value, str | time):
        return value
    raise ValueErrorKo(
        "must be a time of day written hh:mm[:ss], optionally with +09:00",
        "hh:mm[:ss] 형식의 시각이어야 하며, +09:00을 붙일 수 있습니다.",
    )


def _seoul_wall_clock(value: time) -> time:
    if value.tzinfo is None:
        return value
    if value.utcoffset() != SEOUL_OFFSET.utcoffset(None):
        raise ValueErrorKo(
            "a schedule time is Seoul time: give no offset, or +09:00",
            "일정 시각은 서울 시각입니다. 오프셋 없이 쓰거나 +09:00을 쓰십시오.",
        )
    return value.replace(tzinfo=None)


def _rfc3339(value: time) -> str:
    return value.replace(tzinfo=SEOUL_OFFSET).isoformat()


SeoulTimeOfDay = Annotated[
    time,
    BeforeValidator(_written),
    AfterValidator(_seoul_wall_clock),
    PlainSerializer(_rfc3339, return_type=str, when_used="json"),
    WithJsonSchema(
        {
            "type": "string",
            "description": "Seoul time of day: `HH:MM[:SS]`, optionally with the offset `+09:00`.",
            "examples": ["10:00", "10:00:00+09:00"],
        },
        mode="validation",
    ),
    WithJsonSchema(
        {"type": "string", "format": "time", "examples": ["10:00:00+09:00"]},
        mode="serialization",
    ),
]

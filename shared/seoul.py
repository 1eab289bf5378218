"""Facts about Seoul every service relies on: its time zone and its 25 districts' statutory codes."""

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from shared.language import ValueErrorKo

SEOUL = ZoneInfo("Asia/Seoul")
# Seoul has kept +09:00 all year since 1988; a time of day (no date) can only carry a fixed offset.
SEOUL_OFFSET = timezone(timedelta(hours=9))

# The 25 autonomous districts' 5-digit administrative codes (../shared/data/districts.csv). The councils
# service owns the districts' records; other services validate codes against this list, not its tables.
DISTRICT_CODES = frozenset(
    [
        "11110",
        "11140",
        "11170",
        "11200",
        "11215",
        "11230",
        "11260",
        "11290",
        "11305",
        "11320",
        "11350",
        "11380",
        "11410",
        "11440",
        "11470",
        "11500",
        "11530",
        "11545",
        "11560",
        "11590",
        "11620",
        "11650",
        "11680",
        "11710",
        "11740",
    ]
)


def today_seoul() -> date:
    """Today's date in Seoul."""
    return datetime.now(SEOUL).date()


def seoul_date(moment: datetime) -> date:
    """The Seoul calendar date of an instant (never the UTC date: they differ from 15:00 to 24:00 UTC)."""
    if moment.tzinfo is None:
        raise ValueError("a naive datetime has no Seoul date")
    return moment.astimezone(SEOUL).date()


def known_district(code: str) -> str:
    """`code` when it is one of the 25 districts' codes; otherwise a ValueErrorKo (a 422 naming the field)."""
    if code not in DISTRICT_CODES:
        raise ValueErrorKo(
            f"{code} is not one of Seoul's 25 district codes",
            f"{code}은(는) 서울시 25개 자치구 코드가 아닙니다.",
        )
    return code

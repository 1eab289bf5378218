"""Facts about Seoul every service relies on: its time zone and its 25 districts' statutory codes."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

SEOUL = ZoneInfo("Asia/Seoul")

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

"""The pure parts: thresholds in integers, partial dates, schedule expansion, iCalendar folding."""

from datetime import date, time

import pytest

from services.councils.common.dates import bounds
from services.councils.common.thresholds import Threshold
from services.councils.meetings.ical import _fold
from services.councils.meetings.schedule import ScheduleRule, nth_weekday, occurrences

MAJORITY = Threshold(numerator=1, denominator=2, comparison="more_than")
TWO_THIRDS = Threshold(numerator=2, denominator=3, comparison="at_least")


@pytest.mark.parametrize(("base", "required"), [(0, 1), (1, 1), (2, 2), (5, 3), (6, 4), (10, 6), (25, 13)])
def test_more_than_half(base: int, required: int) -> None:
    assert MAJORITY.required(base) == required


@pytest.mark.parametrize(("base", "required"), [(0, 0), (3, 2), (5, 4), (6, 4), (7, 5), (9, 6), (10, 7)])
def test_at_least_two_thirds(base: int, required: int) -> None:
    assert TWO_THIRDS.required(base) == required


def test_no_floats_at_large_bases() -> None:
    third = Threshold(numerator=1, denominator=3, comparison="at_least")
    assert third.required(3 * 10**15) == 10**15  # a float product would round
    assert Threshold(numerator=1, denominator=3, comparison="more_than").required(3 * 10**15) == 10**15 + 1


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("2016", date(2016, 1, 1), date(2016, 12, 31)),
        ("2016-02", date(2016, 2, 1), date(2016, 2, 29)),
        ("2017-02", date(2017, 2, 1), date(2017, 2, 28)),
        ("2017-06-19", date(2017, 6, 19), date(2017, 6, 19)),
    ],
)
def test_partial_date_bounds(text: str, first: date, last: date) -> None:
    assert bounds(text) == (first, last)


@pytest.mark.parametrize("text", ["2017-6", "17", "2017-00", "2017-13-01", "2017-02-29", "2017/06/01", ""])
def test_not_partial_dates(text: str) -> None:
    with pytest.raises(ValueError, match="date"):
        bounds(text)


def test_fifth_weekday_is_skipped_where_a_month_has_none() -> None:
    assert nth_weekday(2017, 2, 3, 5) is None  # February 2017 has four Thursdays
    assert nth_weekday(2017, 2, 3, -1) == date(2017, 2, 23)
    rule = ScheduleRule(1, 5, 3, time(10), date(2017, 1, 1), None)
    assert [d.date() for d in occurrences(rule, date(2017, 1, 1), date(2017, 4, 30))] == [date(2017, 3, 30)]


def test_bimonthly_keeps_its_phase_from_valid_from() -> None:
    rule = ScheduleRule(2, 2, 0, time(14), date(2017, 2, 1), date(2017, 12, 31))
    assert [d.month for d in occurrences(rule, date(2017, 1, 1), date(2017, 12, 31))] == [2, 4, 6, 8, 10, 12]


def test_folding_never_splits_a_hangul_character() -> None:
    line = "SUMMARY:" + "협치서울지역협의회" * 10
    parts = _fold(line)
    assert all(len(part.encode()) <= 75 for part in parts)
    assert "".join(part[1:] if i else part for i, part in enumerate(parts)) == line

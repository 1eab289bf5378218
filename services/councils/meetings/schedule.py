"""Regular meeting schedules ("monthly, 4th Thursday 10:00") expanded to dates."""

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time

from shared.seoul import SEOUL


@dataclass(frozen=True)
class ScheduleRule:
    interval_months: int  # 1 monthly, 2 every two months, 3 quarterly
    week_of_month: int  # 1..5, or -1 for the last
    weekday: int  # 0 Monday … 6 Sunday
    at: time
    valid_from: date
    valid_until: date | None


def nth_weekday(year: int, month: int, weekday: int, nth: int) -> date | None:
    """The nth (or, for -1, the last) given weekday of a month; None when the month has no such day."""
    days = [
        day
        for day in range(1, calendar.monthrange(year, month)[1] + 1)
        if date(year, month, day).weekday() == weekday
    ]
    if nth == -1:
        return date(year, month, days[-1])
    return date(year, month, days[nth - 1]) if nth <= len(days) else None


def occurrences(rule: ScheduleRule, start: date, end: date) -> list[datetime]:
    """Meeting times of the rule between start and end (inclusive), in Asia/Seoul."""
    first = max(start, rule.valid_from)
    last = min(end, rule.valid_until) if rule.valid_until else end
    found: list[datetime] = []
    year, month = rule.valid_from.year, rule.valid_from.month
    while date(year, month, 1) <= last:
        day = nth_weekday(year, month, rule.weekday, rule.week_of_month)
        if day is not None and first <= day <= last:
            found.append(datetime.combine(day, rule.at, tzinfo=SEOUL))
        month += rule.interval_months
        year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return found

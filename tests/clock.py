"""Pinned clocks for tests whose answer depends on 'now' (time-machine moves Python's clock in-process).

Seoul is UTC+09:00, so from 15:00 to 24:00 UTC its date is a day ahead of the UTC date. EDGES are the instants
on both sides of both midnights with the Seoul date each must give; HOURS are the two times of day at which
every clock-sensitive test runs (09:00Z: both zones on the same date; 23:30Z: Seoul already on the next one).

PostgreSQL's clock cannot be pinned from here: the budget service judges election windows by it (one clock
for every replica), so tests of open elections set their window around the real time, and the rules at the
window's edges are tested on the pure functions with pinned instants. Where such a test checks a date, its
window is put at 23:30 UTC (tests/budget/test_pabulib_groups.py), so that the UTC and Seoul dates differ
whatever the hour. The real processes of tests/e2e read the real clock and compare no dates across zones.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

import pytest
import time_machine

# (instant, its Seoul date): the UTC date is the 30th for the first three.
EDGES = [
    pytest.param(datetime(2017, 6, 30, 14, 59, 59, tzinfo=UTC), date(2017, 6, 30), id="14:59:59Z"),
    pytest.param(datetime(2017, 6, 30, 15, 0, 0, tzinfo=UTC), date(2017, 7, 1), id="15:00:00Z"),
    pytest.param(datetime(2017, 6, 30, 23, 59, 59, tzinfo=UTC), date(2017, 7, 1), id="23:59:59Z"),
    pytest.param(datetime(2017, 7, 1, 0, 0, 0, tzinfo=UTC), date(2017, 7, 1), id="00:00:00Z"),
]
SEOUL_DAY = date(2017, 7, 1)  # the day that starts at the second edge, in Seoul
HOURS = {"09:00Z": time(9, 0), "23:30Z": time(23, 30)}


@dataclass
class Clock:
    """Python's clock, stopped at `now` until moved."""

    traveller: time_machine.Traveller
    now: datetime

    def move_to(self, moment: datetime) -> None:
        self.traveller.move_to(moment)
        self.now = moment


@pytest.fixture
def pinned() -> Iterator[Clock]:
    """The clock stopped at the first edge; `move_to` goes elsewhere."""
    start: datetime = EDGES[0].values[0]  # type: ignore[assignment]
    with time_machine.travel(start, tick=False) as traveller:
        yield Clock(traveller, start)


@pytest.fixture(params=list(HOURS))
def hour(request: pytest.FixtureRequest) -> Iterator[Clock]:
    """The clock stopped on 2017-07-01 at 09:00Z, then at 23:30Z (Seoul: 18:00 the 1st, 08:30 the 2nd)."""
    moment = datetime.combine(SEOUL_DAY, HOURS[request.param], tzinfo=UTC)
    with time_machine.travel(moment, tick=False) as traveller:
        yield Clock(traveller, moment)

"""An election's dates are Seoul dates; its window is instants, at Seoul midnight as at any other time.

The .pb export's date_begin and date_end are the Seoul dates of the window (Pabulib dates are local): from
15:00 to 24:00 UTC the UTC date is the day before. The window's edges are judged on instants by the service
(with PostgreSQL's clock): at the four EDGES around a window that opens or closes at Seoul midnight.
"""

from datetime import UTC, date, datetime, timedelta

import pytest

from services.budget.elections.ballots import _check_window
from services.budget.elections.errors import ElectionClosed, ElectionNotOpen
from services.budget.elections.models import Election
from services.budget.elections.service import status_of
from tests.budget.conftest import Budget, create_election
from tests.clock import EDGES

SEOUL_MIDNIGHT = datetime.fromisoformat("2017-07-01T00:00:00+09:00")
TWO_DAYS = timedelta(days=2)


async def meta(api: Budget, election_id: int) -> dict[str, str]:
    response = await api.client.get(f"/budget/elections/{election_id}/export.pb", headers=api.city)
    assert response.status_code == 200, response.text
    head = response.text.split("\nPROJECTS\n", 1)[0]
    return dict(line.split(";", 1) for line in head.splitlines()[2:])


@pytest.mark.parametrize(("instant", "seoul_date"), EDGES)
async def test_pb_export_dates_are_the_seoul_dates(api: Budget, instant: datetime, seoul_date: date) -> None:
    opening = await create_election(
        api, opens_at=instant.isoformat(), closes_at=(instant + TWO_DAYS).isoformat()
    )
    closing = await create_election(
        api, opens_at=(instant - TWO_DAYS).isoformat(), closes_at=instant.isoformat()
    )
    assert (await meta(api, opening["id"]))["date_begin"] == seoul_date.isoformat()
    assert (await meta(api, closing["id"]))["date_end"] == seoul_date.isoformat()
    assert (await meta(api, closing["id"]))["date_begin"] == (seoul_date - TWO_DAYS).isoformat()
    # The API answers the same instants in Seoul time: the date at the front is the one the file carries.
    assert opening["opens_at"][:10] == seoul_date.isoformat() and opening["opens_at"].endswith("+09:00")


def window(opens_at: datetime, closes_at: datetime) -> Election:
    return Election(opens_at=opens_at, closes_at=closes_at, published_at=None)


@pytest.mark.parametrize(("instant", "seoul_date"), EDGES)
def test_a_window_closing_at_seoul_midnight(instant: datetime, seoul_date: date) -> None:
    election = window(SEOUL_MIDNIGHT - TWO_DAYS, SEOUL_MIDNIGHT)
    open_ = instant < SEOUL_MIDNIGHT  # open up to 14:59:59Z, closed from 15:00:00Z: not at UTC midnight
    assert open_ == (seoul_date < SEOUL_MIDNIGHT.date())
    assert status_of(election, instant) == ("open" if open_ else "closed")
    if open_:
        _check_window(1, election.opens_at, election.closes_at, instant)
    else:
        with pytest.raises(ElectionClosed):
            _check_window(1, election.opens_at, election.closes_at, instant)


@pytest.mark.parametrize(("instant", "seoul_date"), EDGES)
def test_a_window_opening_at_seoul_midnight(instant: datetime, seoul_date: date) -> None:
    election = window(SEOUL_MIDNIGHT, SEOUL_MIDNIGHT + TWO_DAYS)
    open_ = instant >= SEOUL_MIDNIGHT
    assert open_ == (seoul_date == SEOUL_MIDNIGHT.date())
    assert status_of(election, instant) == ("open" if open_ else "scheduled")
    if open_:
        _check_window(1, election.opens_at, election.closes_at, instant)
    else:
        with pytest.raises(ElectionNotOpen):
            _check_window(1, election.opens_at, election.closes_at, instant)


def test_the_edges_are_the_instants_the_tests_claim() -> None:
    assert datetime(2017, 6, 30, 15, 0, tzinfo=UTC) == SEOUL_MIDNIGHT

"""The reads of a district's budget overview: one query each, whatever the number of rows behind them."""

from collections.abc import Sequence

from sqlalchemy import RowMapping, text
from sqlalchemy.ext.asyncio import AsyncSession

PENDING = ("pending_council", "requested")

_ENVELOPES = """
SELECT e.id, e.cycle_id, e.district_code, e.track, e.amount_krw, e.funding_type, e.neighbourhoods,
       e.created_at
FROM budget.envelopes e JOIN budget.cycles c ON c.id = e.cycle_id
WHERE c.fiscal_year = :year AND e.district_code = :code
ORDER BY e.cycle_id, e.track
"""

_GRANTS = """
SELECT kind, status, count(*) AS count, sum(amount_krw) AS amount_krw,
       sum(city_share_krw) AS city_share_krw, sum(district_share_krw) AS district_share_krw
FROM budget.grants WHERE fiscal_year = :year AND district_code = :code
GROUP BY kind, status ORDER BY kind, status
"""

_PENDING = """
SELECT a.id, a.project_id, p.title_ko AS project_title_ko, a.route, a.status, a.budget_before_krw,
       a.budget_after_krw, a.requested_on, count(*) OVER () AS total
FROM budget.amendments a JOIN budget.projects p ON p.id = a.project_id
WHERE p.district_code = :code AND a.status = ANY (CAST(:pending AS text[]))
ORDER BY a.id DESC LIMIT :limit
"""


async def envelopes(session: AsyncSession, code: str, year: int) -> Sequence[RowMapping]:
    return (await session.execute(text(_ENVELOPES), {"code": code, "year": year})).mappings().all()


async def grant_totals(session: AsyncSession, code: str, year: int) -> Sequence[RowMapping]:
    return (await session.execute(text(_GRANTS), {"code": code, "year": year})).mappings().all()


async def pending_amendments(session: AsyncSession, code: str, limit: int) -> Sequence[RowMapping]:
    """The newest pending amendments, each row carrying the count of all of them (`total`)."""
    parameters = {"code": code, "pending": list(PENDING), "limit": limit}
    return (await session.execute(text(_PENDING), parameters)).mappings().all()

"""The money per district and year, read in one statement (see the service's docstring for what it sums)."""

from collections.abc import Sequence

from sqlalchemy import RowMapping, text
from sqlalchemy.ext.asyncio import AsyncSession

_SUMMARY = """
WITH d AS (SELECT unnest(CAST(:codes AS text[])) AS district_code),
env AS (
    SELECT e.district_code, sum(e.amount_krw) AS envelope_krw
    FROM budget.envelopes e JOIN budget.cycles c ON c.id = e.cycle_id
    WHERE c.fiscal_year = :year AND e.district_code = ANY (CAST(:codes AS text[]))
    GROUP BY e.district_code
),
gr AS (
    SELECT district_code, sum(amount_krw) AS grants_krw, sum(city_share_krw) AS city_share_krw,
           sum(district_share_krw) AS district_share_krw
    FROM budget.grants
    WHERE fiscal_year = :year AND status IN ('awarded', 'paid')
      AND district_code = ANY (CAST(:codes AS text[]))
    GROUP BY district_code
),
sp AS (
    SELECT p.district_code, sum(l.spent_krw) AS spent_krw
    FROM budget.cycles c
    JOIN budget.envelopes e ON e.cycle_id = c.id
    JOIN budget.elections el ON el.envelope_id = e.id
    JOIN budget.projects p ON p.election_id = el.id
    JOIN budget.budget_lines l ON l.project_id = p.id
    WHERE c.fiscal_year = :year AND p.district_code = ANY (CAST(:codes AS text[]))
    GROUP BY p.district_code
)
SELECT d.district_code, df.funding_type, df.neighbourhoods,
       CASE WHEN df.id IS NOT NULL THEN budget.district_cap_krw(df) END AS cap_krw,
       coalesce(env.envelope_krw, 0) AS envelope_krw, coalesce(gr.grants_krw, 0) AS grants_krw,
       coalesce(gr.city_share_krw, 0) AS city_share_krw,
       coalesce(gr.district_share_krw, 0) AS district_share_krw,
       coalesce(sp.spent_krw, 0) AS spent_krw
FROM d
LEFT JOIN budget.district_funding df ON df.district_code = d.district_code AND df.fiscal_year = :year
LEFT JOIN env ON env.district_code = d.district_code
LEFT JOIN gr ON gr.district_code = d.district_code
LEFT JOIN sp ON sp.district_code = d.district_code
ORDER BY d.district_code
"""


async def district_year_rows(session: AsyncSession, year: int, codes: Sequence[str]) -> list[RowMapping]:
    result = await session.execute(text(_SUMMARY), {"year": year, "codes": list(codes)})
    return list(result.mappings().all())

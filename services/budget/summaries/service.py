"""Money per district and year: envelope, grants and their 시비/구비 shares, spent, remaining.

All 25 districts of a year come from one query (`district_year_rows`) plus one (`spent_by_district`), whatever
the number of envelopes, grants and expenditures.
"""

import csv
import io
from collections.abc import Sequence

from pydantic import BaseModel, Field
from sqlalchemy import RowMapping, text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.seoul import DISTRICT_CODES

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

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
)
SELECT d.district_code, df.funding_type, df.neighbourhoods,
       CASE WHEN df.id IS NOT NULL THEN budget.district_cap_krw(df) END AS cap_krw,
       coalesce(env.envelope_krw, 0) AS envelope_krw, coalesce(gr.grants_krw, 0) AS grants_krw,
       coalesce(gr.city_share_krw, 0) AS city_share_krw,
       coalesce(gr.district_share_krw, 0) AS district_share_krw
FROM d
LEFT JOIN budget.district_funding df ON df.district_code = d.district_code AND df.fiscal_year = :year
LEFT JOIN env ON env.district_code = d.district_code
LEFT JOIN gr ON gr.district_code = d.district_code
ORDER BY d.district_code
"""


class DistrictYearSummary(BaseModel):
    district_code: str
    fiscal_year: int
    funding_type: str | None = Field(description="None until a city officer assigns the year's type.")
    neighbourhoods: int | None
    cap_krw: int | None = Field(description="The type's cap for the year (None without a type).")
    envelope_krw: int = Field(description="The district's envelopes in the year's cycles.")
    grants_krw: int = Field(description="Awarded and paid grants (시비 + 구비).")
    city_share_krw: int = Field(description="시비 of those grants.")
    district_share_krw: int = Field(description="구비 of those grants.")
    spent_krw: int = Field(
        description="The expenditures of the district's funded projects of the year's cycles."
    )
    remaining_krw: int = Field(description="envelope_krw + grants_krw − spent_krw.")


_SPENT = """
SELECT p.district_code, sum(x.amount_krw) AS spent_krw
FROM budget.expenditures x
JOIN budget.projects p ON p.id = x.project_id
JOIN budget.elections el ON el.id = p.election_id
LEFT JOIN budget.envelopes e ON e.id = el.envelope_id
JOIN budget.cycles c ON c.id = coalesce(el.cycle_id, e.cycle_id)
WHERE c.fiscal_year = :year AND p.district_code = ANY (CAST(:codes AS text[]))
GROUP BY p.district_code
"""


async def spent_by_district(session: AsyncSession, year: int, codes: Sequence[str]) -> dict[str, int]:
    """What each district spent of the year's money: its funded projects' expenditures, counted in the fiscal
    year of the cycle the project's election belongs to (as the envelope it spends is), whatever the dates
    of the expenses. One query. A project of an election without a cycle (an import) counts in no year."""
    result = await session.execute(text(_SPENT), {"year": year, "codes": list(codes)})
    return {row.district_code: int(row.spent_krw) for row in result}


async def district_year_rows(session: AsyncSession, year: int, codes: Sequence[str]) -> list[RowMapping]:
    result = await session.execute(text(_SUMMARY), {"year": year, "codes": list(codes)})
    return list(result.mappings().all())


async def summaries(
    session: AsyncSession, year: int, codes: Sequence[str] | None = None
) -> list[DistrictYearSummary]:
    codes = sorted(codes or DISTRICT_CODES)
    rows = await district_year_rows(session, year, codes)
    spent = await spent_by_district(session, year, codes)
    out = []
    for row in rows:
        used = spent.get(row["district_code"], 0)
        out.append(
            DistrictYearSummary(
                **dict(row),
                fiscal_year=year,
                spent_krw=used,
                remaining_krw=row["envelope_krw"] + row["grants_krw"] - used,
            )
        )
    return out


CSV_HEADER = (
    "자치구 코드",
    "연도",
    "지원 유형",
    "동 수",
    "한도(원)",
    "예산 배정(원)",
    "보조금(원)",
    "시비(원)",
    "구비(원)",
    "집행(원)",
    "잔액(원)",
)


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value  # OWASP CSV injection: a text cell never starts a formula
    return value


def summaries_csv(items: Sequence[DistrictYearSummary]) -> str:
    """UTF-8 with BOM (Excel reads Hangul), CRLF rows; amounts as plain whole numbers."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for item in items:
        writer.writerow([_cell(value) for value in item.model_dump().values()])
    return BOM + buffer.getvalue()

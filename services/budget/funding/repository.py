from typing import Any

from sqlalchemy import RowMapping, text
from sqlalchemy.ext.asyncio import AsyncSession

_SELECT = """
SELECT df.district_code, df.fiscal_year, df.funding_type, df.neighbourhoods, df.source, df.created_at,
       df.created_by, t.district_grant_krw, t.max_total_krw, t.innovation_plan_krw, t.neighbourhood_plan_krw,
       budget.district_cap_krw(df) AS cap_krw,
       budget.district_committed_krw(df.district_code, df.fiscal_year) AS committed_krw
FROM budget.district_funding df JOIN budget.funding_types t ON t.code = df.funding_type
WHERE df.district_code = :district AND df.fiscal_year = :year
"""


async def get_district_funding(
    session: AsyncSession, district: str, year: int, *, lock: bool = False
) -> RowMapping | None:
    if lock:  # the row the cap triggers lock too: racing envelopes and awards of one district-year queue here
        await session.execute(
            text(
                "SELECT 1 FROM budget.district_funding"
                " WHERE district_code = :district AND fiscal_year = :year"
                " FOR UPDATE"
            ),
            {"district": district, "year": year},
        )
    result = await session.execute(text(_SELECT), {"district": district, "year": year})
    return result.mappings().one_or_none()


async def upsert_district_funding(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(
        text(
            "INSERT INTO budget.district_funding (district_code, fiscal_year, funding_type, neighbourhoods,"
            " source, created_by) VALUES (:district, :year, :funding_type, :neighbourhoods, :source, :actor)"
            " ON CONFLICT (district_code, fiscal_year) DO UPDATE SET funding_type = excluded.funding_type,"
            " neighbourhoods = excluded.neighbourhoods, source = excluded.source"
        ),
        values,
    )


async def districts_over_cap(session: AsyncSession, funding_type: str) -> list[RowMapping]:
    """The districts of this type, in any year, whose envelopes and awarded grants pass their cap."""
    result = await session.execute(
        text(
            "SELECT df.district_code, df.fiscal_year, budget.district_cap_krw(df) AS cap_krw,"
            " budget.district_committed_krw(df.district_code, df.fiscal_year) AS committed_krw"
            " FROM budget.district_funding df WHERE df.funding_type = :code"
            " AND budget.district_committed_krw(df.district_code, df.fiscal_year)"
            " > budget.district_cap_krw(df)"
            " ORDER BY df.fiscal_year, df.district_code LIMIT 1"
        ),
        {"code": funding_type},
    )
    return list(result.mappings().all())


async def update_funding_type(session: AsyncSession, code: str, values: dict[str, Any]) -> bool:
    columns = ", ".join(f"{name} = :{name}" for name in values)
    result = await session.execute(
        text(f"UPDATE budget.funding_types SET {columns} WHERE code = :code RETURNING code"),
        {**values, "code": code},
    )
    return result.first() is not None

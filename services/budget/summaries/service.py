"""Money per district and year: envelope, grants and their 시비/구비 shares, spent, remaining.

All 25 districts of a year come from one query (`repository.district_year_rows`), whatever the number of
envelopes, grants, projects and expenditures. What was spent is read from the budget lines' `spent_krw`,
which the database keeps equal to the sum of their expenditures (trigger `expenditure_charge`, 0008), so no
expenditure row is scanned; it counts the projects funded by the year's cycles (project → election →
envelope → cycle).
"""

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from services.budget.summaries import repository
from services.budget.summaries.schemas import DistrictYearSummary
from shared.csv_export import csv_text
from shared.seoul import DISTRICT_CODES


async def summaries(
    session: AsyncSession, year: int, codes: Sequence[str] | None = None
) -> list[DistrictYearSummary]:
    codes = sorted(codes or DISTRICT_CODES)
    rows = await repository.district_year_rows(session, year, codes)
    return [
        DistrictYearSummary(
            **dict(row),
            fiscal_year=year,
            remaining_krw=row["envelope_krw"] + row["grants_krw"] - row["spent_krw"],
        )
        for row in rows
    ]


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


def summaries_csv(items: Sequence[DistrictYearSummary]) -> str:
    """UTF-8 with BOM (Excel reads Hangul), CRLF rows; amounts as plain whole numbers."""
    return csv_text(CSV_HEADER, (list(item.model_dump().values()) for item in items))

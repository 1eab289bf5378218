"""A district's money in a year for the gateway's overview: five queries whatever the data size."""

from sqlalchemy.ext.asyncio import AsyncSession

from services.budget.district_overview import repository
from services.budget.district_overview.schemas import (
    DistrictBudgetOverview,
    GrantTotal,
    PendingAmendment,
    PendingAmendments,
)
from services.budget.envelopes.schemas import EnvelopeOut
from services.budget.summaries.service import summaries

HEAD = 5


async def district_overview(session: AsyncSession, *, code: str, year: int) -> DistrictBudgetOverview:
    [summary] = await summaries(session, year, [code])
    pending = await repository.pending_amendments(session, code, HEAD)
    return DistrictBudgetOverview(
        district_code=code,
        fiscal_year=year,
        summary=summary,
        envelopes=[
            EnvelopeOut.model_validate(row) for row in await repository.envelopes(session, code, year)
        ],
        grants=[
            GrantTotal.model_validate(dict(row)) for row in await repository.grant_totals(session, code, year)
        ],
        pending_amendments=PendingAmendments(
            count=pending[0]["total"] if pending else 0,
            head=[PendingAmendment.model_validate(dict(row)) for row in pending],
        ),
    )

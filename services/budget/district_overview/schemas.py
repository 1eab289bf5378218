from datetime import date

from pydantic import BaseModel, Field

from services.budget.envelopes.schemas import EnvelopeOut
from services.budget.summaries.schemas import DistrictYearSummary


class GrantTotal(BaseModel):
    """The district's grants of the year of one kind and status: how many, and their amounts."""

    kind: str
    status: str
    count: int
    amount_krw: int
    city_share_krw: int = Field(description="시비")
    district_share_krw: int = Field(description="구비")


class PendingAmendment(BaseModel):
    id: int
    project_id: int
    project_title_ko: str
    route: str = Field(description="`council` (under 10 %) or `city`.")
    status: str = Field(description="`pending_council` or `requested`.")
    budget_before_krw: int
    budget_after_krw: int
    requested_on: date


class PendingAmendments(BaseModel):
    count: int = Field(description="Every amendment of the district's projects still awaiting a decision.")
    head: list[PendingAmendment] = Field(description="The most recent of them, newest first.")


class DistrictBudgetOverview(BaseModel):
    district_code: str
    fiscal_year: int
    summary: DistrictYearSummary = Field(description="Money: envelope, grants, spent, remaining.")
    envelopes: list[EnvelopeOut] = Field(description="The district's envelopes in the year's cycles.")
    grants: list[GrantTotal] = Field(description="The year's grants by kind and status.")
    pending_amendments: PendingAmendments

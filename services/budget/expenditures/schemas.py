from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from services.budget.common import SeoulDatetime, WholeKRW
from shared.dates import IsoDate


class AccountCodeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str = Field(examples=["201-01"])
    name_ko: str
    name_en: str | None
    source: str | None


class ExpenditureCreate(BaseModel):
    """One itemised expense; `amount_krw` must equal `unit_price_krw × quantity` (checked, never computed)."""

    model_config = ConfigDict(extra="forbid")

    line_id: int = Field(ge=1, le=2**31 - 1, description="The budget line it is charged to.")
    account_code: str = Field(min_length=1, max_length=20, examples=["201-01"])
    item_ko: str = Field(min_length=1, max_length=200, examples=["강사료 (lecture fee)"])
    event_ko: str | None = Field(default=None, max_length=200)
    unit_price_krw: WholeKRW
    quantity: int = Field(ge=1, le=1_000_000)
    amount_krw: WholeKRW
    spent_on: IsoDate = Field(description="The day it was spent (Asia/Seoul); not after today.")
    payee: str = Field(min_length=1, max_length=200)
    receipt_ref: str = Field(
        min_length=1, max_length=200, description="The receipt's or voucher's reference."
    )


class ExpenditureOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    project_id: int
    line_id: int
    account_code: str
    item_ko: str
    event_ko: str | None
    unit_price_krw: int
    quantity: int
    amount_krw: int
    spent_on: date
    payee: str
    receipt_ref: str
    created_at: SeoulDatetime
    created_by: str

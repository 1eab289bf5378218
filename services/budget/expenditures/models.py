from datetime import date, datetime

from sqlalchemy import BigInteger, Date, DateTime, ForeignKey, Index, Integer, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from services.budget.models import Base


class AccountCode(Base):
    """A budget account code (예산과목), e.g. 201-01 사무관리비: data, so the city can add codes."""

    __tablename__ = "account_codes"

    code: Mapped[str] = mapped_column(Text, primary_key=True)
    name_ko: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text)


class Expenditure(Base):
    """An itemised expense: unit price × quantity = amount (CHECK), charged to a line (trigger); immutable."""

    __tablename__ = "expenditures"
    __table_args__ = (Index("ix_expenditures_project_id_id", "project_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    line_id: Mapped[int] = mapped_column(ForeignKey("budget_lines.id"))
    account_code: Mapped[str] = mapped_column(ForeignKey("account_codes.code"))
    item_ko: Mapped[str] = mapped_column(Text)
    event_ko: Mapped[str | None] = mapped_column(Text)
    unit_price_krw: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(Integer)
    amount_krw: Mapped[int] = mapped_column(BigInteger)
    spent_on: Mapped[date] = mapped_column(Date)
    payee: Mapped[str] = mapped_column(Text)
    receipt_ref: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[str] = mapped_column(Text)

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.budget.models import Base


class FundingType(Base):
    """A district funding type (일반형, 융합형, 분리형) and its amounts: data, not code."""

    __tablename__ = "funding_types"

    code: Mapped[str] = mapped_column(Text, primary_key=True)
    name_ko: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str | None] = mapped_column(Text)
    district_grant_krw: Mapped[int | None] = mapped_column(BigInteger)
    max_total_krw: Mapped[int | None] = mapped_column(BigInteger)
    max_integration_krw: Mapped[int | None] = mapped_column(BigInteger)
    innovation_plan_krw: Mapped[int | None] = mapped_column(BigInteger)
    innovation_plan_included: Mapped[bool] = mapped_column(Boolean)
    neighbourhood_plan_krw: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str | None] = mapped_column(Text)


class Envelope(Base):
    """The money of one cycle for one district (or the city, district NULL) and one track."""

    __tablename__ = "envelopes"
    __table_args__ = (
        UniqueConstraint("cycle_id", "district_code", "track", postgresql_nulls_not_distinct=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"))
    district_code: Mapped[str | None] = mapped_column(String(5))
    track: Mapped[str] = mapped_column(Text)
    amount_krw: Mapped[int] = mapped_column(BigInteger)
    funding_type: Mapped[str | None] = mapped_column(ForeignKey("funding_types.code"))
    neighbourhoods: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[str] = mapped_column(Text)

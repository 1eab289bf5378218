from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, Numeric, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from services.evaluation.models import Base


class Indicator(Base):
    """A common indicator of a cycle (no target, 공통) or a target's own (개별), weighted in points."""

    __tablename__ = "indicators"
    __table_args__ = (Index("ix_indicators_cycle_id_target_id", "cycle_id", "target_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"))
    target_id: Mapped[int | None] = mapped_column(ForeignKey("targets.id"))
    name_ko: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str | None] = mapped_column(Text)
    measure: Mapped[str] = mapped_column(Text)
    ascending: Mapped[bool | None] = mapped_column(Boolean)
    weight: Mapped[int] = mapped_column(Integer)
    baseline: Mapped[Decimal | None] = mapped_column(Numeric(20, 6))
    target_value: Mapped[Decimal | None] = mapped_column(Numeric(20, 6))
    rubric_id: Mapped[int | None] = mapped_column(ForeignKey("rubric_scales.id"))
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[str] = mapped_column(Text)


class Measurement(Base):
    """The actual value of a quantitative indicator for one target, measured by the city in its window."""

    __tablename__ = "measurements"
    __table_args__ = (UniqueConstraint("target_id", "indicator_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("targets.id"))
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id"))
    actual: Mapped[Decimal] = mapped_column(Numeric(20, 6))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    recorded_by: Mapped[str] = mapped_column(Text)

from datetime import datetime
from decimal import Decimal

from sqlalchemy import DateTime, ForeignKey, Integer, Numeric, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from services.evaluation.models import Base


class Report(Base):
    """The agency's performance report for its target: a title and a text or URL reference."""

    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("target_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("targets.id"))
    title: Mapped[str] = mapped_column(Text)
    reference: Mapped[str] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    submitted_by: Mapped[str] = mapped_column(Text)


class SelfScore(Base):
    """The agency's self-evaluation of one indicator: a value, or a rubric level if qualitative."""

    __tablename__ = "self_scores"
    __table_args__ = (UniqueConstraint("target_id", "indicator_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("targets.id"))
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id"))
    value: Mapped[Decimal | None] = mapped_column(Numeric(20, 6))
    rubric_level_id: Mapped[int | None] = mapped_column(ForeignKey("rubric_levels.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    recorded_by: Mapped[str] = mapped_column(Text)

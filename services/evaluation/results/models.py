from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Integer, Numeric, SmallInteger, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.evaluation.models import Base


class ResultSettings(Base):
    """How a cycle's results are aggregated: the method and the minimum number of counted scores."""

    __tablename__ = "result_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), unique=True)
    aggregation_method: Mapped[str] = mapped_column(Text)
    min_panel_size: Mapped[int] = mapped_column(SmallInteger)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_by: Mapped[str] = mapped_column(Text)


class GradeBand(Base):
    """Totals of at least `min_total` points (up to the next band) fall in `category`."""

    __tablename__ = "grade_bands"
    __table_args__ = (UniqueConstraint("cycle_id", "min_total"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"))
    min_total: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    category: Mapped[str] = mapped_column(Text)


class Result(Base):
    """A target's result for one review version, with the arithmetic it was computed with."""

    __tablename__ = "results"
    __table_args__ = (UniqueConstraint("target_id", "review_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("targets.id"))
    review_version: Mapped[int] = mapped_column(SmallInteger)
    status: Mapped[str] = mapped_column(Text)
    total: Mapped[str] = mapped_column(Text)
    total_display: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    arithmetic: Mapped[dict[str, Any]] = mapped_column(JSONB)
    category: Mapped[str | None] = mapped_column(Text)
    category_source: Mapped[str | None] = mapped_column(Text)
    category_reason: Mapped[str | None] = mapped_column(Text)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    computed_by: Mapped[str] = mapped_column(Text)
    notified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    notified_by: Mapped[str | None] = mapped_column(Text)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    confirmed_by: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    published_by: Mapped[str | None] = mapped_column(Text)


class Appeal(Base):
    """The agency's one appeal of its target's notified result, and the opening of the re-review."""

    __tablename__ = "appeals"
    __table_args__ = (UniqueConstraint("cycle_id", "target_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"))
    target_id: Mapped[int] = mapped_column(ForeignKey("targets.id"))
    result_id: Mapped[int] = mapped_column(ForeignKey("results.id"))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[str] = mapped_column(Text)
    re_review_opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    re_review_opened_by: Mapped[str | None] = mapped_column(Text)

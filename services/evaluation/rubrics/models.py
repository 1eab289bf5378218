from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.evaluation.models import Base


class RubricScale(Base):
    """A scale of labelled levels on which a qualitative indicator is scored (e.g. 매우 우수 … 미흡)."""

    __tablename__ = "rubric_scales"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"))
    name_ko: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[str] = mapped_column(Text)


class RubricLevel(Base):
    """One level of a scale: a label and its value, or the scale's one N/A level (no value)."""

    __tablename__ = "rubric_levels"
    __table_args__ = (
        UniqueConstraint("scale_id", "position"),
        UniqueConstraint("scale_id", "label_ko"),
        UniqueConstraint("scale_id", "value"),
        Index("uq_rubric_levels_one_na", "scale_id", unique=True, postgresql_where=text("not_applicable")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scale_id: Mapped[int] = mapped_column(ForeignKey("rubric_scales.id"), index=True)
    position: Mapped[int] = mapped_column(SmallInteger)
    label_ko: Mapped[str] = mapped_column(Text)
    value: Mapped[Decimal | None] = mapped_column(Numeric(12, 4))
    not_applicable: Mapped[bool] = mapped_column(Boolean, server_default="false")

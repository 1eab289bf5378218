from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Numeric,
    SmallInteger,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.evaluation.models import Base


class Score(Base):
    """One rater's score of one indicator of one target, in one review version: points, or a rubric level."""

    __tablename__ = "scores"
    __table_args__ = (
        UniqueConstraint("target_id", "indicator_id", "panel_member_id", "version"),
        CheckConstraint("status IN ('draft', 'submitted')", name="status_known"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("points >= 0", name="points_not_negative"),
        CheckConstraint("(points IS NULL) <> (rubric_level_id IS NULL)", name="points_or_level"),
        CheckConstraint(
            "(status = 'submitted') = (submitted_at IS NOT NULL)", name="submitted_at_iff_submitted"
        ),
        Index("ix_scores_panel_member_id_target_id", "panel_member_id", "target_id", "version"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("targets.id"))
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id"))
    panel_member_id: Mapped[int] = mapped_column(ForeignKey("panel_members.id"))
    version: Mapped[int] = mapped_column(SmallInteger)
    points: Mapped[Decimal | None] = mapped_column(Numeric(20, 6))
    rubric_level_id: Mapped[int | None] = mapped_column(ForeignKey("rubric_levels.id"))
    status: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

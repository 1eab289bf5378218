from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from services.evaluation.models import Base


class Recusal(Base):
    """A rater kept from a target: 제척 (exclusion, computed from ties), 기피 (challenge), 회피 (withdrawal).

    status: a challenge is pending, then upheld or rejected; an exclusion is upheld, or lifted once no tie
    holds; a withdrawal is upheld. A rater is recused from a target while one of its rows is upheld.
    """

    __tablename__ = "recusals"
    __table_args__ = (
        CheckConstraint("ground IN ('exclusion', 'challenge', 'withdrawal')", name="ground_known"),
        CheckConstraint(
            "(ground = 'challenge' AND status IN ('pending', 'upheld', 'rejected'))"
            " OR (ground = 'exclusion' AND status IN ('upheld', 'lifted'))"
            " OR (ground = 'withdrawal' AND status = 'upheld')",
            name="status_of_ground",
        ),
        CheckConstraint("length(btrim(reason)) > 0", name="reason_given"),
        CheckConstraint(
            "ground <> 'challenge' OR (status = 'pending') = (decided_by IS NULL)",
            name="challenge_decided_by",
        ),
        Index("ix_recusals_target_id", "target_id", "panel_member_id"),
        Index(
            "uq_recusals_exclusion",
            "panel_member_id",
            "target_id",
            unique=True,
            postgresql_where=text("ground = 'exclusion'"),
        ),
        Index(
            "uq_recusals_withdrawal",
            "panel_member_id",
            "target_id",
            unique=True,
            postgresql_where=text("ground = 'withdrawal'"),
        ),
        Index(
            "uq_recusals_challenge_pending",
            "panel_member_id",
            "target_id",
            unique=True,
            postgresql_where=text("ground = 'challenge' AND status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    panel_member_id: Mapped[int] = mapped_column(ForeignKey("panel_members.id"))
    target_id: Mapped[int] = mapped_column(ForeignKey("targets.id"))
    ground: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    decided_by: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_reason: Mapped[str | None] = mapped_column(Text)

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.evaluation.models import Base


class PanelMember(Base):
    """A rater of a cycle's round: an official or an external expert, identified by the token's `sub`."""

    __tablename__ = "panel_members"
    __table_args__ = (
        CheckConstraint("round IN (1, 2)", name="round_known"),
        CheckConstraint("rater_type IN ('official', 'expert')", name="rater_type_known"),
        CheckConstraint("length(btrim(subject)) > 0", name="subject_given"),
        CheckConstraint(
            "(replaced_member_id IS NULL) = (replaced_reason IS NULL)", name="replacement_has_reason"
        ),
        CheckConstraint(
            "replaced_reason IS NULL OR length(btrim(replaced_reason)) > 0", name="replaced_reason_given"
        ),
        Index(
            "uq_panel_members_cycle_id_round_subject_active",
            "cycle_id",
            "round",
            "subject",
            unique=True,
            postgresql_where=text("active"),
        ),
        Index(
            "uq_panel_members_replaced_member_id",
            "replaced_member_id",
            unique=True,
            postgresql_where=text("replaced_member_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"))
    round: Mapped[int] = mapped_column(SmallInteger)
    subject: Mapped[str] = mapped_column(Text)
    name_ko: Mapped[str] = mapped_column(Text)
    rater_type: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    replaced_member_id: Mapped[int | None] = mapped_column(ForeignKey("panel_members.id"))
    replaced_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[str] = mapped_column(Text)


class PanelMemberTie(Base):
    """A declared tie of a rater: an organisation it is a member of or tied to, and why (grounds 제척)."""

    __tablename__ = "panel_member_ties"
    __table_args__ = (
        UniqueConstraint("panel_member_id", "organization_id"),
        CheckConstraint("organization_id > 0", name="organization_id_positive"),
        CheckConstraint("length(btrim(reason)) > 0", name="reason_given"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    panel_member_id: Mapped[int] = mapped_column(ForeignKey("panel_members.id"))
    organization_id: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[str] = mapped_column(Text)

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from services.evaluation.models import Base


class Target(Base):
    """An evaluated agency of a cycle: references to the councils organisation and district it concerns."""

    __tablename__ = "targets"
    __table_args__ = (
        UniqueConstraint("cycle_id", "organization_id"),
        CheckConstraint("round IN (1, 2)", name="round_known"),
        CheckConstraint("review_version IN (1, 2)", name="review_version_known"),
        CheckConstraint("0 < ALL (member_organization_ids)", name="member_organization_ids_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"))
    organization_id: Mapped[int] = mapped_column(Integer)
    district_code: Mapped[str] = mapped_column(String(5))
    grant_id: Mapped[int | None] = mapped_column(Integer)
    round: Mapped[int] = mapped_column(SmallInteger)
    opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    opened_by: Mapped[str | None] = mapped_column(Text)
    # 1 = the first review; 2 once a re-review opens after an appeal (its scores are a new version).
    review_version: Mapped[int] = mapped_column(SmallInteger, server_default="1")
    # The consortium's member organisations (references to councils); a rater tied to one is excluded (제척).
    member_organization_ids: Mapped[list[int]] = mapped_column(
        ARRAY(Integer), server_default=text("'{}'::integer[]")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[str] = mapped_column(Text)


class Round(Base):
    """A cycle's round that was opened as a whole (every target of that round at once)."""

    __tablename__ = "rounds"
    __table_args__ = (PrimaryKeyConstraint("cycle_id", "round"),)

    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"))
    round: Mapped[int] = mapped_column(SmallInteger)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    opened_by: Mapped[str] = mapped_column(Text)

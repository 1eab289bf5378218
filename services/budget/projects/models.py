from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.budget.models import Base


class Project(Base):
    """A funded project: one selected project of a published election, with its budget lines."""

    __tablename__ = "projects"
    __table_args__ = (
        UniqueConstraint("election_id", "election_project_id"),
        Index("ix_projects_district_code_id", "district_code", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    election_id: Mapped[int] = mapped_column(ForeignKey("elections.id"))
    election_project_id: Mapped[str] = mapped_column(Text)
    outcome_id: Mapped[int] = mapped_column(ForeignKey("outcomes.id"))
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id"))
    district_code: Mapped[str] = mapped_column(String(5))
    title_ko: Mapped[str] = mapped_column(Text)
    budget_krw: Mapped[int] = mapped_column(BigInteger, server_default="0")
    """The sum of the lines' amounts, kept by the trigger `line_amount_total`."""
    approved_budget_krw: Mapped[int] = mapped_column(BigInteger)
    """The budget at the last city approval (creation, or an approved amendment): the 10 % rule's base."""
    status: Mapped[str] = mapped_column(Text, server_default="planned")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[str] = mapped_column(Text)


class BudgetLine(Base):
    """An item of a project's budget; what is spent on it never passes its amount (CHECK)."""

    __tablename__ = "budget_lines"
    __table_args__ = (UniqueConstraint("project_id", "position"), UniqueConstraint("project_id", "name_ko"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    position: Mapped[int] = mapped_column(Integer)
    name_ko: Mapped[str] = mapped_column(Text)
    amount_krw: Mapped[int] = mapped_column(BigInteger)
    approved_amount_krw: Mapped[int] = mapped_column(BigInteger)
    spent_krw: Mapped[int] = mapped_column(BigInteger, server_default="0")


class Milestone(Base):
    __tablename__ = "milestones"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    title_ko: Mapped[str] = mapped_column(Text)
    due_on: Mapped[date] = mapped_column(Date)
    weight: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(Text, server_default="planned")
    done_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[str] = mapped_column(Text)


class TimelineEntry(Base):
    """A status, progress, expenditure or amendment step of a project; written by triggers only."""

    __tablename__ = "project_timeline"
    __table_args__ = (Index("ix_project_timeline_project_id_id", "project_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    kind: Mapped[str] = mapped_column(Text)
    subject_id: Mapped[int] = mapped_column(BigInteger)
    from_status: Mapped[str | None] = mapped_column(Text)
    to_status: Mapped[str | None] = mapped_column(Text)
    progress: Mapped[int] = mapped_column(Integer)
    amount_krw: Mapped[int | None] = mapped_column(BigInteger)
    actor: Mapped[str] = mapped_column(Text)
    actor_role: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.clock_timestamp())

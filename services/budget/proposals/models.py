from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.budget.models import Base

DELIBERATION_STAGES = ("governance_school", "intensive_workshop", "coaching_forum")
SCREENING_INPUT = {1: "accepted", 2: "revised"}
SHORTLISTED = {1: "shortlisted_1", 2: "shortlisted_2"}
SCREENED_OUT = {1: "screened_out_1", 2: "screened_out_2"}


class ProposalStatusFlow(Base):
    """The allowed status changes of a proposal; a trigger refuses any other."""

    __tablename__ = "proposal_status_flow"

    from_status: Mapped[str] = mapped_column(Text, primary_key=True)
    to_status: Mapped[str] = mapped_column(Text, primary_key=True)
    step: Mapped[str] = mapped_column(Text)


class Proposal(Base):
    """A citizen's proposal for one envelope; `amount_krw` follows revisions, `requested_krw` does not."""

    __tablename__ = "proposals"
    __table_args__ = (
        Index("ix_proposals_cycle_id_id", "cycle_id", "id"),
        Index("ix_proposals_envelope_id_status", "envelope_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"))
    envelope_id: Mapped[int] = mapped_column(ForeignKey("envelopes.id"))
    district_code: Mapped[str | None] = mapped_column(String(5))
    track: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(Text)
    title_ko: Mapped[str] = mapped_column(Text)
    title_en: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[str | None] = mapped_column(Text)
    requested_krw: Mapped[int] = mapped_column(BigInteger)
    amount_krw: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(Text)
    submitted_by: Mapped[str] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ProposalTransition(Base):
    """One status change, written by a trigger with the transaction's actor and reason."""

    __tablename__ = "proposal_transitions"
    __table_args__ = (
        ForeignKeyConstraint(
            ["from_status", "to_status"],
            ["proposal_status_flow.from_status", "proposal_status_flow.to_status"],
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(Text)
    to_status: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(Text)
    actor_role: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.clock_timestamp())


class ProposalReview(Base):
    """The responsible department's review: legal validity, funding elsewhere, feasibility."""

    __tablename__ = "proposal_reviews"

    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), primary_key=True)
    legal_valid: Mapped[bool] = mapped_column(Boolean)
    legal_note: Mapped[str | None] = mapped_column(Text)
    already_funded: Mapped[bool] = mapped_column(Boolean)
    funded_note: Mapped[str | None] = mapped_column(Text)
    feasible: Mapped[bool] = mapped_column(Boolean)
    feasibility_note: Mapped[str | None] = mapped_column(Text)
    decision: Mapped[str] = mapped_column(Text)
    department: Mapped[str | None] = mapped_column(Text)
    reviewed_by: Mapped[str] = mapped_column(Text)
    reviewed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ProposalLineage(Base):
    """Parent -> child of a merge or a split during deliberation."""

    __tablename__ = "proposal_lineage"

    parent_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), primary_key=True, index=True)
    kind: Mapped[str] = mapped_column(Text)
    stage: Mapped[str] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[str] = mapped_column(Text)


class Screening(Base):
    """A screening round of an envelope: its shortlist may total at most cap_percent of the envelope."""

    __tablename__ = "screenings"
    __table_args__ = (UniqueConstraint("envelope_id", "round"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    envelope_id: Mapped[int] = mapped_column(ForeignKey("envelopes.id"))
    round: Mapped[int] = mapped_column(SmallInteger)
    cap_percent: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(Text, default="open")
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_by: Mapped[str | None] = mapped_column(Text)


class ScreeningEntry(Base):
    """A proposal on a screening's shortlist, with its amount at that time."""

    __tablename__ = "screening_entries"

    screening_id: Mapped[int] = mapped_column(ForeignKey("screenings.id"), primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), primary_key=True)
    amount_krw: Mapped[int] = mapped_column(BigInteger)
    added_by: Mapped[str] = mapped_column(Text)
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

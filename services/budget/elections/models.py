from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.budget.models import Base


class Election(Base):
    """A vote on projects: native (from a shortlist or listed projects) or imported from a Pabulib file."""

    __tablename__ = "elections"
    __table_args__ = (
        # One election per envelope (migration 0004); imported elections have none.
        Index(
            "uq_elections_envelope_id",
            "envelope_id",
            unique=True,
            postgresql_where=text("envelope_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cycle_id: Mapped[int | None] = mapped_column(ForeignKey("cycles.id"))
    envelope_id: Mapped[int | None] = mapped_column(ForeignKey("envelopes.id"))
    name_ko: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    ballot_type: Mapped[str] = mapped_column(Text)
    min_length: Mapped[int] = mapped_column(Integer, default=0)
    max_length: Mapped[int | None] = mapped_column(Integer)
    max_total_cost: Mapped[Decimal | None] = mapped_column(Numeric)
    max_points: Mapped[Decimal | None] = mapped_column(Numeric)
    budget: Mapped[Decimal] = mapped_column(Numeric)
    currency: Mapped[str] = mapped_column(Text, default="KRW")
    rule: Mapped[str] = mapped_column(Text, default="greedy")
    rule_params: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    opens_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closes_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    accepting_import: Mapped[bool] = mapped_column(Boolean, default=False)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    published_by: Mapped[str | None] = mapped_column(Text)
    # use_alter: outcomes refer to their election too, so the two tables form a cycle.
    published_outcome_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("outcomes.id", use_alter=True)
    )
    """The outcome recorded at publication (outcomes.id; foreign key, write-once trigger: migration 0006)."""
    meta: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    project_columns: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[str] = mapped_column(Text)


class ElectionProject(Base):
    """A project on an election's ballot; `project_id` is kept exactly as given (or as in the file)."""

    __tablename__ = "election_projects"
    __table_args__ = (UniqueConstraint("election_id", "position"),)

    election_id: Mapped[int] = mapped_column(ForeignKey("elections.id", ondelete="CASCADE"), primary_key=True)
    project_id: Mapped[str] = mapped_column(Text, primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    cost: Mapped[Decimal] = mapped_column(Numeric)
    name: Mapped[str | None] = mapped_column(Text)
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id"))
    fields: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)


class VoterGroup(Base):
    """An electorate of an election with its weight (e.g. citizens 50, committee 40, school 10)."""

    __tablename__ = "voter_groups"

    election_id: Mapped[int] = mapped_column(ForeignKey("elections.id", ondelete="CASCADE"), primary_key=True)
    code: Mapped[str] = mapped_column(Text, primary_key=True)
    name_ko: Mapped[str] = mapped_column(Text)
    weight: Mapped[int] = mapped_column(Integer)
    open: Mapped[bool] = mapped_column(Boolean)
    """Any citizen may vote in an open group; a closed group's voters are on the voter roll."""
    position: Mapped[int] = mapped_column(Integer)


class VoterRollEntry(Base):
    """A voter admitted to a closed group, known only by the keyed hash of their identity."""

    __tablename__ = "voter_roll"
    __table_args__ = (
        ForeignKeyConstraint(
            ["election_id", "voter_group"],
            ["voter_groups.election_id", "voter_groups.code"],
            ondelete="CASCADE",
        ),
    )

    election_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    voter_hash: Mapped[bytes] = mapped_column(LargeBinary, primary_key=True)
    voter_group: Mapped[str] = mapped_column(Text)
    added_by: Mapped[str] = mapped_column(Text)
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Ballot(Base):
    """One voter's ballot; replaced in place while the election is open. Written with Core, not the ORM."""

    __tablename__ = "ballots"
    __table_args__ = (UniqueConstraint("election_id", "voter_hash"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    # Not a foreign key since migration 0012: the ballots' statement-level guard checks the election once per
    # statement, and triggers on elections cascade a delete (a million row-by-row checks slowed an import).
    election_id: Mapped[int] = mapped_column(Integer)
    voter_hash: Mapped[bytes] = mapped_column(LargeBinary)
    voter_group: Mapped[str] = mapped_column(Text)
    project_ids: Mapped[list[str]] = mapped_column(ARRAY(Text))
    points: Mapped[list[Decimal] | None] = mapped_column(ARRAY(Numeric))
    cast_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    revision: Mapped[int] = mapped_column(Integer, default=1)


class OutcomeRecord(Base):
    """An immutable outcome: rule, parameters, tie-break, the digest of the ballots it read, and why."""

    __tablename__ = "outcomes"
    __table_args__ = (UniqueConstraint("election_id", "rule", "params", "tie_break", "ballot_digest"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    election_id: Mapped[int] = mapped_column(ForeignKey("elections.id"))
    rule: Mapped[str] = mapped_column(Text)
    params: Mapped[dict[str, Any]] = mapped_column(JSONB)
    tie_break: Mapped[list[str]] = mapped_column(ARRAY(Text))
    ballot_digest: Mapped[str] = mapped_column(Text)
    n_ballots: Mapped[int] = mapped_column(Integer)
    selected: Mapped[list[str]] = mapped_column(ARRAY(Text))
    total_cost: Mapped[Decimal] = mapped_column(Numeric)
    projects: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    details: Mapped[dict[str, Any]] = mapped_column(JSONB)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    computed_by: Mapped[str | None] = mapped_column(Text)


class OutcomeComputation(Base):
    """A claim on computing one outcome: one computation across replicas, taken over once its lease expires.

    `key` is the outcome's identity (election, rule, params, tie-break, ballot digest as JSON). The owner
    renews `lease_until` while it computes and deletes the row when it stores the outcome or fails; a replica
    that dies leaves a row whose lease runs out (elections/computations.py).
    """

    __tablename__ = "outcome_computations"

    key: Mapped[str] = mapped_column(Text, primary_key=True)
    election_id: Mapped[int] = mapped_column(ForeignKey("elections.id", ondelete="CASCADE"))
    owner: Mapped[str] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    lease_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))

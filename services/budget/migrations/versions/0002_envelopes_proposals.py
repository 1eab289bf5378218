"""Envelopes, district funding types, proposals with their review, lineage, transitions and screenings.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "budget"
M = 1_000_000

# DOMAIN.md §2, source 003 (a *reading* of a garbled table): kept as data so the city can correct it.
FUNDING_TYPES: list[dict[str, object]] = [
    {
        "code": "general",
        "name_ko": "일반형",
        "name_en": "General",
        "district_grant_krw": 500 * M,
        "max_total_krw": None,
        "max_integration_krw": None,
        "innovation_plan_krw": None,
        "innovation_plan_included": False,
        "neighbourhood_plan_krw": 50 * M,
    },
    {
        "code": "merged",
        "name_ko": "융합형",
        "name_en": "Merged",
        "district_grant_krw": None,
        "max_total_krw": 1_000 * M,
        "max_integration_krw": 200 * M,
        "innovation_plan_krw": None,
        "innovation_plan_included": True,
        "neighbourhood_plan_krw": 50 * M,
    },
    {
        "code": "separate",
        "name_ko": "분리형",
        "name_en": "Separate",
        "district_grant_krw": 500 * M,
        "max_total_krw": None,
        "max_integration_krw": None,
        "innovation_plan_krw": 300 * M,
        "innovation_plan_included": False,
        "neighbourhood_plan_krw": 50 * M,
    },
]

STATUSES = [
    "submitted",
    "accepted",
    "rejected",
    "shortlisted_1",
    "screened_out_1",
    "governance_school",
    "intensive_workshop",
    "coaching_forum",
    "revised",
    "shortlisted_2",
    "screened_out_2",
    "selected",
    "not_selected",
    "merged",
    "split",
]
DELIBERATION = ["governance_school", "intensive_workshop", "coaching_forum"]
FLOW = [
    ("submitted", "accepted", "review"),
    ("submitted", "rejected", "review"),
    ("accepted", "shortlisted_1", "first screening"),
    ("accepted", "screened_out_1", "first screening"),
    ("shortlisted_1", "governance_school", "deliberation"),
    ("governance_school", "intensive_workshop", "deliberation"),
    ("intensive_workshop", "coaching_forum", "deliberation"),
    ("coaching_forum", "revised", "revised submission"),
    ("revised", "shortlisted_2", "second screening"),
    ("revised", "screened_out_2", "second screening"),
    ("shortlisted_2", "selected", "final selection"),
    ("shortlisted_2", "not_selected", "final selection"),
    *[(stage, "merged", "deliberation") for stage in DELIBERATION],
    *[(stage, "split", "deliberation") for stage in DELIBERATION],
]

PROPOSAL_TRIGGERS = """
CREATE FUNCTION budget.proposal_status_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.status NOT IN ('submitted', 'governance_school', 'intensive_workshop', 'coaching_forum') THEN
            RAISE EXCEPTION 'a new proposal starts submitted (in deliberation if merged or split), not %',
                NEW.status USING ERRCODE = 'P0001';
        END IF;
    ELSIF NEW.status IS DISTINCT FROM OLD.status AND NOT EXISTS (
        SELECT 1 FROM budget.proposal_status_flow f
        WHERE f.from_status = OLD.status AND f.to_status = NEW.status
    ) THEN
        RAISE EXCEPTION 'proposal % cannot go from % to %', OLD.id, OLD.status, NEW.status
            USING ERRCODE = 'P0001';
    END IF;
    NEW.updated_at := now();
    RETURN NEW;
END $$;

CREATE TRIGGER proposal_status_guard BEFORE INSERT OR UPDATE ON budget.proposals
    FOR EACH ROW EXECUTE FUNCTION budget.proposal_status_guard();

-- Every status change is recorded here, whoever made it: the actor and reason come from the
-- transaction's settings (budget.actor, budget.actor_role, budget.reason), set by the service.
CREATE FUNCTION budget.proposal_status_log() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status THEN
        INSERT INTO budget.proposal_transitions
            (proposal_id, from_status, to_status, actor, actor_role, reason)
        VALUES (
            NEW.id,
            CASE WHEN TG_OP = 'UPDATE' THEN OLD.status END,
            NEW.status,
            coalesce(nullif(current_setting('budget.actor', true), ''), 'system'),
            nullif(current_setting('budget.actor_role', true), ''),
            nullif(current_setting('budget.reason', true), '')
        );
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER proposal_status_log AFTER INSERT OR UPDATE OF status ON budget.proposals
    FOR EACH ROW EXECUTE FUNCTION budget.proposal_status_log();

CREATE FUNCTION budget.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% records are immutable', TG_TABLE_NAME USING ERRCODE = 'P0001';
END $$;

CREATE TRIGGER transitions_immutable BEFORE UPDATE OR DELETE ON budget.proposal_transitions
    FOR EACH ROW WHEN (pg_trigger_depth() = 0) EXECUTE FUNCTION budget.refuse_change();
"""

# The cap is checked under a lock on the screening row, so racing additions are serialised:
# each sees the entries committed before it and the total can never pass the cap.
SCREENING_TRIGGERS = """
CREATE FUNCTION budget.screening_cap_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    s record;
    envelope_krw bigint;
    shortlisted bigint;
BEGIN
    SELECT * INTO s FROM budget.screenings WHERE id = NEW.screening_id FOR UPDATE;
    IF s.status <> 'open' THEN
        RAISE EXCEPTION 'screening round % of envelope % is closed', s.round, s.envelope_id
            USING ERRCODE = 'P0001';
    END IF;
    SELECT amount_krw INTO envelope_krw FROM budget.envelopes WHERE id = s.envelope_id;
    SELECT coalesce(sum(amount_krw), 0) INTO shortlisted
        FROM budget.screening_entries WHERE screening_id = NEW.screening_id;
    IF (shortlisted + NEW.amount_krw) * 100 > envelope_krw * s.cap_percent THEN
        RAISE EXCEPTION 'shortlist total % KRW would exceed % %% of the envelope (% KRW): at most % KRW',
            shortlisted + NEW.amount_krw, s.cap_percent, envelope_krw, envelope_krw * s.cap_percent / 100
            USING ERRCODE = 'P0001';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER screening_cap_guard BEFORE INSERT ON budget.screening_entries
    FOR EACH ROW EXECUTE FUNCTION budget.screening_cap_guard();

CREATE TRIGGER screening_entries_immutable BEFORE UPDATE OR DELETE ON budget.screening_entries
    FOR EACH ROW WHEN (pg_trigger_depth() = 0) EXECUTE FUNCTION budget.refuse_change();
"""


def split_sql(script: str) -> list[str]:
    """asyncpg runs one statement at a time: the scripts keep their statements apart with blank lines."""
    return [part.strip() for part in script.split("\n\n") if part.strip()]


def _created() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
    ]


def upgrade() -> None:
    funding_types = op.create_table(
        "funding_types",
        sa.Column("code", sa.Text(), primary_key=True),
        sa.Column("name_ko", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text()),
        sa.Column("district_grant_krw", sa.BigInteger()),
        sa.Column("max_total_krw", sa.BigInteger()),
        sa.Column("max_integration_krw", sa.BigInteger()),
        sa.Column("innovation_plan_krw", sa.BigInteger()),
        sa.Column("innovation_plan_included", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("neighbourhood_plan_krw", sa.BigInteger(), nullable=False),
        schema=SCHEMA,
    )
    op.bulk_insert(funding_types, FUNDING_TYPES)

    op.create_table(
        "envelopes",
        sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
        sa.Column("cycle_id", sa.Integer(), sa.ForeignKey(f"{SCHEMA}.cycles.id"), nullable=False),
        sa.Column("district_code", sa.String(5)),
        sa.Column("track", sa.Text(), nullable=False),
        sa.Column("amount_krw", sa.BigInteger(), nullable=False),
        sa.Column("funding_type", sa.Text(), sa.ForeignKey(f"{SCHEMA}.funding_types.code")),
        sa.Column("neighbourhoods", sa.Integer()),
        *_created(),
        sa.CheckConstraint("district_code ~ '^11[0-9]{3}$'", name="ck_envelopes_district_code_seoul"),
        sa.CheckConstraint("track IN ('governance', 'general')", name="ck_envelopes_track_known"),
        sa.CheckConstraint("amount_krw > 0", name="ck_envelopes_amount_positive"),
        sa.CheckConstraint("neighbourhoods >= 0", name="ck_envelopes_neighbourhoods_non_negative"),
        sa.UniqueConstraint(
            "cycle_id",
            "district_code",
            "track",
            name="uq_envelopes_cycle_id_district_code_track",
            postgresql_nulls_not_distinct=True,
        ),
        schema=SCHEMA,
    )

    flow = op.create_table(
        "proposal_status_flow",
        sa.Column("from_status", sa.Text(), primary_key=True),
        sa.Column("to_status", sa.Text(), primary_key=True),
        sa.Column("step", sa.Text(), nullable=False),
        schema=SCHEMA,
    )
    op.bulk_insert(flow, [{"from_status": a, "to_status": b, "step": s} for a, b, s in FLOW])

    status_list = ", ".join(f"'{status}'" for status in STATUSES)
    op.create_table(
        "proposals",
        sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
        sa.Column("cycle_id", sa.Integer(), sa.ForeignKey(f"{SCHEMA}.cycles.id"), nullable=False),
        sa.Column("envelope_id", sa.Integer(), sa.ForeignKey(f"{SCHEMA}.envelopes.id"), nullable=False),
        sa.Column("district_code", sa.String(5)),
        sa.Column("track", sa.Text(), nullable=False),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("title_ko", sa.Text(), nullable=False),
        sa.Column("title_en", sa.Text()),
        sa.Column("summary", sa.Text()),
        sa.Column("requested_krw", sa.BigInteger(), nullable=False),
        sa.Column("amount_krw", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("submitted_by", sa.Text(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("channel IN ('online', 'mail', 'in_person')", name="ck_proposals_channel_known"),
        sa.CheckConstraint("track IN ('governance', 'general')", name="ck_proposals_track_known"),
        sa.CheckConstraint(f"status IN ({status_list})", name="ck_proposals_status_known"),
        sa.CheckConstraint("requested_krw > 0 AND amount_krw > 0", name="ck_proposals_amounts_positive"),
        schema=SCHEMA,
    )
    op.create_index("ix_proposals_cycle_id_id", "proposals", ["cycle_id", "id"], schema=SCHEMA)
    op.create_index("ix_proposals_envelope_id_status", "proposals", ["envelope_id", "status"], schema=SCHEMA)

    op.create_table(
        "proposal_transitions",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column(
            "proposal_id", sa.Integer(), sa.ForeignKey(f"{SCHEMA}.proposals.id"), nullable=False, index=True
        ),
        sa.Column("from_status", sa.Text()),
        sa.Column("to_status", sa.Text(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("actor_role", sa.Text()),
        sa.Column("reason", sa.Text()),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.clock_timestamp(), nullable=False),
        sa.ForeignKeyConstraint(
            ["from_status", "to_status"],
            [f"{SCHEMA}.proposal_status_flow.from_status", f"{SCHEMA}.proposal_status_flow.to_status"],
            name="fk_proposal_transitions_from_status_proposal_status_flow",
        ),
        schema=SCHEMA,
    )

    op.create_table(
        "proposal_reviews",
        sa.Column("proposal_id", sa.Integer(), sa.ForeignKey(f"{SCHEMA}.proposals.id"), primary_key=True),
        sa.Column("legal_valid", sa.Boolean(), nullable=False),
        sa.Column("legal_note", sa.Text()),
        sa.Column("already_funded", sa.Boolean(), nullable=False),
        sa.Column("funded_note", sa.Text()),
        sa.Column("feasible", sa.Boolean(), nullable=False),
        sa.Column("feasibility_note", sa.Text()),
        sa.Column("decision", sa.Text(), nullable=False),
        sa.Column("department", sa.Text()),
        sa.Column("reviewed_by", sa.Text(), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint(
            "(decision = 'accepted') = (legal_valid AND NOT already_funded AND feasible)"
            " AND decision IN ('accepted', 'rejected')",
            name="ck_proposal_reviews_decision_follows_criteria",
        ),
        sa.CheckConstraint(
            "(legal_valid OR legal_note IS NOT NULL) AND (NOT already_funded OR funded_note IS NOT NULL)"
            " AND (feasible OR feasibility_note IS NOT NULL)",
            name="ck_proposal_reviews_failures_have_reasons",
        ),
        schema=SCHEMA,
    )

    op.create_table(
        "proposal_lineage",
        sa.Column("parent_id", sa.Integer(), sa.ForeignKey(f"{SCHEMA}.proposals.id"), primary_key=True),
        sa.Column("child_id", sa.Integer(), sa.ForeignKey(f"{SCHEMA}.proposals.id"), primary_key=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("stage", sa.Text(), nullable=False),
        sa.Column("note", sa.Text()),
        *_created(),
        sa.CheckConstraint("kind IN ('merge', 'split')", name="ck_proposal_lineage_kind_known"),
        sa.CheckConstraint("parent_id <> child_id", name="ck_proposal_lineage_not_self"),
        schema=SCHEMA,
    )
    op.create_index("ix_proposal_lineage_child_id", "proposal_lineage", ["child_id"], schema=SCHEMA)

    op.create_table(
        "screenings",
        sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
        sa.Column("envelope_id", sa.Integer(), sa.ForeignKey(f"{SCHEMA}.envelopes.id"), nullable=False),
        sa.Column("round", sa.SmallInteger(), nullable=False),
        sa.Column("cap_percent", sa.Integer(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False, server_default="open"),
        sa.Column("opened_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.Column("closed_by", sa.Text()),
        sa.CheckConstraint("round IN (1, 2)", name="ck_screenings_round_known"),
        sa.CheckConstraint("cap_percent BETWEEN 1 AND 1000", name="ck_screenings_cap_percent_range"),
        sa.CheckConstraint("status IN ('open', 'closed')", name="ck_screenings_status_known"),
        sa.UniqueConstraint("envelope_id", "round", name="uq_screenings_envelope_id_round"),
        schema=SCHEMA,
    )
    op.create_table(
        "screening_entries",
        sa.Column("screening_id", sa.Integer(), sa.ForeignKey(f"{SCHEMA}.screenings.id"), primary_key=True),
        sa.Column("proposal_id", sa.Integer(), sa.ForeignKey(f"{SCHEMA}.proposals.id"), primary_key=True),
        sa.Column("amount_krw", sa.BigInteger(), nullable=False),
        sa.Column("added_by", sa.Text(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("amount_krw > 0", name="ck_screening_entries_amount_positive"),
        schema=SCHEMA,
    )
    for script in (PROPOSAL_TRIGGERS, SCREENING_TRIGGERS):
        for statement in split_sql(script):
            op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS screening_cap_guard ON budget.screening_entries")
    for table in ("screening_entries", "screenings", "proposal_lineage", "proposal_reviews"):
        op.drop_table(table, schema=SCHEMA)
    op.drop_table("proposal_transitions", schema=SCHEMA)
    op.drop_table("proposals", schema=SCHEMA)
    op.drop_table("proposal_status_flow", schema=SCHEMA)
    op.drop_table("envelopes", schema=SCHEMA)
    op.drop_table("funding_types", schema=SCHEMA)
    for function in ("screening_cap_guard", "proposal_status_log", "proposal_status_guard", "refuse_change"):
        op.execute(f"DROP FUNCTION IF EXISTS budget.{function}()")

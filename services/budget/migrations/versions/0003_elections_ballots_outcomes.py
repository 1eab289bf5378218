"""Elections with their projects and weighted voter groups, ballots (one per voter), immutable outcomes.

A ballot is one row: its items are arrays (project ids in the election's project order, and the
points of a cumulative ballot). Replacing a ballot is therefore one atomic upsert, and a bulk import
is one COPY row per voter. Statement-level triggers check every inserted or updated ballot set-wise
(known projects and group, no duplicates, open election, the ballot rules), so neither the API nor a
COPY can store a ballot that breaks them.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "budget"

BALLOT_GUARD = """
CREATE FUNCTION budget.ballots_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    SELECT n.election_id INTO bad
    FROM new_ballots n JOIN budget.elections e ON e.id = n.election_id
    WHERE NOT e.accepting_import AND NOT (clock_timestamp() >= e.opens_at AND clock_timestamp() < e.closes_at)
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'election % is not open for ballots', bad.election_id USING ERRCODE = 'P0001';
    END IF;
    SELECT n.election_id, n.voter_group INTO bad
    FROM new_ballots n
    LEFT JOIN budget.voter_groups g ON g.election_id = n.election_id AND g.code = n.voter_group
    WHERE g.code IS NULL
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'election % has no voter group %', bad.election_id, bad.voter_group
            USING ERRCODE = 'P0001';
    END IF;
    -- Distinct (election, project) pairs first: a bulk import probes each project once, not per ballot.
    SELECT item.election_id, item.project_id INTO bad
    FROM (SELECT DISTINCT n.election_id, x AS project_id FROM new_ballots n, unnest(n.project_ids) AS x) item
    LEFT JOIN budget.election_projects p
        ON p.election_id = item.election_id AND p.project_id = item.project_id
    WHERE p.project_id IS NULL
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'election % has no project %', bad.election_id, bad.project_id
            USING ERRCODE = 'P0001';
    END IF;
    SELECT n.election_id INTO bad
    FROM new_ballots n
    WHERE cardinality(n.project_ids) <> (SELECT count(DISTINCT x) FROM unnest(n.project_ids) AS x)
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'a ballot of election % lists a project twice', bad.election_id
            USING ERRCODE = 'P0001';
    END IF;
    -- Imported ballots are historical records: their election's ballot rules are kept, not re-enforced.
    SELECT n.election_id INTO bad
    FROM new_ballots n JOIN budget.elections e ON e.id = n.election_id
    WHERE NOT e.accepting_import AND (
        cardinality(n.project_ids) < e.min_length
        OR cardinality(n.project_ids) > e.max_length
        OR (n.points IS NULL) <> (e.ballot_type <> 'cumulative')
        OR (SELECT sum(x) FROM unnest(n.points) AS x) > e.max_points
        OR (SELECT min(x) FROM unnest(n.points) AS x) <= 0
        OR (e.max_total_cost IS NOT NULL AND (
            SELECT sum(p.cost) FROM budget.election_projects p
            WHERE p.election_id = n.election_id AND p.project_id = ANY (n.project_ids)
        ) > e.max_total_cost)
    )
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'a ballot breaks the ballot rules of election %', bad.election_id
            USING ERRCODE = 'P0001';
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER ballots_guard_insert AFTER INSERT ON budget.ballots
    REFERENCING NEW TABLE AS new_ballots
    FOR EACH STATEMENT EXECUTE FUNCTION budget.ballots_guard();

CREATE TRIGGER ballots_guard_update AFTER UPDATE ON budget.ballots
    REFERENCING NEW TABLE AS new_ballots
    FOR EACH STATEMENT EXECUTE FUNCTION budget.ballots_guard();

CREATE TRIGGER outcomes_immutable BEFORE UPDATE OR DELETE ON budget.outcomes
    FOR EACH ROW WHEN (pg_trigger_depth() = 0) EXECUTE FUNCTION budget.refuse_change();
"""


def split_sql(script: str) -> list[str]:
    """asyncpg runs one statement at a time: the script keeps its statements apart with blank lines."""
    return [part.strip() for part in script.split("\n\n") if part.strip()]


def upgrade() -> None:
    op.create_table(
        "elections",
        sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
        sa.Column("cycle_id", sa.Integer(), sa.ForeignKey(f"{SCHEMA}.cycles.id")),
        sa.Column("envelope_id", sa.Integer(), sa.ForeignKey(f"{SCHEMA}.envelopes.id")),
        sa.Column("name_ko", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text()),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("ballot_type", sa.Text(), nullable=False),
        sa.Column("min_length", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("max_length", sa.Integer()),
        sa.Column("max_total_cost", sa.Numeric()),
        sa.Column("max_points", sa.Numeric()),
        sa.Column("budget", sa.Numeric(), nullable=False),
        sa.Column("currency", sa.Text(), nullable=False, server_default="KRW"),
        sa.Column("rule", sa.Text(), nullable=False, server_default="greedy"),
        sa.Column("rule_params", postgresql.JSONB(), nullable=False, server_default="{}"),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepting_import", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("published_at", sa.DateTime(timezone=True)),
        sa.Column("published_by", sa.Text()),
        sa.Column("meta", postgresql.JSONB(), nullable=False, server_default="{}"),
        sa.Column("project_columns", postgresql.ARRAY(sa.Text()), nullable=False, server_default="{}"),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.CheckConstraint("source IN ('native', 'pabulib')", name="ck_elections_source_known"),
        sa.CheckConstraint(
            "ballot_type IN ('approval', 'knapsack', 'cumulative')", name="ck_elections_ballot_type_known"
        ),
        sa.CheckConstraint("budget > 0", name="ck_elections_budget_positive"),
        sa.CheckConstraint(
            "min_length >= 0 AND (max_length IS NULL OR max_length >= greatest(min_length, 1))",
            name="ck_elections_lengths_consistent",
        ),
        sa.CheckConstraint("max_total_cost > 0", name="ck_elections_max_total_cost_positive"),
        sa.CheckConstraint(
            "(ballot_type = 'cumulative' OR max_points IS NULL) AND max_points > 0 IS NOT FALSE",
            name="ck_elections_points_for_cumulative",
        ),
        sa.CheckConstraint("closes_at >= opens_at", name="ck_elections_window_ordered"),
        sa.CheckConstraint(
            "published_at IS NULL OR published_at >= closes_at", name="ck_elections_published_after_close"
        ),
        schema=SCHEMA,
    )
    op.create_table(
        "election_projects",
        sa.Column(
            "election_id",
            sa.Integer(),
            sa.ForeignKey(f"{SCHEMA}.elections.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("project_id", sa.Text(), primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("cost", sa.Numeric(), nullable=False),
        sa.Column("name", sa.Text()),
        sa.Column("proposal_id", sa.Integer(), sa.ForeignKey(f"{SCHEMA}.proposals.id")),
        sa.Column("fields", postgresql.JSONB(), nullable=False, server_default="{}"),
        sa.CheckConstraint("cost >= 0", name="ck_election_projects_cost_non_negative"),
        sa.CheckConstraint("project_id ~ '^[^,;[:space:]]+$'", name="ck_election_projects_project_id_plain"),
        sa.UniqueConstraint("election_id", "position", name="uq_election_projects_election_id_position"),
        schema=SCHEMA,
    )
    op.create_table(
        "voter_groups",
        sa.Column(
            "election_id",
            sa.Integer(),
            sa.ForeignKey(f"{SCHEMA}.elections.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("code", sa.Text(), primary_key=True),
        sa.Column("name_ko", sa.Text(), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.CheckConstraint("weight > 0", name="ck_voter_groups_weight_positive"),
        sa.CheckConstraint("code ~ '^[a-z0-9_-]{1,40}$'", name="ck_voter_groups_code_plain"),
        schema=SCHEMA,
    )
    op.create_table(
        "voter_roll",
        sa.Column("election_id", sa.Integer(), primary_key=True),
        sa.Column("voter_hash", sa.LargeBinary(), primary_key=True),
        sa.Column("voter_group", sa.Text(), nullable=False),
        sa.Column("added_by", sa.Text(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["election_id", "voter_group"],
            [f"{SCHEMA}.voter_groups.election_id", f"{SCHEMA}.voter_groups.code"],
            ondelete="CASCADE",
            name="fk_voter_roll_election_id_voter_groups",
        ),
        schema=SCHEMA,
    )
    op.create_table(
        "ballots",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column(
            "election_id",
            sa.Integer(),
            sa.ForeignKey(f"{SCHEMA}.elections.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("voter_hash", sa.LargeBinary(), nullable=False),
        sa.Column("voter_group", sa.Text(), nullable=False),
        sa.Column("project_ids", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("points", postgresql.ARRAY(sa.Numeric())),
        sa.Column("cast_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False, server_default="1"),
        sa.CheckConstraint("octet_length(voter_hash) = 32", name="ck_ballots_voter_hash_is_sha256"),
        sa.CheckConstraint(
            "points IS NULL OR cardinality(points) = cardinality(project_ids)",
            name="ck_ballots_points_match_projects",
        ),
        sa.CheckConstraint("array_position(project_ids, NULL) IS NULL", name="ck_ballots_no_null_project"),
        sa.UniqueConstraint("election_id", "voter_hash", name="uq_ballots_election_id_voter_hash"),
        schema=SCHEMA,
    )
    op.create_table(
        "outcomes",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("election_id", sa.Integer(), sa.ForeignKey(f"{SCHEMA}.elections.id"), nullable=False),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("params", postgresql.JSONB(), nullable=False),
        sa.Column("tie_break", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("ballot_digest", sa.Text(), nullable=False),
        sa.Column("n_ballots", sa.Integer(), nullable=False),
        sa.Column("selected", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("total_cost", sa.Numeric(), nullable=False),
        sa.Column("projects", postgresql.JSONB(), nullable=False),
        sa.Column("details", postgresql.JSONB(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("computed_by", sa.Text()),
        sa.UniqueConstraint(
            "election_id",
            "rule",
            "params",
            "tie_break",
            "ballot_digest",
            name="uq_outcomes_election_id_rule_params_tie_break_ballot_digest",
        ),
        schema=SCHEMA,
    )
    for statement in split_sql(BALLOT_GUARD):
        op.execute(statement)


def downgrade() -> None:
    for table in ("outcomes", "ballots", "voter_roll", "voter_groups", "election_projects", "elections"):
        op.drop_table(table, schema=SCHEMA)
    op.execute("DROP FUNCTION IF EXISTS budget.ballots_guard()")

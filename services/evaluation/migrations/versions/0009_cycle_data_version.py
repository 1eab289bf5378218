"""A data version per cycle: bumped in the writing transaction by every change of what a cycle's comparison
and aggregation read, so a kept answer is keyed on its cycle's version instead of a count of all history.

`cycle_data_versions` holds one counter per cycle (no row: version 0). Every insert, update and delete of the
read tables (targets, indicators, rubric scales and levels, self-evaluations, panel members, recusals, scores,
the cycle's aggregation settings) fires a deferred per-row trigger that, at commit, bumps the counter of
the row's cycle once per transaction (a transaction-local setting remembers the bump). Deferred: the counter
row is locked only while committing, so writers of one cycle queue for an instant at commit, not for their
whole transaction, and a writer holding it never waits on a lock of the data. The counter only grows and is
bumped under its row lock, so two reads of the same value saw the same committed changes of that cycle.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "evaluation"

# table → how its rows name their cycle: a cycle_id, a target_id, or a rubric scale_id.
READ_TABLES = {
    "targets": "cycle",
    "indicators": "cycle",
    "panel_members": "cycle",
    "result_settings": "cycle",
    "rubric_scales": "cycle",
    "rubric_levels": "scale",
    "self_scores": "target",
    "scores": "target",
    "recusals": "target",
}

BUMP = """
CREATE FUNCTION evaluation.bump_cycle_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed jsonb[] := ARRAY[]::jsonb[];
    changed_row jsonb;
    cycle integer;
    bumped text;
BEGIN
    IF TG_OP <> 'DELETE' THEN changed := changed || to_jsonb(NEW); END IF;
    IF TG_OP <> 'INSERT' THEN changed := changed || to_jsonb(OLD); END IF;
    FOREACH changed_row IN ARRAY changed LOOP
        IF TG_ARGV[0] = 'cycle' THEN
            cycle := (changed_row ->> 'cycle_id')::integer;
        ELSIF TG_ARGV[0] = 'target' THEN
            SELECT t.cycle_id INTO cycle FROM evaluation.targets t
            WHERE t.id = (changed_row ->> 'target_id')::integer;
        ELSE
            SELECT s.cycle_id INTO cycle FROM evaluation.rubric_scales s
            WHERE s.id = (changed_row ->> 'scale_id')::integer;
        END IF;
        CONTINUE WHEN cycle IS NULL;
        bumped := 'evaluation.data_version_bumped_' || cycle;
        CONTINUE WHEN coalesce(current_setting(bumped, true), '') = txid_current()::text;
        INSERT INTO evaluation.cycle_data_versions AS v (cycle_id, version) VALUES (cycle, 1)
        ON CONFLICT (cycle_id) DO UPDATE SET version = v.version + 1;
        PERFORM set_config(bumped, txid_current()::text, true);
    END LOOP;
    RETURN NULL;
END $$
"""


def upgrade() -> None:
    op.create_table(
        "cycle_data_versions",
        sa.Column(
            "cycle_id",
            sa.Integer(),
            sa.ForeignKey(f"{SCHEMA}.cycles.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("version > 0", name="ck_cycle_data_versions_positive"),
        schema=SCHEMA,
    )
    op.execute(BUMP)
    for table, key in READ_TABLES.items():
        op.execute(
            "CREATE CONSTRAINT TRIGGER bump_data_version AFTER INSERT OR UPDATE OR DELETE"
            f" ON {SCHEMA}.{table} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
            f" EXECUTE FUNCTION {SCHEMA}.bump_cycle_data_version('{key}')"
        )


def downgrade() -> None:
    for table in READ_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS bump_data_version ON {SCHEMA}.{table}")
    op.execute(f"DROP FUNCTION IF EXISTS {SCHEMA}.bump_cycle_data_version()")
    op.drop_table("cycle_data_versions", schema=SCHEMA)

"""The inbox: each event another service delivers, stored once; and the evaluation results it carried.

`inbox_events.event_id` is the sender's event id (its outbox row): a second delivery of the same event finds
it and changes nothing. `delivered_results` records each confirmed evaluation result as
it arrived (a result that names a platform grant is then applied to it: grants/evaluation.py); it has no
unique key of its own, so an event applied twice would show twice. Both tables are append-only.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "budget"
APPEND_ONLY = ("inbox_events", "delivered_results")


def upgrade() -> None:
    op.create_table(
        "inbox_events",
        sa.Column("event_id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column("ordering_key", sa.Text(), nullable=False),
        sa.Column("payload", postgresql.JSONB(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "delivered_results",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("event_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("payload", postgresql.JSONB(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], [f"{SCHEMA}.inbox_events.event_id"]),
        schema=SCHEMA,
    )
    op.create_index("ix_delivered_results_target_id", "delivered_results", ["target_id", "id"], schema=SCHEMA)
    for table in APPEND_ONLY:
        op.execute(
            f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {SCHEMA}.{table}"
            f" FOR EACH ROW WHEN (pg_trigger_depth() = 0) EXECUTE FUNCTION {SCHEMA}.refuse_change()"
        )


def downgrade() -> None:
    op.drop_table("delivered_results", schema=SCHEMA)
    op.drop_table("inbox_events", schema=SCHEMA)

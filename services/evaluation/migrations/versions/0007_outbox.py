"""The outbox: events for other services, written in the transaction of the change that causes them.

A relay in the evaluation process delivers them (shared/outbox.py): its attempts, last error and next attempt
are kept on the row; `delivered_at` is set once the receiver acknowledged. Ordering per `ordering_key` uses
`seq`. An event's creation is recorded in the history like every other record; its delivery attempts are not
changes of the evaluation (they are on the row itself).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "evaluation"


def upgrade() -> None:
    op.create_table(
        "outbox_events",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("seq", sa.BigInteger(), sa.Identity(), nullable=False, unique=True),
        sa.Column("destination", sa.Text(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("ordering_key", sa.Text(), nullable=False),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column("payload", postgresql.JSONB(), nullable=False),
        sa.Column("trace_id", sa.Text()),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text()),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True)),
        sa.Column(
            "next_attempt_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("delivered_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        sa.CheckConstraint("path LIKE '/internal/%'", name="path_internal"),
        schema=SCHEMA,
    )
    # The relay's and the metrics' reads touch undelivered rows only.
    op.create_index(
        "ix_outbox_events_due",
        "outbox_events",
        ["next_attempt_at"],
        schema=SCHEMA,
        postgresql_where=sa.text("delivered_at IS NULL"),
    )
    op.create_index(
        "ix_outbox_events_ordering_key_seq",
        "outbox_events",
        ["ordering_key", "seq"],
        schema=SCHEMA,
        postgresql_where=sa.text("delivered_at IS NULL"),
    )
    op.execute(
        f"CREATE TRIGGER record_history AFTER INSERT ON {SCHEMA}.outbox_events"
        f" FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.record_history()"
    )


def downgrade() -> None:
    op.drop_table("outbox_events", schema=SCHEMA)

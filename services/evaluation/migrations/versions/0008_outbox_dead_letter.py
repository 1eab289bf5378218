"""Outbox dead letters and leases: a permanently refused event is kept as dead; a claim is a lease.

`status` is pending → delivered, or pending → dead when the receiver refused the event for good (a 4xx that
another attempt cannot change); a city officer's retry puts a dead event back to pending. `dead_reason` and
`dead_at` say why and when. A dead event still blocks the later events of its `ordering_key` (it is not
delivered): per-target order is kept over a refusal too.

The relay claims rows by setting `locked_until` (and `locked_by`) in a short transaction and sends with no
transaction open; a relay killed mid-send leaves a lease that expires and the row is claimed again.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "evaluation"
TABLE = "outbox_events"


def upgrade() -> None:
    op.add_column(
        TABLE, sa.Column("status", sa.Text(), server_default="pending", nullable=False), schema=SCHEMA
    )
    op.add_column(TABLE, sa.Column("dead_reason", sa.Text()), schema=SCHEMA)
    op.add_column(TABLE, sa.Column("dead_at", sa.DateTime(timezone=True)), schema=SCHEMA)
    op.add_column(TABLE, sa.Column("locked_until", sa.DateTime(timezone=True)), schema=SCHEMA)
    op.add_column(TABLE, sa.Column("locked_by", postgresql.UUID(as_uuid=True)), schema=SCHEMA)
    # The span that wrote the event (with trace_id): the relay's send is its child in the same trace.
    op.add_column(TABLE, sa.Column("span_id", sa.Text()), schema=SCHEMA)
    op.execute(f"UPDATE {SCHEMA}.{TABLE} SET status = 'delivered' WHERE delivered_at IS NOT NULL")
    op.create_check_constraint(
        "status_known", TABLE, "status IN ('pending', 'delivered', 'dead')", schema=SCHEMA
    )
    op.create_check_constraint(
        "delivered_iff_status", TABLE, "(status = 'delivered') = (delivered_at IS NOT NULL)", schema=SCHEMA
    )
    op.create_check_constraint(
        "dead_iff_status",
        TABLE,
        "(status = 'dead') = (dead_at IS NOT NULL AND dead_reason IS NOT NULL)",
        schema=SCHEMA,
    )
    # Pruning reads delivered rows by age.
    op.create_index(
        "ix_outbox_events_delivered_at",
        TABLE,
        ["delivered_at"],
        schema=SCHEMA,
        postgresql_where=sa.text("status = 'delivered'"),
    )
    op.create_index(
        "ix_outbox_events_dead", TABLE, ["seq"], schema=SCHEMA, postgresql_where=sa.text("status = 'dead'")
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_events_dead", TABLE, schema=SCHEMA)
    op.drop_index("ix_outbox_events_delivered_at", TABLE, schema=SCHEMA)
    for name in ("dead_iff_status", "delivered_iff_status", "status_known"):
        op.drop_constraint(name, TABLE, schema=SCHEMA, type_="check")
    for column in ("span_id", "locked_by", "locked_until", "dead_at", "dead_reason", "status"):
        op.drop_column(TABLE, column, schema=SCHEMA)

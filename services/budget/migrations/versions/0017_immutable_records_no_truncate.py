"""The append-only records refuse TRUNCATE too, as the history does since 0014.

Each of these tables refuses UPDATE and DELETE with a row trigger calling `budget.refuse_change()` (0002,
0003, 0007, 0008, 0009), but a TRUNCATE fires no row trigger: `TRUNCATE budget.outcomes CASCADE` (or of a
table it cascades from) emptied them. Each now also has `<table>_no_truncate`, the statement-level guard of
`shared.audit.no_truncate_trigger`. The list is the tables with a `refuse_change()` UPDATE-and-DELETE trigger
and no TRUNCATE one, read from pg_trigger at 0016 (history already has both).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

from shared.audit import no_truncate_trigger

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "budget"
IMMUTABLE = (
    "proposal_transitions",
    "screening_entries",
    "outcomes",
    "evaluation_results",
    "expenditures",
    "project_timeline",
    "inbox_events",
    "delivered_results",
)


def upgrade() -> None:
    for table in IMMUTABLE:
        op.execute(no_truncate_trigger(SCHEMA, table))


def downgrade() -> None:
    for table in reversed(IMMUTABLE):
        op.execute(f"DROP TRIGGER {table}_no_truncate ON {SCHEMA}.{table}")

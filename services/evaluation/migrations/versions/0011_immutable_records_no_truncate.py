"""The append-only records refuse TRUNCATE too, as the history does since 0010.

`window_extensions` and `rubric_levels` refuse UPDATE and DELETE with a row trigger calling
`evaluation.refuse_change()` (0003), but a TRUNCATE fires no row trigger. Each now also has
`<table>_no_truncate`, the statement-level guard of `shared.audit.no_truncate_trigger`. The list is the
tables with a `refuse_change()` UPDATE-and-DELETE trigger and no TRUNCATE one, read from pg_trigger at 0010
(history already has both). `results` may be updated (its guard, 0006) but refuses DELETE with the same
function: a TRUNCATE would remove what a DELETE may not, so it is refused too.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

from shared.audit import no_truncate_trigger

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "evaluation"
UNDELETABLE = ("window_extensions", "rubric_levels", "results")


def upgrade() -> None:
    for table in UNDELETABLE:
        op.execute(no_truncate_trigger(SCHEMA, table))


def downgrade() -> None:
    for table in reversed(UNDELETABLE):
        op.execute(f"DROP TRIGGER {table}_no_truncate ON {SCHEMA}.{table}")

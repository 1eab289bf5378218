"""The history keeps the request id and refuses TRUNCATE: the audit trail as councils' (issue #13).

`record_history()` records `budget.request_id`, which `shared.audit.set_actor` sets from the request's
X-Request-ID, so a history row leads to the request's log lines; writes outside a request record none.
`history` already refused UPDATE and DELETE (`history_immutable`); its guards are now the shared ones,
`history_append_only` and `history_no_truncate`, so a TRUNCATE, which fires no row trigger, is refused too.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.audit import append_only_triggers, record_history_function

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "budget"


def upgrade() -> None:
    op.add_column("history", sa.Column("request_id", sa.Text()), schema=SCHEMA)
    op.execute(record_history_function(SCHEMA))
    op.execute(f"DROP TRIGGER history_immutable ON {SCHEMA}.history")
    for statement in append_only_triggers(SCHEMA, "history"):
        op.execute(statement)


def downgrade() -> None:
    op.execute(f"DROP TRIGGER history_no_truncate ON {SCHEMA}.history")
    op.execute(f"DROP TRIGGER history_append_only ON {SCHEMA}.history")
    op.execute(
        f"CREATE TRIGGER history_immutable BEFORE UPDATE OR DELETE ON {SCHEMA}.history"
        f" FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.refuse_change()"
    )
    op.execute(record_history_function(SCHEMA, request_id=False))
    op.drop_column("history", "request_id", schema=SCHEMA)

"""The history keeps the request id and refuses TRUNCATE: the audit trail as councils' (issue #13).

`record_history()` records `budget.request_id`, which `shared.audit.set_actor` sets from the request's
X-Request-ID, so a history row leads to the request's log lines; writes outside a request record none.
`history` already refused UPDATE and DELETE (`history_immutable`); its guards are now the shared ones,
`history_append_only` and `history_no_truncate`, so a TRUNCATE, which fires no row trigger, is refused too.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""

from collections.abc import Sequence
from importlib import import_module

from alembic import op

from shared.audit import history_with_request_ids, history_without_request_ids

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "budget"
_0007 = import_module("services.budget.migrations.versions.0007_programme_funding_grants")
# The function as 0007 created it (its .sql file), which the downgrade puts back.
RECORD_HISTORY_0007: str = next(
    statement for statement in _0007._statements() if "CREATE FUNCTION budget.record_history()" in statement
)


def upgrade() -> None:
    for statement in history_with_request_ids(SCHEMA):
        op.execute(statement)


def downgrade() -> None:
    for statement in history_without_request_ids(SCHEMA, RECORD_HISTORY_0007):
        op.execute(statement)

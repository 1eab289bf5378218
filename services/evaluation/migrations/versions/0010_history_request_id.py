"""The history keeps the request id and refuses TRUNCATE: the audit trail as councils' (issue #13).

`record_history()` records `evaluation.request_id`, which `shared.audit.set_actor` sets from the request's
X-Request-ID, so a history row leads to the request's log lines; writes outside a request record none.
`history` already refused UPDATE and DELETE (`history_immutable`); its guards are now the shared ones,
`history_append_only` and `history_no_truncate`, so a TRUNCATE, which fires no row trigger, is refused too.
The function is budget's, written once in shared/audit.py: it names a row by its `id`, else its `code`; no
evaluation table has a `code` without an `id`, so every row is named as before.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from collections.abc import Sequence
from importlib import import_module

from alembic import op

from shared.audit import history_with_request_ids, history_without_request_ids

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "evaluation"
_0003 = import_module("services.evaluation.migrations.versions.0003_targets_windows_indicators")
# The function as 0003 created it (`coalesce(new_row, old_row) ->> 'id'`), which the downgrade puts back.
RECORD_HISTORY_0003: str = next(
    statement
    for statement in _0003.split_sql(_0003.TRIGGERS)
    if statement.startswith("CREATE FUNCTION evaluation.record_history()")
)


def upgrade() -> None:
    for statement in history_with_request_ids(SCHEMA):
        op.execute(statement)


def downgrade() -> None:
    for statement in history_without_request_ids(SCHEMA, RECORD_HISTORY_0003):
        op.execute(statement)

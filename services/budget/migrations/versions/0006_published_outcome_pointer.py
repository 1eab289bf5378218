"""The published outcome, pointed at from its election, once.

Reading a published result was a read of every ballot (to recompute the digest the outcome is stored
under) and cost seconds on a large electorate. The election now names the outcome recorded at its
publication, so the read is two primary-key reads. The pointer is written once (a trigger); outcomes
were already immutable (0003). Elections published before this migration keep a NULL pointer: their
readers take the old path until a city officer's read of the published outcome sets it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "budget"

UPGRADE = (
    """
    CREATE FUNCTION budget.published_outcome_write_once() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'election % already has published outcome %', OLD.id, OLD.published_outcome_id
            USING ERRCODE = 'restrict_violation';
    END $$
    """,
    """
    CREATE TRIGGER published_outcome_write_once BEFORE UPDATE OF published_outcome_id ON budget.elections
        FOR EACH ROW
        WHEN (OLD.published_outcome_id IS NOT NULL
              AND NEW.published_outcome_id IS DISTINCT FROM OLD.published_outcome_id)
        EXECUTE FUNCTION budget.published_outcome_write_once()
    """,
)


def upgrade() -> None:
    op.add_column(
        "elections",
        sa.Column(
            "published_outcome_id", sa.BigInteger(), sa.ForeignKey("budget.outcomes.id"), nullable=True
        ),
        schema=SCHEMA,
    )
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in (
        "DROP TRIGGER published_outcome_write_once ON budget.elections",
        "DROP FUNCTION budget.published_outcome_write_once()",
    ):
        op.execute(statement)
    op.drop_column("elections", "published_outcome_id", schema=SCHEMA)

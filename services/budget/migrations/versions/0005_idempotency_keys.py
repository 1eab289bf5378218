"""Idempotency keys.

Idempotency keys: a POST retried with the same Idempotency-Key gets the first answer again.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "budget"


def upgrade() -> None:
    # A row per (subject, key), reserved in the request's transaction; its answer stored by its commit.
    op.create_table(
        "idempotency_keys",
        sa.Column("subject", sa.Text(), primary_key=True),
        sa.Column("key", sa.Text(), primary_key=True),
        sa.Column("fingerprint", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.SmallInteger()),
        sa.Column("headers", postgresql.JSONB()),
        sa.Column("body", sa.LargeBinary()),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    op.create_index("ix_idempotency_keys_expires_at", "idempotency_keys", ["expires_at"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_table("idempotency_keys", schema=SCHEMA)

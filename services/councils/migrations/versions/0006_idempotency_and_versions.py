"""Idempotency keys, and a version (the ETag) on every record a PATCH changes.

Idempotency keys: a POST retried with the same Idempotency-Key gets the first answer again.
If-Match: a PATCH names the version it read; a row's version grows by one at each UPDATE.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "councils"
VERSIONED = ("organizations", "persons", "memberships", "meetings", "motions")


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

    # Every record a PATCH changes carries a version, its ETag; any UPDATE of the row increments it.
    op.execute(
        f"""
CREATE FUNCTION {SCHEMA}.bump_version() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    NEW.version := OLD.version + 1;
    RETURN NEW;
END
$fn$"""
    )
    for table in VERSIONED:
        op.add_column(
            table, sa.Column("version", sa.Integer(), server_default="1", nullable=False), schema=SCHEMA
        )
        op.execute(
            f"CREATE TRIGGER bump_version BEFORE UPDATE ON {SCHEMA}.{table} "
            f"FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.bump_version()"
        )


def downgrade() -> None:
    for table in VERSIONED:
        op.execute(f"DROP TRIGGER bump_version ON {SCHEMA}.{table}")
        op.drop_column(table, "version", schema=SCHEMA)
    op.execute(f"DROP FUNCTION {SCHEMA}.bump_version()")
    op.drop_table("idempotency_keys", schema=SCHEMA)

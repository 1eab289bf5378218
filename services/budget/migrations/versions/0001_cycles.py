"""Budget cycles.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "budget"


def upgrade() -> None:
    op.create_table(
        "cycles",
        sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
        sa.Column("name_ko", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text()),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False, server_default="draft"),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.CheckConstraint("fiscal_year BETWEEN 2000 AND 2100", name="ck_cycles_fiscal_year_range"),
        sa.CheckConstraint("status IN ('draft', 'open', 'closed')", name="ck_cycles_status_known"),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("cycles", schema=SCHEMA)

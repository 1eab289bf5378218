"""Evaluation cycles.

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

SCHEMA = "evaluation"


def upgrade() -> None:
    op.create_table(
        "cycles",
        sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
        sa.Column("programme", sa.Text(), nullable=False),
        sa.Column("name_ko", sa.Text(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.CheckConstraint("year BETWEEN 2000 AND 2100", name="ck_cycles_year_range"),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("cycles", schema=SCHEMA)

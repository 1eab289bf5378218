"""Civic Cooperation Platforms (시민협력플랫폼), each run by a consortium organization.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "councils"


def upgrade() -> None:
    organizations = f"{SCHEMA}.organizations.id"
    op.create_table(
        "civic_platforms",
        sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
        sa.Column(
            "district_code",
            sa.String(5),
            sa.ForeignKey(f"{SCHEMA}.districts.code"),
            nullable=False,
            index=True,
        ),
        sa.Column("name_ko", sa.Text(), nullable=False),
        sa.Column("consortium_id", sa.Integer(), sa.ForeignKey(organizations), nullable=False),
        sa.Column("lead_organization_id", sa.Integer(), sa.ForeignKey(organizations)),
        sa.Column("started_date", sa.Text()),
        sa.Column("started_on", sa.Date()),
        sa.Column("evaluation_round", sa.Integer()),
        sa.Column("youth_activists", sa.Integer()),
        sa.Column("offline_hub", sa.Text()),
        sa.Column("online_hub", sa.Text()),
        sa.Column("main_activities", sa.Text()),
        sa.Column("source", sa.Text()),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.UniqueConstraint(
            "district_code", "consortium_id", name="uq_civic_platforms_district_code_consortium_id"
        ),
        sa.CheckConstraint("evaluation_round IN (1, 2)", name="round_known"),
        sa.CheckConstraint("youth_activists >= 0", name="youth_not_negative"),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("civic_platforms", schema=SCHEMA)

"""A grant may name the councils organisation it funds (a platform's consortium), checked with councils.

The reference is to councils' registry (`GET /councils/organizations/{id}`): no foreign key across services;
the budget service checks it when the grant is written (shared/councils_references.py).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "budget"


def upgrade() -> None:
    op.add_column("grants", sa.Column("organization_id", sa.Integer()), schema=SCHEMA)
    op.create_check_constraint(
        "ck_grants_organization_id_positive", "grants", "organization_id > 0", schema=SCHEMA
    )


def downgrade() -> None:
    op.drop_column("grants", "organization_id", schema=SCHEMA)

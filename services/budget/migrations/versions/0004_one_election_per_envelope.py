"""One election per envelope.

An envelope (a district's money for one track in one cycle) has one final vote: publishing an election
with an envelope decides that envelope's second-round shortlist, so a second election on the same
envelope would decide the same proposals again. Screening rounds are shortlists, not elections, so
elections have no kinds to tell apart. Imported Pabulib elections have no envelope and are exempt.

Fails on a database that already holds two elections for one envelope: which one stands is for the
city to decide, not for a migration.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "budget"
INDEX = "uq_elections_envelope_id"


def upgrade() -> None:
    op.create_index(
        INDEX,
        "elections",
        ["envelope_id"],
        unique=True,
        schema=SCHEMA,
        postgresql_where=sa.text("envelope_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index(INDEX, table_name="elections", schema=SCHEMA)

"""Outcome computations: a claim row per outcome being computed, with a lease.

An outcome that takes long (MES+Add1 on a city-wide vote) is computed outside any request's transaction; the
claim keeps it to one computation across replicas, and its lease lets another replica take over when the
owner dies (elections/computations.py). Replaces the advisory-lock turn held in the request's transaction.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "budget"


def upgrade() -> None:
    op.create_table(
        "outcome_computations",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("election_id", sa.Integer(), nullable=False),
        sa.Column("owner", sa.Text(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_outcome_computations"),
        sa.ForeignKeyConstraint(
            ["election_id"],
            [f"{SCHEMA}.elections.id"],
            name="fk_outcome_computations_election_id_elections",
            ondelete="CASCADE",
        ),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("outcome_computations", schema=SCHEMA)

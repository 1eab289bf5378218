"""Extraordinary meetings: who requested them, which resolution called them, and the body's minimum.

협치서울지역협의회 운영규정 제5조③: the steering committee meets extraordinarily on the request of 2 or more
steering members; 제4조④: the plenary holds extraordinary meetings by steering-committee resolution.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "councils"
STEERING_MINIMUM = 2  # 운영규정 제5조③: 운영위원 2인 이상의 요구로 임시회의를 소집할 수 있다


def upgrade() -> None:
    # The body's rule as data beside its quorum and passing fractions; NULL = no requester rule.
    op.add_column(
        "organizations",
        sa.Column("extraordinary_min_requesters", sa.SmallInteger()),
        schema=SCHEMA,
    )
    op.create_check_constraint(
        "extraordinary_min_requesters_positive",
        "organizations",
        "extraordinary_min_requesters IS NULL OR extraordinary_min_requesters >= 1",
        schema=SCHEMA,
    )
    op.execute(
        f"UPDATE {SCHEMA}.organizations SET extraordinary_min_requesters = {STEERING_MINIMUM} "
        "WHERE classification = 'steering_committee'"
    )

    op.add_column(
        "meetings",
        sa.Column(
            "called_by_motion_id",
            sa.Integer(),
            sa.ForeignKey(
                f"{SCHEMA}.motions.id", name="fk_meetings_called_by_motion_id_motions", ondelete="RESTRICT"
            ),
        ),
        schema=SCHEMA,
    )
    op.create_index("ix_meetings_called_by_motion_id", "meetings", ["called_by_motion_id"], schema=SCHEMA)

    op.create_table(
        "meeting_requesters",
        sa.Column(
            "meeting_id",
            sa.Integer(),
            sa.ForeignKey(f"{SCHEMA}.meetings.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "person_id", sa.Integer(), sa.ForeignKey(f"{SCHEMA}.persons.id"), primary_key=True, index=True
        ),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("meeting_requesters", schema=SCHEMA)
    op.drop_index("ix_meetings_called_by_motion_id", table_name="meetings", schema=SCHEMA)
    op.drop_column("meetings", "called_by_motion_id", schema=SCHEMA)
    op.drop_constraint("extraordinary_min_requesters_positive", "organizations", type_="check", schema=SCHEMA)
    op.drop_column("organizations", "extraordinary_min_requesters", schema=SCHEMA)

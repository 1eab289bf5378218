"""The agency side: its report and its self-evaluation, per target, recorded in the history.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "evaluation"
AUDITED = ("reports", "self_scores")


def upgrade() -> None:
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
        sa.Column("target_id", sa.Integer(), sa.ForeignKey(f"{SCHEMA}.targets.id"), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("submitted_by", sa.Text(), nullable=False),
        sa.UniqueConstraint("target_id", name="uq_reports_target_id"),
        schema=SCHEMA,
    )
    op.create_table(
        "self_scores",
        sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
        sa.Column("target_id", sa.Integer(), sa.ForeignKey(f"{SCHEMA}.targets.id"), nullable=False),
        sa.Column("indicator_id", sa.Integer(), sa.ForeignKey(f"{SCHEMA}.indicators.id"), nullable=False),
        sa.Column("value", sa.Numeric(20, 6)),
        sa.Column("rubric_level_id", sa.Integer(), sa.ForeignKey(f"{SCHEMA}.rubric_levels.id")),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        sa.UniqueConstraint("target_id", "indicator_id", name="uq_self_scores_target_id_indicator_id"),
        sa.CheckConstraint(
            "(value IS NULL) <> (rubric_level_id IS NULL)", name="ck_self_scores_value_or_level"
        ),
        schema=SCHEMA,
    )
    for table in AUDITED:
        op.execute(
            f"CREATE TRIGGER record_history AFTER INSERT OR UPDATE OR DELETE ON {SCHEMA}.{table}"
            f" FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.record_history()"
        )


def downgrade() -> None:
    for table in AUDITED:
        op.drop_table(table, schema=SCHEMA)

"""The panel of raters per cycle and round, their declared ties, recusals (제척/기피/회피) and scores.

Contract shared with the results and comparison work: `panel_members`, `targets.review_version`,
`targets.member_organization_ids`, `scores` and `recusals` keep the names and meanings below.

- 제척 (exclusion) rows are computed by the database: whenever a rater's ties or a target's organisations
  change, `refresh_exclusions` upholds an exclusion where a tie meets the target's organisation or one of its
  member organisations, and lifts it where none does any more. Those writes are serialised per cycle by an
  advisory lock, so a tie and a member list changing together cannot both miss each other.
- A recusal row locks its rater's panel row; a score write holds that row FOR SHARE, so a recusal and a
  score racing are ordered, and the score trigger re-checks the recusals (and the rater's membership) after
  the wait.
- A submitted sheet is complete: a deferred trigger checks, at commit, that every indicator of the target
  has a submitted score of the rater in that version.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "evaluation"
AUDITED = ("panel_members", "panel_member_ties", "recusals", "scores")

# The functions, views and triggers, in order: statements apart with blank lines (split_sql).
TRIGGERS = Path(__file__).with_suffix(".sql").read_text(encoding="utf-8")


def split_sql(script: str) -> list[str]:
    """asyncpg runs one statement at a time: the script keeps its statements apart with blank lines."""
    return [part.strip() for part in script.split("\n\n") if part.strip()]


def upgrade() -> None:
    op.add_column(
        "targets",
        sa.Column("review_version", sa.SmallInteger(), server_default="1", nullable=False),
        schema=SCHEMA,
    )
    op.add_column(
        "targets",
        sa.Column(
            "member_organization_ids",
            postgresql.ARRAY(sa.Integer()),
            server_default=sa.text("'{}'::integer[]"),
            nullable=False,
        ),
        schema=SCHEMA,
    )
    op.create_check_constraint(
        "ck_targets_review_version_known", "targets", "review_version IN (1, 2)", schema=SCHEMA
    )
    op.create_check_constraint(
        "ck_targets_member_organization_ids_positive",
        "targets",
        "0 < ALL (member_organization_ids)",
        schema=SCHEMA,
    )

    op.create_table(
        "panel_members",
        sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
        sa.Column("cycle_id", sa.Integer(), sa.ForeignKey(f"{SCHEMA}.cycles.id"), nullable=False),
        sa.Column("round", sa.SmallInteger(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("name_ko", sa.Text(), nullable=False),
        sa.Column("rater_type", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("replaced_member_id", sa.Integer(), sa.ForeignKey(f"{SCHEMA}.panel_members.id")),
        sa.Column("replaced_reason", sa.Text()),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.CheckConstraint("round IN (1, 2)", name="ck_panel_members_round_known"),
        sa.CheckConstraint("rater_type IN ('official', 'expert')", name="ck_panel_members_rater_type_known"),
        sa.CheckConstraint("length(btrim(subject)) > 0", name="ck_panel_members_subject_given"),
        sa.CheckConstraint(
            "(replaced_member_id IS NULL) = (replaced_reason IS NULL)",
            name="ck_panel_members_replacement_has_reason",
        ),
        sa.CheckConstraint(
            "replaced_reason IS NULL OR length(btrim(replaced_reason)) > 0",
            name="ck_panel_members_replaced_reason_given",
        ),
        schema=SCHEMA,
    )
    op.create_index(
        "uq_panel_members_cycle_id_round_subject_active",
        "panel_members",
        ["cycle_id", "round", "subject"],
        unique=True,
        postgresql_where=sa.text("active"),
        schema=SCHEMA,
    )
    op.create_index(
        "uq_panel_members_replaced_member_id",
        "panel_members",
        ["replaced_member_id"],
        unique=True,
        postgresql_where=sa.text("replaced_member_id IS NOT NULL"),
        schema=SCHEMA,
    )

    op.create_table(
        "panel_member_ties",
        sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
        sa.Column(
            "panel_member_id",
            sa.Integer(),
            sa.ForeignKey(f"{SCHEMA}.panel_members.id"),
            nullable=False,
        ),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.CheckConstraint("organization_id > 0", name="ck_panel_member_ties_organization_id_positive"),
        sa.CheckConstraint("length(btrim(reason)) > 0", name="ck_panel_member_ties_reason_given"),
        sa.UniqueConstraint(
            "panel_member_id", "organization_id", name="uq_panel_member_ties_panel_member_id_organization_id"
        ),
        schema=SCHEMA,
    )

    op.create_table(
        "recusals",
        sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
        sa.Column(
            "panel_member_id", sa.Integer(), sa.ForeignKey(f"{SCHEMA}.panel_members.id"), nullable=False
        ),
        sa.Column("target_id", sa.Integer(), sa.ForeignKey(f"{SCHEMA}.targets.id"), nullable=False),
        sa.Column("ground", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.Text(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("decided_by", sa.Text()),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.Column("decision_reason", sa.Text()),
        sa.CheckConstraint(
            "ground IN ('exclusion', 'challenge', 'withdrawal')", name="ck_recusals_ground_known"
        ),
        sa.CheckConstraint(
            "(ground = 'challenge' AND status IN ('pending', 'upheld', 'rejected'))"
            " OR (ground = 'exclusion' AND status IN ('upheld', 'lifted'))"
            " OR (ground = 'withdrawal' AND status = 'upheld')",
            name="ck_recusals_status_of_ground",
        ),
        sa.CheckConstraint("length(btrim(reason)) > 0", name="ck_recusals_reason_given"),
        sa.CheckConstraint(
            "ground <> 'challenge' OR (status = 'pending') = (decided_by IS NULL)",
            name="ck_recusals_challenge_decided_by",
        ),
        schema=SCHEMA,
    )
    op.create_index("ix_recusals_target_id", "recusals", ["target_id", "panel_member_id"], schema=SCHEMA)
    for ground, where in (
        ("exclusion", "ground = 'exclusion'"),
        ("withdrawal", "ground = 'withdrawal'"),
        ("challenge_pending", "ground = 'challenge' AND status = 'pending'"),
    ):
        op.create_index(
            f"uq_recusals_{ground}",
            "recusals",
            ["panel_member_id", "target_id"],
            unique=True,
            postgresql_where=sa.text(where),
            schema=SCHEMA,
        )

    op.create_table(
        "scores",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("target_id", sa.Integer(), sa.ForeignKey(f"{SCHEMA}.targets.id"), nullable=False),
        sa.Column("indicator_id", sa.Integer(), sa.ForeignKey(f"{SCHEMA}.indicators.id"), nullable=False),
        sa.Column(
            "panel_member_id", sa.Integer(), sa.ForeignKey(f"{SCHEMA}.panel_members.id"), nullable=False
        ),
        sa.Column("version", sa.SmallInteger(), nullable=False),
        sa.Column("points", sa.Numeric(20, 6)),
        sa.Column("rubric_level_id", sa.Integer(), sa.ForeignKey(f"{SCHEMA}.rubric_levels.id")),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("status IN ('draft', 'submitted')", name="ck_scores_status_known"),
        sa.CheckConstraint("version >= 1", name="ck_scores_version_positive"),
        sa.CheckConstraint("points >= 0", name="ck_scores_points_not_negative"),
        sa.CheckConstraint("(points IS NULL) <> (rubric_level_id IS NULL)", name="ck_scores_points_or_level"),
        sa.CheckConstraint(
            "(status = 'submitted') = (submitted_at IS NOT NULL)", name="ck_scores_submitted_at_iff_submitted"
        ),
        sa.UniqueConstraint(
            "target_id",
            "indicator_id",
            "panel_member_id",
            "version",
            name="uq_scores_target_id_indicator_id_panel_member_id_version",
        ),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_scores_panel_member_id_target_id",
        "scores",
        ["panel_member_id", "target_id", "version"],
        schema=SCHEMA,
    )

    for statement in split_sql(TRIGGERS):
        op.execute(statement)
    for table in AUDITED:
        op.execute(
            f"CREATE TRIGGER record_history AFTER INSERT OR UPDATE OR DELETE ON {SCHEMA}.{table}"
            f" FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.record_history()"
        )


def downgrade() -> None:
    op.execute(f"DROP TRIGGER IF EXISTS target_organisations_changed ON {SCHEMA}.targets")
    for table in ("scores", "recusals", "panel_member_ties", "panel_members"):
        op.execute(f"DROP TABLE IF EXISTS {SCHEMA}.{table} CASCADE")
    functions = (
        "sheet_complete()",
        "score_guard()",
        "recusal_guard()",
        "target_organisations_changed()",
        "ties_changed()",
        "refresh_exclusions(integer)",
        "lock_panel(integer)",
    )
    for function in functions:
        op.execute(f"DROP FUNCTION IF EXISTS {SCHEMA}.{function}")
    # As checks: the names then go through the naming convention as upgrade()'s did (ck_targets_ck_targets_…).
    op.drop_constraint("ck_targets_member_organization_ids_positive", "targets", schema=SCHEMA, type_="check")
    op.drop_constraint("ck_targets_review_version_known", "targets", schema=SCHEMA, type_="check")
    op.drop_column("targets", "member_organization_ids", schema=SCHEMA)
    op.drop_column("targets", "review_version", schema=SCHEMA)

"""Results and their lifecycle: aggregation settings and grade bands, results per review version, appeals.

A result is one row per target and review version (1 = the first review; 2 after an appeal's re-review). Its
status moves draft → notified → appealed (version 1), re_reviewed (version 2, the re-review's computation) →
confirmed → published, and only forward: a trigger refuses any other move and any change to the numbers or the
category of a confirmed result, so a recompute racing a confirmation can never change a frozen result. One
appeal per target per cycle is a UNIQUE constraint: two racing appeals leave one.

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

SCHEMA = "evaluation"
AUDITED = ("result_settings", "grade_bands", "results", "appeals")
CATEGORIES = "'continue_with_increase', 'continue', 'reduce', 'stop'"
STATUSES = "'draft', 'notified', 'appealed', 're_reviewed', 'confirmed', 'published'"

TRIGGERS = """
CREATE FUNCTION evaluation.result_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status <> OLD.status AND NOT (OLD.status, NEW.status) IN (
        ('draft', 'notified'), ('notified', 'appealed'), ('notified', 'confirmed'),
        ('re_reviewed', 'confirmed'), ('confirmed', 'published')
    ) THEN
        RAISE EXCEPTION 'a result cannot go from % to %', OLD.status, NEW.status USING ERRCODE = 'P0001';
    END IF;
    IF OLD.status NOT IN ('draft', 're_reviewed') AND (
        NEW.total IS DISTINCT FROM OLD.total OR NEW.arithmetic IS DISTINCT FROM OLD.arithmetic
    ) THEN
        RAISE EXCEPTION 'result % is %: its numbers can no longer change', OLD.id, OLD.status
            USING ERRCODE = 'P0001';
    END IF;
    IF OLD.status IN ('confirmed', 'published') AND (
        NEW.category IS DISTINCT FROM OLD.category OR NEW.category_reason IS DISTINCT FROM OLD.category_reason
    ) THEN
        RAISE EXCEPTION 'result % is confirmed: its category is frozen', OLD.id USING ERRCODE = 'P0001';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER result_guard BEFORE UPDATE ON evaluation.results
    FOR EACH ROW EXECUTE FUNCTION evaluation.result_guard();

CREATE TRIGGER results_not_deleted BEFORE DELETE ON evaluation.results
    FOR EACH ROW EXECUTE FUNCTION evaluation.refuse_change();
"""


def split_sql(script: str) -> list[str]:
    return [part.strip() for part in script.split("\n\n") if part.strip()]


def _cycle_fk() -> sa.Column:
    return sa.Column("cycle_id", sa.Integer(), sa.ForeignKey(f"{SCHEMA}.cycles.id"), nullable=False)


def _step(name: str) -> list[sa.Column]:
    return [sa.Column(f"{name}_at", sa.DateTime(timezone=True)), sa.Column(f"{name}_by", sa.Text())]


def upgrade() -> None:
    op.create_table(
        "result_settings",
        sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
        _cycle_fk(),
        sa.Column("aggregation_method", sa.Text(), nullable=False),
        sa.Column("min_panel_size", sa.SmallInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_by", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "aggregation_method IN ('trimmed_mean', 'mean', 'median')",
            name="ck_result_settings_method_known",
        ),
        sa.CheckConstraint("min_panel_size BETWEEN 1 AND 50", name="ck_result_settings_min_panel_size_range"),
        sa.CheckConstraint(
            "aggregation_method <> 'trimmed_mean' OR min_panel_size >= 3",
            name="ck_result_settings_trimmed_mean_needs_3",
        ),
        sa.UniqueConstraint("cycle_id", name="uq_result_settings_cycle_id"),
        schema=SCHEMA,
    )
    op.create_table(
        "grade_bands",
        sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
        _cycle_fk(),
        sa.Column("min_total", sa.Numeric(5, 2), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.CheckConstraint("min_total BETWEEN 0 AND 100", name="ck_grade_bands_min_total_range"),
        sa.CheckConstraint(f"category IN ({CATEGORIES})", name="ck_grade_bands_category_known"),
        sa.UniqueConstraint("cycle_id", "min_total", name="uq_grade_bands_cycle_id_min_total"),
        schema=SCHEMA,
    )
    op.create_table(
        "results",
        sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
        sa.Column("target_id", sa.Integer(), sa.ForeignKey(f"{SCHEMA}.targets.id"), nullable=False),
        sa.Column("review_version", sa.SmallInteger(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("total", sa.Text(), nullable=False),  # exact: a decimal or a fraction ("503/6")
        sa.Column("total_display", sa.Numeric(5, 2), nullable=False),
        sa.Column("arithmetic", postgresql.JSONB(), nullable=False),
        sa.Column("category", sa.Text()),
        sa.Column("category_source", sa.Text()),
        sa.Column("category_reason", sa.Text()),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("computed_by", sa.Text(), nullable=False),
        *_step("notified"),
        *_step("confirmed"),
        *_step("published"),
        sa.CheckConstraint(f"status IN ({STATUSES})", name="ck_results_status_known"),
        sa.CheckConstraint("review_version IN (1, 2)", name="ck_results_review_version_known"),
        sa.CheckConstraint(
            "(review_version = 1 AND status <> 're_reviewed')"
            " OR (review_version = 2 AND status IN ('re_reviewed', 'confirmed', 'published'))",
            name="ck_results_status_of_version",
        ),
        sa.CheckConstraint(
            f"category IS NULL OR category IN ({CATEGORIES})", name="ck_results_category_known"
        ),
        sa.CheckConstraint(
            "(category IS NULL) = (category_source IS NULL)"
            " AND (category_source IS NULL OR category_source IN ('bands', 'manual'))"
            " AND ((category_source = 'manual') = (length(btrim(coalesce(category_reason, ''))) > 0))",
            name="ck_results_manual_category_has_reason",
        ),
        sa.CheckConstraint(
            "(status IN ('confirmed', 'published')) = (confirmed_at IS NOT NULL AND category IS NOT NULL)",
            name="ck_results_confirmed_with_category",
        ),
        sa.CheckConstraint(
            "(status = 'published') = (published_at IS NOT NULL)", name="ck_results_published"
        ),
        sa.UniqueConstraint("target_id", "review_version", name="uq_results_target_id_review_version"),
        schema=SCHEMA,
    )
    op.create_table(
        "appeals",
        sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
        _cycle_fk(),
        sa.Column("target_id", sa.Integer(), sa.ForeignKey(f"{SCHEMA}.targets.id"), nullable=False),
        sa.Column("result_id", sa.Integer(), sa.ForeignKey(f"{SCHEMA}.results.id"), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        *_step("re_review_opened"),
        sa.CheckConstraint("length(btrim(reason)) > 0", name="ck_appeals_reason_given"),
        sa.UniqueConstraint("cycle_id", "target_id", name="uq_appeals_cycle_id_target_id"),
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
    for table in ("appeals", "results", "grade_bands", "result_settings"):
        op.drop_table(table, schema=SCHEMA)
    op.execute(f"DROP FUNCTION IF EXISTS {SCHEMA}.result_guard()")

"""Targets, rounds, phase windows and extensions, rubric scales, indicators, measurements, history.

Every table below records each change in `history` through one trigger, with the actor the service sets for
the transaction (evaluation.actor, evaluation.actor_role, evaluation.reason), as the budget service does.
The rules that two requests could race past (the 100-point weights at opening, indicators frozen once their
target is open) are checked again in triggers under a lock on the cycle row.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "evaluation"
PHASES = (
    "report_submission",
    "quantitative_measurement",
    "qualitative_interviews",
    "notification",
    "appeal",
    "re_review",
    "confirmation",
)
AUDITED = (
    "cycles",
    "targets",
    "rounds",
    "phase_windows",
    "window_extensions",
    "rubric_scales",
    "rubric_levels",
    "indicators",
    "measurements",
)

TRIGGERS = """
CREATE FUNCTION evaluation.record_history() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_row jsonb := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END;
    new_row jsonb := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END;
BEGIN
    INSERT INTO evaluation.history (table_name, record_id, action, before, after, actor, actor_role, reason)
    VALUES (
        TG_TABLE_NAME,
        coalesce(new_row, old_row) ->> 'id',
        lower(TG_OP),
        old_row,
        new_row,
        coalesce(nullif(current_setting('evaluation.actor', true), ''), 'system'),
        nullif(current_setting('evaluation.actor_role', true), ''),
        nullif(current_setting('evaluation.reason', true), '')
    );
    RETURN NULL;
END $$;

CREATE FUNCTION evaluation.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% records are immutable', TG_TABLE_NAME USING ERRCODE = 'P0001';
END $$;

CREATE TRIGGER history_immutable BEFORE UPDATE OR DELETE ON evaluation.history
    FOR EACH ROW EXECUTE FUNCTION evaluation.refuse_change();

CREATE TRIGGER window_extensions_immutable BEFORE UPDATE OR DELETE ON evaluation.window_extensions
    FOR EACH ROW EXECUTE FUNCTION evaluation.refuse_change();

CREATE TRIGGER rubric_levels_immutable BEFORE UPDATE OR DELETE ON evaluation.rubric_levels
    FOR EACH ROW EXECUTE FUNCTION evaluation.refuse_change();

-- A target opens only with common + specific weights of exactly 100 points. The cycle row is locked first,
-- as every indicator change locks it, so an indicator added concurrently is either seen here or refused.
CREATE FUNCTION evaluation.target_open_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    total bigint;
BEGIN
    IF OLD.opened_at IS NOT NULL AND NEW.opened_at IS DISTINCT FROM OLD.opened_at THEN
        RAISE EXCEPTION 'target % is already open', OLD.id USING ERRCODE = 'P0001';
    END IF;
    IF OLD.opened_at IS NULL AND NEW.opened_at IS NOT NULL THEN
        PERFORM 1 FROM evaluation.cycles WHERE id = NEW.cycle_id FOR UPDATE;
        SELECT coalesce(sum(weight), 0) INTO total FROM evaluation.indicators
            WHERE cycle_id = NEW.cycle_id AND (target_id IS NULL OR target_id = NEW.id);
        IF total <> 100 THEN
            RAISE EXCEPTION 'the weights of target % sum to % points; they must sum to exactly 100',
                NEW.id, total USING ERRCODE = 'P0001';
        END IF;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER target_open_guard BEFORE UPDATE ON evaluation.targets
    FOR EACH ROW EXECUTE FUNCTION evaluation.target_open_guard();

-- Once a target is open its indicators (its own and the cycle's common ones) are frozen.
CREATE FUNCTION evaluation.indicator_freeze_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    the_cycle integer;
    the_target integer;
    open_target integer;
BEGIN
    IF TG_OP = 'DELETE' THEN
        the_cycle := OLD.cycle_id;
        the_target := OLD.target_id;
    ELSE
        the_cycle := NEW.cycle_id;
        the_target := NEW.target_id;
    END IF;
    PERFORM 1 FROM evaluation.cycles WHERE id = the_cycle FOR UPDATE;
    SELECT id INTO open_target FROM evaluation.targets
        WHERE cycle_id = the_cycle AND opened_at IS NOT NULL AND (the_target IS NULL OR id = the_target)
        ORDER BY id LIMIT 1;
    IF open_target IS NOT NULL THEN
        RAISE EXCEPTION 'target % is open: its indicators and weights are frozen', open_target
            USING ERRCODE = 'P0001';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER indicator_freeze_guard BEFORE INSERT OR UPDATE OR DELETE ON evaluation.indicators
    FOR EACH ROW EXECUTE FUNCTION evaluation.indicator_freeze_guard();

-- An indicator is changed by PATCH: its version is its ETag (shared/preconditions.py), +1 at each UPDATE.
CREATE FUNCTION evaluation.bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.version := OLD.version + 1;
    RETURN NEW;
END $$;

CREATE TRIGGER bump_version BEFORE UPDATE ON evaluation.indicators
    FOR EACH ROW EXECUTE FUNCTION evaluation.bump_version();
"""


def split_sql(script: str) -> list[str]:
    """asyncpg runs one statement at a time: the script keeps its statements apart with blank lines."""
    return [part.strip() for part in script.split("\n\n") if part.strip()]


def _created() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
    ]


def _cycle_fk() -> sa.Column:
    return sa.Column("cycle_id", sa.Integer(), sa.ForeignKey(f"{SCHEMA}.cycles.id"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "history",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.clock_timestamp(), nullable=False),
        sa.Column("table_name", sa.Text(), nullable=False),
        sa.Column("record_id", sa.Text()),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("before", postgresql.JSONB()),
        sa.Column("after", postgresql.JSONB()),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("actor_role", sa.Text()),
        sa.Column("reason", sa.Text()),
        sa.CheckConstraint("action IN ('insert', 'update', 'delete')", name="ck_history_action_known"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_history_table_name_record_id", "history", ["table_name", "record_id", "id"], schema=SCHEMA
    )

    op.create_table(
        "targets",
        sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
        _cycle_fk(),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("district_code", sa.String(5), nullable=False),
        sa.Column("grant_id", sa.Integer()),
        sa.Column("round", sa.SmallInteger(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True)),
        sa.Column("opened_by", sa.Text()),
        *_created(),
        sa.CheckConstraint("organization_id > 0", name="ck_targets_organization_id_positive"),
        sa.CheckConstraint("grant_id > 0", name="ck_targets_grant_id_positive"),
        sa.CheckConstraint("district_code ~ '^11[0-9]{3}$'", name="ck_targets_district_code_seoul"),
        sa.CheckConstraint("round IN (1, 2)", name="ck_targets_round_known"),
        sa.CheckConstraint("(opened_at IS NULL) = (opened_by IS NULL)", name="ck_targets_opened_with_actor"),
        sa.UniqueConstraint("cycle_id", "organization_id", name="uq_targets_cycle_id_organization_id"),
        schema=SCHEMA,
    )

    op.create_table(
        "rounds",
        _cycle_fk(),
        sa.Column("round", sa.SmallInteger(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("opened_by", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("cycle_id", "round", name="pk_rounds"),
        sa.CheckConstraint("round IN (1, 2)", name="ck_rounds_round_known"),
        schema=SCHEMA,
    )

    phase_list = ", ".join(f"'{phase}'" for phase in PHASES)
    op.create_table(
        "phase_windows",
        sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
        _cycle_fk(),
        sa.Column("round", sa.SmallInteger(), nullable=False),
        sa.Column("phase", sa.Text(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("original_ends_on", sa.Date(), nullable=False),
        *_created(),
        sa.CheckConstraint("round IN (1, 2)", name="ck_phase_windows_round_known"),
        sa.CheckConstraint(f"phase IN ({phase_list})", name="ck_phase_windows_phase_known"),
        sa.CheckConstraint("starts_on <= original_ends_on", name="ck_phase_windows_starts_before_end"),
        sa.CheckConstraint("ends_on >= original_ends_on", name="ck_phase_windows_only_extended"),
        sa.UniqueConstraint("cycle_id", "round", "phase", name="uq_phase_windows_cycle_id_round_phase"),
        schema=SCHEMA,
    )
    op.create_table(
        "window_extensions",
        sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
        sa.Column(
            "window_id", sa.Integer(), sa.ForeignKey(f"{SCHEMA}.phase_windows.id"), nullable=False, index=True
        ),
        sa.Column("previous_ends_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("actor_role", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("ends_on > previous_ends_on", name="ck_window_extensions_later"),
        sa.CheckConstraint("length(btrim(reason)) > 0", name="ck_window_extensions_reason_given"),
        schema=SCHEMA,
    )

    op.create_table(
        "rubric_scales",
        sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
        _cycle_fk(),
        sa.Column("name_ko", sa.Text(), nullable=False),
        *_created(),
        schema=SCHEMA,
    )
    op.create_table(
        "rubric_levels",
        sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
        sa.Column(
            "scale_id", sa.Integer(), sa.ForeignKey(f"{SCHEMA}.rubric_scales.id"), nullable=False, index=True
        ),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("label_ko", sa.Text(), nullable=False),
        sa.Column("value", sa.Numeric(12, 4)),
        sa.Column("not_applicable", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.CheckConstraint("(value IS NULL) = not_applicable", name="ck_rubric_levels_value_unless_na"),
        sa.UniqueConstraint("scale_id", "position", name="uq_rubric_levels_scale_id_position"),
        sa.UniqueConstraint("scale_id", "label_ko", name="uq_rubric_levels_scale_id_label_ko"),
        sa.UniqueConstraint("scale_id", "value", name="uq_rubric_levels_scale_id_value"),
        schema=SCHEMA,
    )
    op.create_index(
        "uq_rubric_levels_one_na",
        "rubric_levels",
        ["scale_id"],
        unique=True,
        postgresql_where=sa.text("not_applicable"),
        schema=SCHEMA,
    )

    op.create_table(
        "indicators",
        sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
        _cycle_fk(),
        sa.Column("target_id", sa.Integer(), sa.ForeignKey(f"{SCHEMA}.targets.id")),
        sa.Column("name_ko", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text()),
        sa.Column("measure", sa.Text(), nullable=False),
        sa.Column("ascending", sa.Boolean()),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("baseline", sa.Numeric(20, 6)),
        sa.Column("target_value", sa.Numeric(20, 6)),
        sa.Column("rubric_id", sa.Integer(), sa.ForeignKey(f"{SCHEMA}.rubric_scales.id")),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        *_created(),
        sa.CheckConstraint(
            "measure IN ('unit', 'percentage', 'ordinal', 'qualitative')", name="ck_indicators_measure_known"
        ),
        sa.CheckConstraint("weight BETWEEN 1 AND 100", name="ck_indicators_weight_points"),
        sa.CheckConstraint(
            "(measure = 'qualitative') = (rubric_id IS NOT NULL)", name="ck_indicators_rubric_iff_qualitative"
        ),
        sa.CheckConstraint(
            "measure <> 'qualitative' OR (ascending IS NULL AND baseline IS NULL AND target_value IS NULL)",
            name="ck_indicators_qualitative_has_no_numbers",
        ),
        sa.CheckConstraint(
            "measure = 'qualitative' OR ascending IS NOT NULL", name="ck_indicators_quantitative_direction"
        ),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_indicators_cycle_id_target_id", "indicators", ["cycle_id", "target_id"], schema=SCHEMA
    )

    op.create_table(
        "measurements",
        sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
        sa.Column("target_id", sa.Integer(), sa.ForeignKey(f"{SCHEMA}.targets.id"), nullable=False),
        sa.Column("indicator_id", sa.Integer(), sa.ForeignKey(f"{SCHEMA}.indicators.id"), nullable=False),
        sa.Column("actual", sa.Numeric(20, 6), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        sa.UniqueConstraint("target_id", "indicator_id", name="uq_measurements_target_id_indicator_id"),
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
    op.execute(f"DROP TRIGGER IF EXISTS record_history ON {SCHEMA}.cycles")
    for table in ("measurements", "indicators", "rubric_levels", "rubric_scales", "window_extensions"):
        op.drop_table(table, schema=SCHEMA)
    for table in ("phase_windows", "rounds", "targets", "history"):
        op.drop_table(table, schema=SCHEMA)
    functions = (
        "bump_version",
        "indicator_freeze_guard",
        "target_open_guard",
        "refuse_change",
        "record_history",
    )
    for function in functions:
        op.execute(f"DROP FUNCTION IF EXISTS {SCHEMA}.{function}()")

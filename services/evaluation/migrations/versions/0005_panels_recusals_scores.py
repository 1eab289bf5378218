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

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "evaluation"
AUDITED = ("panel_members", "panel_member_ties", "recusals", "scores")

TRIGGERS = """
CREATE FUNCTION evaluation.lock_panel(the_cycle integer) RETURNS void LANGUAGE sql AS $$
    SELECT pg_advisory_xact_lock(hashtext('evaluation.panel'), the_cycle);
$$;

CREATE VIEW evaluation.panel_target_ties AS
SELECT m.id AS panel_member_id, t.id AS target_id,
       array_agg(k.organization_id ORDER BY k.organization_id) AS organization_ids,
       string_agg(k.organization_id::text || ' (' || k.reason || ')', ', ' ORDER BY k.organization_id) AS ties
FROM evaluation.panel_members m
JOIN evaluation.panel_member_ties k ON k.panel_member_id = m.id
JOIN evaluation.targets t ON t.cycle_id = m.cycle_id AND t.round = m.round
    AND (k.organization_id = t.organization_id OR k.organization_id = ANY (t.member_organization_ids))
GROUP BY m.id, t.id;

CREATE FUNCTION evaluation.refresh_exclusions(the_cycle integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM evaluation.lock_panel(the_cycle);
    INSERT INTO evaluation.recusals AS r
        (panel_member_id, target_id, ground, status, reason, requested_by, decided_by, decided_at)
    SELECT v.panel_member_id, v.target_id, 'exclusion', 'upheld',
           'tied to organisation(s) ' || v.ties,
           coalesce(nullif(current_setting('evaluation.actor', true), ''), 'system'), 'system', now()
    FROM evaluation.panel_target_ties v
    JOIN evaluation.panel_members m ON m.id = v.panel_member_id
    WHERE m.cycle_id = the_cycle
    ON CONFLICT (panel_member_id, target_id) WHERE ground = 'exclusion'
    DO UPDATE SET status = 'upheld', reason = EXCLUDED.reason, decided_at = now()
        WHERE r.status <> 'upheld' OR r.reason <> EXCLUDED.reason;
    UPDATE evaluation.recusals r SET status = 'lifted', decided_at = now()
    FROM evaluation.panel_members m
    WHERE m.id = r.panel_member_id AND m.cycle_id = the_cycle
      AND r.ground = 'exclusion' AND r.status = 'upheld'
      AND NOT EXISTS (
          SELECT 1 FROM evaluation.panel_target_ties v
          WHERE v.panel_member_id = r.panel_member_id AND v.target_id = r.target_id
      );
END $$;

CREATE FUNCTION evaluation.ties_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    the_member integer;
    the_cycle integer;
BEGIN
    IF TG_OP = 'DELETE' THEN
        the_member := OLD.panel_member_id;
    ELSE
        the_member := NEW.panel_member_id;
    END IF;
    SELECT cycle_id INTO the_cycle FROM evaluation.panel_members WHERE id = the_member;
    PERFORM evaluation.refresh_exclusions(the_cycle);
    RETURN NULL;
END $$;

CREATE TRIGGER ties_changed AFTER INSERT OR UPDATE OR DELETE ON evaluation.panel_member_ties
    FOR EACH ROW EXECUTE FUNCTION evaluation.ties_changed();

CREATE FUNCTION evaluation.target_organisations_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM evaluation.refresh_exclusions(NEW.cycle_id);
    RETURN NULL;
END $$;

CREATE TRIGGER target_organisations_changed
    AFTER INSERT OR UPDATE OF organization_id, member_organization_ids, round ON evaluation.targets
    FOR EACH ROW EXECUTE FUNCTION evaluation.target_organisations_changed();

CREATE FUNCTION evaluation.recusal_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    challenged text;
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'recusals are never deleted' USING ERRCODE = 'P0001';
    END IF;
    -- Ordered with any score write of the rater (which holds this row FOR SHARE).
    SELECT subject INTO challenged FROM evaluation.panel_members WHERE id = NEW.panel_member_id FOR UPDATE;
    IF TG_OP = 'UPDATE' THEN
        IF (NEW.panel_member_id, NEW.target_id, NEW.ground, NEW.requested_by, NEW.requested_at)
            IS DISTINCT FROM
            (OLD.panel_member_id, OLD.target_id, OLD.ground, OLD.requested_by, OLD.requested_at)
        THEN
            RAISE EXCEPTION 'recusal % keeps its rater, target, ground and request', OLD.id
                USING ERRCODE = 'P0001';
        END IF;
        IF OLD.ground = 'withdrawal' OR (OLD.ground = 'challenge' AND OLD.status <> 'pending') THEN
            RAISE EXCEPTION 'recusal % was already decided (%)', OLD.id, OLD.status
                USING ERRCODE = 'P0001', CONSTRAINT = 'recusal_decided';
        END IF;
    END IF;
    IF NEW.ground = 'challenge' AND NEW.decided_by = challenged THEN
        RAISE EXCEPTION 'the challenged rater cannot decide the challenge'
            USING ERRCODE = 'P0001', CONSTRAINT = 'recusal_decided_by_challenged';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER recusal_guard BEFORE INSERT OR UPDATE OR DELETE ON evaluation.recusals
    FOR EACH ROW EXECUTE FUNCTION evaluation.recusal_guard();

CREATE FUNCTION evaluation.score_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    member evaluation.panel_members%ROWTYPE;
    the_target evaluation.targets%ROWTYPE;
    the_indicator evaluation.indicators%ROWTYPE;
    recused_ground text;
    recused_status text;
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'scores are never deleted' USING ERRCODE = 'P0001';
    END IF;
    IF TG_OP = 'UPDATE' THEN
        IF OLD.status = 'submitted' THEN
            RAISE EXCEPTION 'score % was submitted: submitted scores are never changed', OLD.id
                USING ERRCODE = 'P0001', CONSTRAINT = 'score_submitted';
        END IF;
        IF (NEW.target_id, NEW.indicator_id, NEW.panel_member_id, NEW.version)
            IS DISTINCT FROM (OLD.target_id, OLD.indicator_id, OLD.panel_member_id, OLD.version)
        THEN
            RAISE EXCEPTION 'score % keeps its target, indicator, rater and version', OLD.id
                USING ERRCODE = 'P0001';
        END IF;
    END IF;
    -- Waits for a recusal or a replacement of the rater in flight, then sees it.
    SELECT * INTO member FROM evaluation.panel_members WHERE id = NEW.panel_member_id FOR SHARE;
    SELECT * INTO the_target FROM evaluation.targets WHERE id = NEW.target_id;
    IF NOT member.active OR member.cycle_id <> the_target.cycle_id OR member.round <> the_target.round THEN
        RAISE EXCEPTION 'rater % is not an active member of the panel of target %', member.id, the_target.id
            USING ERRCODE = 'P0001', CONSTRAINT = 'score_rater_not_on_panel';
    END IF;
    IF NEW.version <> the_target.review_version THEN
        RAISE EXCEPTION 'target % is in review version %, not %', the_target.id, the_target.review_version,
            NEW.version USING ERRCODE = 'P0001', CONSTRAINT = 'score_version_not_current';
    END IF;
    SELECT ground, status INTO recused_ground, recused_status FROM evaluation.recusals
        WHERE panel_member_id = member.id AND target_id = the_target.id
          AND (status = 'upheld' OR (ground = 'challenge' AND status = 'pending'))
        ORDER BY (status = 'upheld') DESC, id LIMIT 1;
    IF recused_status = 'upheld' THEN
        RAISE EXCEPTION 'rater % is recused from target % (%)', member.id, the_target.id, recused_ground
            USING ERRCODE = 'P0001', CONSTRAINT = 'score_rater_' || recused_ground;
    ELSIF recused_status = 'pending' THEN
        RAISE EXCEPTION 'rater % is challenged for target % and cannot score until it is decided',
            member.id, the_target.id USING ERRCODE = 'P0001', CONSTRAINT = 'score_rater_challenge_pending';
    END IF;
    IF NEW.status = 'draft' AND EXISTS (
        SELECT 1 FROM evaluation.scores
        WHERE panel_member_id = NEW.panel_member_id AND target_id = NEW.target_id AND version = NEW.version
          AND status = 'submitted'
    ) THEN
        RAISE EXCEPTION 'rater % already submitted the sheet of target %', member.id, the_target.id
            USING ERRCODE = 'P0001', CONSTRAINT = 'score_submitted';
    END IF;
    SELECT * INTO the_indicator FROM evaluation.indicators WHERE id = NEW.indicator_id;
    IF the_indicator.cycle_id <> the_target.cycle_id
        OR (the_indicator.target_id IS NOT NULL AND the_indicator.target_id <> the_target.id)
    THEN
        RAISE EXCEPTION 'indicator % is not an indicator of target %', the_indicator.id, the_target.id
            USING ERRCODE = 'P0001', CONSTRAINT = 'score_indicator_not_of_target';
    END IF;
    IF the_indicator.measure = 'qualitative' THEN
        IF NEW.rubric_level_id IS NULL OR NOT EXISTS (
            SELECT 1 FROM evaluation.rubric_levels
            WHERE id = NEW.rubric_level_id AND scale_id = the_indicator.rubric_id
        ) THEN
            RAISE EXCEPTION 'indicator % is scored with a level of rubric %', the_indicator.id,
                the_indicator.rubric_id USING ERRCODE = 'P0001', CONSTRAINT = 'score_level_not_of_rubric';
        END IF;
    ELSIF NEW.points IS NULL OR NEW.points < 0 OR NEW.points > the_indicator.weight THEN
        RAISE EXCEPTION 'indicator % is scored with points from 0 to %', the_indicator.id,
            the_indicator.weight USING ERRCODE = 'P0001', CONSTRAINT = 'score_points_range';
    END IF;
    NEW.updated_at := now();
    IF NEW.status = 'submitted' AND (TG_OP = 'INSERT' OR OLD.status = 'draft') THEN
        NEW.submitted_at := now();
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER score_guard BEFORE INSERT OR UPDATE OR DELETE ON evaluation.scores
    FOR EACH ROW EXECUTE FUNCTION evaluation.score_guard();

CREATE FUNCTION evaluation.sheet_complete() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing text;
BEGIN
    SELECT string_agg(i.id::text, ', ' ORDER BY i.id) INTO missing
    FROM evaluation.indicators i
    JOIN evaluation.targets t ON t.id = NEW.target_id
    WHERE i.cycle_id = t.cycle_id AND (i.target_id IS NULL OR i.target_id = t.id)
      AND NOT EXISTS (
          SELECT 1 FROM evaluation.scores s
          WHERE s.target_id = NEW.target_id AND s.indicator_id = i.id
            AND s.panel_member_id = NEW.panel_member_id
            AND s.version = NEW.version AND s.status = 'submitted'
      );
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'the sheet of rater % for target % lacks submitted scores of indicator(s) %',
            NEW.panel_member_id, NEW.target_id, missing
            USING ERRCODE = 'P0001', CONSTRAINT = 'score_sheet_incomplete';
    END IF;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER sheet_complete AFTER INSERT OR UPDATE ON evaluation.scores
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.status = 'submitted')
    EXECUTE FUNCTION evaluation.sheet_complete();
"""


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
    op.drop_constraint("ck_targets_member_organization_ids_positive", "targets", schema=SCHEMA)
    op.drop_constraint("ck_targets_review_version_known", "targets", schema=SCHEMA)
    op.drop_column("targets", "member_organization_ids", schema=SCHEMA)
    op.drop_column("targets", "review_version", schema=SCHEMA)

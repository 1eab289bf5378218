"""Funded projects after selection: budget lines, milestones, itemised expenditures, amendments, a timeline.

The money rules live here, where racing requests cannot get around them:
* a budget line's `spent_krw` never passes its `amount_krw` (CHECK), and an expenditure is charged under the
  line's row lock (trigger `expenditure_charge`), so racing expenditures are serialised per line;
* a project's `budget_krw` is the sum of its lines (trigger `line_amount_total`);
* a project's milestone weights never sum past 100, and progress is reported only once they are exactly 100;
* one open amendment per project (partial unique index), so cumulative changes are judged one at a time;
* every status and progress change, expenditure and amendment step is written to `project_timeline` with the
  actor from the transaction's `budget.*` settings; expenditures and the timeline are immutable.

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "budget"

# 지방자치단체 세출예산 과목 (expenditure items of the local-government budget): the code seed 001 uses
# and its neighbours. Data, so the city can add the codes it needs.
ACCOUNT_CODES: list[dict[str, str]] = [
    {"code": "201-01", "name_ko": "사무관리비", "name_en": "Office expenses", "source": "seed 001"},
    {"code": "201-02", "name_ko": "공공운영비", "name_en": "Public operating expenses", "source": "seed 002"},
    {"code": "201-03", "name_ko": "행사운영비", "name_en": "Event operating expenses", "source": "seed 002"},
    {"code": "202-01", "name_ko": "국내여비", "name_en": "Domestic travel", "source": "seed 002"},
]

PROJECT_STATUSES = ("planned", "in_progress", "done", "cancelled")
MILESTONE_STATUSES = ("planned", "in_progress", "done")
AMENDMENT_STATUSES = (
    "pending_council",
    "council_approved",
    "council_refused",
    "requested",
    "approved",
    "rejected",
)

TRIGGERS = """
CREATE FUNCTION budget.project_status_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    progress integer;
BEGIN
    IF NEW.status IS DISTINCT FROM OLD.status THEN
        IF NOT (OLD.status, NEW.status) IN (('planned', 'in_progress'), ('planned', 'cancelled'),
                                            ('in_progress', 'done'), ('in_progress', 'cancelled')) THEN
            RAISE EXCEPTION 'project % cannot go from % to %', OLD.id, OLD.status, NEW.status
                USING ERRCODE = 'P0001';
        END IF;
        IF NEW.status = 'done' THEN
            SELECT coalesce(sum(weight) FILTER (WHERE status = 'done'), 0) INTO progress
                FROM budget.milestones WHERE project_id = NEW.id;
            IF progress <> 100 THEN
                RAISE EXCEPTION 'project % is % %% done; it is done at 100 %%', NEW.id, progress
                    USING ERRCODE = 'P0001';
            END IF;
        END IF;
    END IF;
    NEW.updated_at := now();
    RETURN NEW;
END $$;

CREATE TRIGGER project_status_guard BEFORE UPDATE ON budget.projects
    FOR EACH ROW EXECUTE FUNCTION budget.project_status_guard();

CREATE FUNCTION budget.line_amount_total() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE budget.projects SET budget_krw = (
        SELECT coalesce(sum(amount_krw), 0) FROM budget.budget_lines WHERE project_id = NEW.project_id
    ) WHERE id = NEW.project_id;
    RETURN NULL;
END $$;

CREATE TRIGGER line_amount_total AFTER INSERT OR UPDATE OF amount_krw ON budget.budget_lines
    FOR EACH ROW EXECUTE FUNCTION budget.line_amount_total();

-- Weights are counted under the project's row lock: two racing milestones cannot both fit under 100.
CREATE FUNCTION budget.milestone_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    total integer;
    project_status text;
BEGIN
    SELECT status INTO project_status FROM budget.projects WHERE id = NEW.project_id FOR UPDATE;
    SELECT coalesce(sum(weight), 0) INTO total FROM budget.milestones
        WHERE project_id = NEW.project_id AND id IS DISTINCT FROM NEW.id;
    IF TG_OP = 'INSERT' OR NEW.weight <> OLD.weight THEN
        IF total + NEW.weight > 100 THEN
            RAISE EXCEPTION 'milestone weights of project % would sum to % + % = %, over 100',
                NEW.project_id, total, NEW.weight, total + NEW.weight USING ERRCODE = 'P0001';
        END IF;
    END IF;
    IF TG_OP = 'INSERT' THEN
        IF NEW.status <> 'planned' THEN
            RAISE EXCEPTION 'a new milestone is planned, not %', NEW.status USING ERRCODE = 'P0001';
        END IF;
    ELSIF NEW.status IS DISTINCT FROM OLD.status THEN
        IF NOT (OLD.status, NEW.status) IN (('planned', 'in_progress'), ('planned', 'done'),
                                            ('in_progress', 'done')) THEN
            RAISE EXCEPTION 'milestone % cannot go from % to %', OLD.id, OLD.status, NEW.status
                USING ERRCODE = 'P0001';
        END IF;
        IF total + NEW.weight <> 100 THEN
            RAISE EXCEPTION 'milestone weights of project % sum to %, not 100: report progress once they do',
                NEW.project_id, total + NEW.weight USING ERRCODE = 'P0001';
        END IF;
        IF project_status <> 'in_progress' THEN
            RAISE EXCEPTION 'project % is %; progress is reported while it is in_progress',
                NEW.project_id, project_status USING ERRCODE = 'P0001';
        END IF;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER milestone_guard BEFORE INSERT OR UPDATE ON budget.milestones
    FOR EACH ROW EXECUTE FUNCTION budget.milestone_guard();

-- The charge is made under the line's row lock; the CHECK on budget_lines is the last word.
CREATE FUNCTION budget.expenditure_charge() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    line record;
    project_status text;
BEGIN
    SELECT status INTO project_status FROM budget.projects WHERE id = NEW.project_id FOR SHARE;
    IF project_status NOT IN ('planned', 'in_progress') THEN
        RAISE EXCEPTION 'project % is %; nothing more can be spent on it', NEW.project_id, project_status
            USING ERRCODE = 'P0001';
    END IF;
    SELECT * INTO line FROM budget.budget_lines WHERE id = NEW.line_id AND project_id = NEW.project_id
        FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'project % has no budget line %', NEW.project_id, NEW.line_id USING ERRCODE = 'P0001';
    END IF;
    IF line.spent_krw + NEW.amount_krw > line.amount_krw THEN
        RAISE EXCEPTION 'budget line % has % KRW left (% − % spent); % KRW is too much',
            line.id, line.amount_krw - line.spent_krw, line.amount_krw, line.spent_krw, NEW.amount_krw
            USING ERRCODE = 'P0001';
    END IF;
    UPDATE budget.budget_lines SET spent_krw = spent_krw + NEW.amount_krw WHERE id = NEW.line_id;
    RETURN NEW;
END $$;

CREATE TRIGGER expenditure_charge BEFORE INSERT ON budget.expenditures
    FOR EACH ROW EXECUTE FUNCTION budget.expenditure_charge();

CREATE TRIGGER expenditures_immutable BEFORE UPDATE OR DELETE ON budget.expenditures
    FOR EACH ROW EXECUTE FUNCTION budget.refuse_change();

CREATE FUNCTION budget.timeline_write(
    p_project integer, p_kind text, p_subject bigint, p_from text, p_to text, p_amount bigint
) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO budget.project_timeline
        (project_id, kind, subject_id, from_status, to_status, progress, amount_krw,
         actor, actor_role, reason)
    VALUES (
        p_project, p_kind, p_subject, p_from, p_to,
        (SELECT coalesce(sum(weight) FILTER (WHERE status = 'done'), 0)::integer
            FROM budget.milestones WHERE project_id = p_project),
        p_amount,
        coalesce(nullif(current_setting('budget.actor', true), ''), 'system'),
        nullif(current_setting('budget.actor_role', true), ''),
        nullif(current_setting('budget.reason', true), '')
    );
END $$;

CREATE FUNCTION budget.project_timeline_log() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'projects' THEN
        IF TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status THEN
            PERFORM budget.timeline_write(NEW.id, 'project', NEW.id,
                CASE WHEN TG_OP = 'UPDATE' THEN OLD.status END, NEW.status, NEW.approved_budget_krw);
        END IF;
    ELSIF TG_TABLE_NAME = 'milestones' THEN
        IF TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status THEN
            PERFORM budget.timeline_write(NEW.project_id, 'milestone', NEW.id,
                CASE WHEN TG_OP = 'UPDATE' THEN OLD.status END, NEW.status, NULL);
        END IF;
    ELSIF TG_TABLE_NAME = 'amendments' THEN
        IF TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status THEN
            PERFORM budget.timeline_write(NEW.project_id, 'amendment', NEW.id,
                CASE WHEN TG_OP = 'UPDATE' THEN OLD.status END, NEW.status, NEW.budget_after_krw);
        END IF;
    ELSIF TG_TABLE_NAME = 'expenditures' THEN
        PERFORM budget.timeline_write(NEW.project_id, 'expenditure', NEW.id, NULL, NULL, NEW.amount_krw);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER projects_timeline AFTER INSERT OR UPDATE OF status ON budget.projects
    FOR EACH ROW EXECUTE FUNCTION budget.project_timeline_log();

CREATE TRIGGER milestones_timeline AFTER INSERT OR UPDATE OF status ON budget.milestones
    FOR EACH ROW EXECUTE FUNCTION budget.project_timeline_log();

CREATE TRIGGER amendments_timeline AFTER INSERT OR UPDATE OF status ON budget.amendments
    FOR EACH ROW EXECUTE FUNCTION budget.project_timeline_log();

CREATE TRIGGER expenditures_timeline AFTER INSERT ON budget.expenditures
    FOR EACH ROW EXECUTE FUNCTION budget.project_timeline_log();

CREATE TRIGGER project_timeline_immutable BEFORE UPDATE OR DELETE ON budget.project_timeline
    FOR EACH ROW EXECUTE FUNCTION budget.refuse_change();
"""


def split_sql(script: str) -> list[str]:
    """asyncpg runs one statement at a time: the script keeps its statements apart with blank lines."""
    return [part.strip() for part in script.split("\n\n") if part.strip()]


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _created() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
    ]


def upgrade() -> None:
    codes = op.create_table(
        "account_codes",
        sa.Column("code", sa.Text(), primary_key=True),
        sa.Column("name_ko", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text()),
        sa.Column("source", sa.Text()),
        sa.CheckConstraint("code ~ '^[0-9]{3}-[0-9]{2}$'", name="ck_account_codes_code_shape"),
        schema=SCHEMA,
    )
    op.bulk_insert(codes, ACCOUNT_CODES)

    op.create_table(
        "projects",
        sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
        sa.Column("election_id", sa.Integer(), sa.ForeignKey(f"{SCHEMA}.elections.id"), nullable=False),
        sa.Column("election_project_id", sa.Text(), nullable=False),
        sa.Column("outcome_id", sa.BigInteger(), sa.ForeignKey(f"{SCHEMA}.outcomes.id"), nullable=False),
        sa.Column("proposal_id", sa.Integer(), sa.ForeignKey(f"{SCHEMA}.proposals.id")),
        sa.Column("district_code", sa.String(5), nullable=False),
        sa.Column("title_ko", sa.Text(), nullable=False),
        sa.Column("budget_krw", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("approved_budget_krw", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False, server_default="planned"),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        *_created(),
        sa.CheckConstraint(_in("status", PROJECT_STATUSES), name="ck_projects_status_known"),
        sa.CheckConstraint("budget_krw >= 0 AND approved_budget_krw > 0", name="ck_projects_amounts"),
        sa.CheckConstraint("district_code ~ '^11[0-9]{3}$'", name="ck_projects_district_code_seoul"),
        sa.UniqueConstraint(
            "election_id", "election_project_id", name="uq_projects_election_id_election_project_id"
        ),
        schema=SCHEMA,
    )
    op.create_index("ix_projects_district_code_id", "projects", ["district_code", "id"], schema=SCHEMA)

    op.create_table(
        "budget_lines",
        sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
        sa.Column("project_id", sa.Integer(), sa.ForeignKey(f"{SCHEMA}.projects.id"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name_ko", sa.Text(), nullable=False),
        sa.Column("amount_krw", sa.BigInteger(), nullable=False),
        sa.Column("approved_amount_krw", sa.BigInteger(), nullable=False),
        sa.Column("spent_krw", sa.BigInteger(), nullable=False, server_default="0"),
        sa.CheckConstraint(
            "amount_krw >= 0 AND approved_amount_krw >= 0 AND spent_krw >= 0",
            name="ck_budget_lines_non_negative",
        ),
        sa.CheckConstraint("spent_krw <= amount_krw", name="ck_budget_lines_within_amount"),
        sa.UniqueConstraint("project_id", "name_ko", name="uq_budget_lines_project_id_name_ko"),
        sa.UniqueConstraint("project_id", "position", name="uq_budget_lines_project_id_position"),
        schema=SCHEMA,
    )

    op.create_table(
        "milestones",
        sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
        sa.Column("project_id", sa.Integer(), sa.ForeignKey(f"{SCHEMA}.projects.id"), nullable=False),
        sa.Column("title_ko", sa.Text(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False, server_default="planned"),
        sa.Column("done_on", sa.Date()),
        *_created(),
        sa.CheckConstraint("weight BETWEEN 1 AND 100", name="ck_milestones_weight_range"),
        sa.CheckConstraint(_in("status", MILESTONE_STATUSES), name="ck_milestones_status_known"),
        sa.CheckConstraint("(status = 'done') = (done_on IS NOT NULL)", name="ck_milestones_done_has_date"),
        schema=SCHEMA,
    )
    op.create_index("ix_milestones_project_id", "milestones", ["project_id"], schema=SCHEMA)

    op.create_table(
        "expenditures",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("project_id", sa.Integer(), sa.ForeignKey(f"{SCHEMA}.projects.id"), nullable=False),
        sa.Column("line_id", sa.Integer(), sa.ForeignKey(f"{SCHEMA}.budget_lines.id"), nullable=False),
        sa.Column("account_code", sa.Text(), sa.ForeignKey(f"{SCHEMA}.account_codes.code"), nullable=False),
        sa.Column("item_ko", sa.Text(), nullable=False),
        sa.Column("event_ko", sa.Text()),
        sa.Column("unit_price_krw", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("amount_krw", sa.BigInteger(), nullable=False),
        sa.Column("spent_on", sa.Date(), nullable=False),
        sa.Column("payee", sa.Text(), nullable=False),
        sa.Column("receipt_ref", sa.Text(), nullable=False),
        *_created(),
        sa.CheckConstraint("unit_price_krw >= 0 AND quantity >= 1", name="ck_expenditures_positive"),
        sa.CheckConstraint(
            "amount_krw = unit_price_krw * quantity", name="ck_expenditures_amount_is_product"
        ),
        schema=SCHEMA,
    )
    op.create_index("ix_expenditures_project_id_id", "expenditures", ["project_id", "id"], schema=SCHEMA)

    op.create_table(
        "amendments",
        sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
        sa.Column("project_id", sa.Integer(), sa.ForeignKey(f"{SCHEMA}.projects.id"), nullable=False),
        sa.Column("route", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("transfer", sa.Boolean(), nullable=False),
        sa.Column("reason_ko", sa.Text(), nullable=False),
        sa.Column("changes", sa.dialects.postgresql.JSONB(), nullable=False),
        sa.Column("baseline_krw", sa.BigInteger(), nullable=False),
        sa.Column("budget_before_krw", sa.BigInteger(), nullable=False),
        sa.Column("budget_after_krw", sa.BigInteger(), nullable=False),
        sa.Column("council_decision_id", sa.Integer()),
        sa.Column("requested_on", sa.Date(), nullable=False),
        sa.Column("council_checked_at", sa.DateTime(timezone=True)),
        sa.Column("council_check_note", sa.Text()),
        sa.Column("decided_by", sa.Text()),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.Column("decision_reason", sa.Text()),
        *_created(),
        sa.CheckConstraint("route IN ('council', 'city')", name="ck_amendments_route_known"),
        sa.CheckConstraint(_in("status", AMENDMENT_STATUSES), name="ck_amendments_status_known"),
        sa.CheckConstraint(
            "(route = 'council') = (status IN ('pending_council', 'council_approved', 'council_refused'))",
            name="ck_amendments_status_of_route",
        ),
        sa.CheckConstraint(
            "route = 'city' OR council_decision_id IS NOT NULL", name="ck_amendments_council_cites_decision"
        ),
        sa.CheckConstraint(
            "status NOT IN ('rejected', 'council_refused') OR decision_reason IS NOT NULL",
            name="ck_amendments_refusal_has_reason",
        ),
        schema=SCHEMA,
    )
    op.create_index(
        "uq_amendments_one_open_per_project",
        "amendments",
        ["project_id"],
        unique=True,
        schema=SCHEMA,
        postgresql_where=sa.text("status IN ('pending_council', 'requested')"),
    )

    op.create_table(
        "project_timeline",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("project_id", sa.Integer(), sa.ForeignKey(f"{SCHEMA}.projects.id"), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("subject_id", sa.BigInteger(), nullable=False),
        sa.Column("from_status", sa.Text()),
        sa.Column("to_status", sa.Text()),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("amount_krw", sa.BigInteger()),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("actor_role", sa.Text()),
        sa.Column("reason", sa.Text()),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.clock_timestamp(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('project', 'milestone', 'amendment', 'expenditure')",
            name="ck_project_timeline_kind_known",
        ),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_project_timeline_project_id_id", "project_timeline", ["project_id", "id"], schema=SCHEMA
    )

    for statement in split_sql(TRIGGERS):
        op.execute(statement)


def downgrade() -> None:
    for trigger, table in (
        ("project_timeline_immutable", "project_timeline"),
        ("expenditures_timeline", "expenditures"),
        ("amendments_timeline", "amendments"),
        ("milestones_timeline", "milestones"),
        ("projects_timeline", "projects"),
        ("expenditures_immutable", "expenditures"),
        ("expenditure_charge", "expenditures"),
        ("milestone_guard", "milestones"),
        ("line_amount_total", "budget_lines"),
        ("project_status_guard", "projects"),
    ):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON budget.{table}")
    for table in ("project_timeline", "amendments", "expenditures", "milestones", "budget_lines", "projects"):
        op.drop_table(table, schema=SCHEMA)
    op.drop_table("account_codes", schema=SCHEMA)
    op.execute("DROP FUNCTION IF EXISTS budget.timeline_write(integer, text, bigint, text, text, bigint)")
    for function in (
        "project_timeline_log",
        "expenditure_charge",
        "milestone_guard",
        "line_amount_total",
        "project_status_guard",
    ):
        op.execute(f"DROP FUNCTION IF EXISTS budget.{function}()")

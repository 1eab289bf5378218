"""Programme budget tree, district funding assignments, grant policies, grants, evaluation results, history.

Money is whole KRW (BIGINT) everywhere. The rules two requests could race past are checked again in
PostgreSQL, under a lock on the row that serialises them:

* a programme parent equals the sum of its children: a DEFERRABLE INITIALLY DEFERRED constraint trigger, so a
  batch may change a child and its ancestors in one transaction and the tree is checked at COMMIT;
* a district's envelopes and awarded grants of a year stay within its funding type's cap: triggers on
  envelopes and grants lock the district's `district_funding` row of that year and sum again;
* a grant's 시비 + 구비 shares equal its amount (CHECK).

Every new table (and `funding_types`, now correctable) records each change in `history` through one trigger,
with the actor the service sets for the transaction (budget.actor, budget.actor_role, budget.reason).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "budget"
FUNDING_SOURCE = (
    "seed 003 (2017-02-22, 2017년 협치서울 추진계획), <시민참여예산 지역참여형사업 유형과 지원예산 규모(안)>:"
    " a reading of a garbled table"
)
HISTORY_TABLES = (
    "funding_types",
    "programme_nodes",
    "district_funding",
    "grant_policies",
    "grant_phases",
    "grants",
    "evaluation_results",
)

# Each audited table's history trigger, created after the functions and triggers of the .sql file.
HISTORY_TRIGGERS = tuple(
    f"""
        CREATE TRIGGER {table}_history AFTER INSERT OR UPDATE OR DELETE ON budget.{table}
            FOR EACH ROW EXECUTE FUNCTION budget.record_history()
        """
    for table in HISTORY_TABLES
)


def _statements() -> list[str]:
    """The statements of `0007_programme_funding_grants.sql`, apart with blank lines (a block of `--` lines is
    a comment). Each is run as the string this revision always ran, as it stood in Python: a newline, the
    block, a newline and the block's indentation."""
    text = Path(__file__).with_suffix(".sql").read_text(encoding="utf-8")
    blocks = [block for block in text.rstrip("\n").split("\n\n") if not block.lstrip().startswith("--")]
    return [f"\n{block}\n{block[: len(block) - len(block.lstrip(' '))]}" for block in blocks]


def _created() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
    ]


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

    op.add_column("funding_types", sa.Column("source", sa.Text()), schema=SCHEMA)
    op.execute(sa.text("UPDATE budget.funding_types SET source = :source").bindparams(source=FUNDING_SOURCE))
    for column in ("district_grant_krw", "max_total_krw", "max_integration_krw", "innovation_plan_krw"):
        op.create_check_constraint(
            f"ck_funding_types_{column}_non_negative", "funding_types", f"{column} >= 0", schema=SCHEMA
        )
    op.create_check_constraint(
        "ck_funding_types_neighbourhood_plan_krw_non_negative",
        "funding_types",
        "neighbourhood_plan_krw >= 0",
        schema=SCHEMA,
    )

    op.create_table(
        "programme_nodes",
        sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("parent_code", sa.Text()),
        sa.Column("name_ko", sa.Text(), nullable=False),
        sa.Column("amount_krw", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text()),
        *_created(),
        sa.CheckConstraint("amount_krw >= 0", name="ck_programme_nodes_amount_non_negative"),
        sa.CheckConstraint("fiscal_year BETWEEN 2000 AND 2100", name="ck_programme_nodes_fiscal_year_range"),
        sa.UniqueConstraint("fiscal_year", "code", name="uq_programme_nodes_fiscal_year_code"),
        sa.ForeignKeyConstraint(
            ["fiscal_year", "parent_code"],
            [f"{SCHEMA}.programme_nodes.fiscal_year", f"{SCHEMA}.programme_nodes.code"],
            name="fk_programme_nodes_parent",
            deferrable=True,
            initially="DEFERRED",
        ),
        schema=SCHEMA,
    )
    op.create_index(
        "uq_programme_nodes_root",
        "programme_nodes",
        ["fiscal_year"],
        unique=True,
        postgresql_where=sa.text("parent_code IS NULL"),
        schema=SCHEMA,
    )

    op.create_table(
        "district_funding",
        sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
        sa.Column("district_code", sa.String(5), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("funding_type", sa.Text(), sa.ForeignKey(f"{SCHEMA}.funding_types.code"), nullable=False),
        sa.Column("neighbourhoods", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text()),
        *_created(),
        sa.CheckConstraint("district_code ~ '^11[0-9]{3}$'", name="ck_district_funding_district_code_seoul"),
        sa.CheckConstraint("neighbourhoods BETWEEN 0 AND 1000", name="ck_district_funding_neighbourhoods"),
        sa.CheckConstraint("fiscal_year BETWEEN 2000 AND 2100", name="ck_district_funding_fiscal_year"),
        sa.UniqueConstraint(
            "district_code", "fiscal_year", name="uq_district_funding_district_code_fiscal_year"
        ),
        schema=SCHEMA,
    )

    op.create_table(
        "grant_policies",
        sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("planning_max_krw", sa.BigInteger()),
        sa.Column("plan_total_krw", sa.BigInteger()),
        sa.Column("yearly_max_krw", sa.BigInteger()),
        sa.Column("max_years", sa.SmallInteger()),
        sa.Column("increase_percent", sa.SmallInteger()),
        sa.Column("reduce_percent", sa.SmallInteger()),
        sa.Column("min_district_share_bp", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text()),
        *_created(),
        sa.CheckConstraint("kind IN ('innovation_plan', 'civic_platform')", name="ck_grant_policies_kind"),
        sa.CheckConstraint("min_district_share_bp BETWEEN 0 AND 10000", name="ck_grant_policies_share_bp"),
        sa.CheckConstraint(
            "kind <> 'innovation_plan' OR (planning_max_krw >= 0 AND plan_total_krw >= planning_max_krw)",
            name="ck_grant_policies_innovation_plan",
        ),
        sa.CheckConstraint(
            "kind <> 'civic_platform' OR (yearly_max_krw >= 0 AND max_years BETWEEN 1 AND 10"
            " AND increase_percent BETWEEN 0 AND 100 AND reduce_percent BETWEEN 0 AND 100)",
            name="ck_grant_policies_civic_platform",
        ),
        sa.UniqueConstraint("fiscal_year", "kind", name="uq_grant_policies_fiscal_year_kind"),
        schema=SCHEMA,
    )

    op.create_table(
        "grant_phases",
        sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
        sa.Column("policy_id", sa.Integer(), sa.ForeignKey(f"{SCHEMA}.grant_policies.id"), nullable=False),
        sa.Column("phase", sa.Text(), nullable=False),
        sa.Column("applications_open_on", sa.Date()),
        sa.Column("application_deadline", sa.Date(), nullable=False),
        sa.Column("starts_on", sa.Date()),
        sa.Column("ends_on", sa.Date()),
        sa.CheckConstraint("phase IN ('planning', 'execution', 'operation')", name="ck_grant_phases_phase"),
        sa.CheckConstraint(
            "applications_open_on IS NULL OR applications_open_on <= application_deadline",
            name="ck_grant_phases_window",
        ),
        sa.CheckConstraint(
            "starts_on IS NULL OR ends_on IS NULL OR starts_on <= ends_on", name="ck_grant_phases_dates"
        ),
        sa.UniqueConstraint("policy_id", "phase", name="uq_grant_phases_policy_id_phase"),
        schema=SCHEMA,
    )

    op.create_table(
        "evaluation_results",
        sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
        sa.Column("event_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("grant_id", sa.Integer(), nullable=False),
        sa.Column("cycle_year", sa.Integer(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "category IN ('continue', 'increase', 'reduce', 'stop')", name="ck_evaluation_results_category"
        ),
        sa.UniqueConstraint("event_id", name="uq_evaluation_results_event_id"),
        sa.UniqueConstraint("grant_id", name="uq_evaluation_results_grant_id"),
        schema=SCHEMA,
    )

    op.create_table(
        "grants",
        sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("phase", sa.Text(), nullable=False),
        sa.Column("district_code", sa.String(5), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("title_ko", sa.Text(), nullable=False),
        sa.Column("platform_year", sa.SmallInteger()),
        sa.Column("previous_grant_id", sa.Integer(), sa.ForeignKey(f"{SCHEMA}.grants.id")),
        sa.Column("amount_krw", sa.BigInteger(), nullable=False),
        sa.Column("city_share_krw", sa.BigInteger(), nullable=False),
        sa.Column("district_share_krw", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False, server_default="applied"),
        sa.Column("paid_krw", sa.BigInteger()),
        sa.Column("paid_on", sa.Date()),
        sa.Column("awarded_at", sa.DateTime(timezone=True)),
        sa.Column("awarded_by", sa.Text()),
        sa.Column("evaluation_result_id", sa.Integer(), sa.ForeignKey(f"{SCHEMA}.evaluation_results.id")),
        *_created(),
        sa.CheckConstraint("kind IN ('innovation_plan', 'civic_platform')", name="ck_grants_kind"),
        sa.CheckConstraint(
            "(kind = 'innovation_plan' AND phase IN ('planning', 'execution') AND platform_year IS NULL)"
            " OR (kind = 'civic_platform' AND phase = 'operation' AND platform_year >= 1)",
            name="ck_grants_phase_of_kind",
        ),
        sa.CheckConstraint("status IN ('applied', 'awarded', 'paid', 'rejected')", name="ck_grants_status"),
        sa.CheckConstraint(
            "amount_krw >= 0 AND city_share_krw >= 0 AND district_share_krw >= 0"
            " AND city_share_krw + district_share_krw = amount_krw",
            name="ck_grants_shares_sum",
        ),
        sa.CheckConstraint(
            "(status = 'paid') = (paid_krw IS NOT NULL)"
            " AND (paid_krw IS NULL OR paid_krw BETWEEN 0 AND amount_krw)",
            name="ck_grants_paid",
        ),
        sa.CheckConstraint("district_code ~ '^11[0-9]{3}$'", name="ck_grants_district_code_seoul"),
        sa.UniqueConstraint("previous_grant_id", name="uq_grants_previous_grant_id"),
        schema=SCHEMA,
    )
    op.create_index(
        "uq_grants_innovation_plan_phase",
        "grants",
        ["district_code", "phase"],
        unique=True,
        postgresql_where=sa.text("kind = 'innovation_plan' AND status <> 'rejected'"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_grants_fiscal_year_district_code", "grants", ["fiscal_year", "district_code"], schema=SCHEMA
    )
    op.create_foreign_key(
        "fk_evaluation_results_grant_id_grants",
        "evaluation_results",
        "grants",
        ["grant_id"],
        ["id"],
        source_schema=SCHEMA,
        referent_schema=SCHEMA,
    )

    for statement in (*_statements(), *HISTORY_TRIGGERS):
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TRIGGER envelope_cap_guard ON budget.envelopes")
    op.execute("DROP FUNCTION budget.district_cap_check(text, integer)")
    op.execute("DROP TRIGGER IF EXISTS funding_types_history ON budget.funding_types")
    for table in (
        "grants",
        "evaluation_results",
        "grant_phases",
        "grant_policies",
        "district_funding",
        "programme_nodes",
    ):
        op.execute(f"DROP TABLE budget.{table} CASCADE")
    for function in (
        "grant_status_guard()",
        "grant_cap_guard()",
        "envelope_cap_guard()",
        "district_committed_krw(text, integer)",
        "programme_sum_guard()",
    ):
        op.execute(f"DROP FUNCTION budget.{function}")
    op.execute("DROP FUNCTION IF EXISTS budget.district_cap_krw(budget.district_funding)")
    for column in (
        "district_grant_krw",
        "max_total_krw",
        "max_integration_krw",
        "innovation_plan_krw",
        "neighbourhood_plan_krw",
    ):
        # As a check: the name then goes through the naming convention as upgrade()'s did (the constraint
        # is ck_funding_types_ck_funding_types_…, cut with a hash at 63 characters); untyped, alembic drops
        # the bare name, which does not exist.
        op.drop_constraint(
            f"ck_funding_types_{column}_non_negative", "funding_types", schema=SCHEMA, type_="check"
        )
    op.drop_column("funding_types", "source", schema=SCHEMA)
    op.drop_table("history", schema=SCHEMA)
    op.execute("DROP FUNCTION budget.record_history()")

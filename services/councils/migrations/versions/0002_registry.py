"""Registry: organizations (bodies, civil-society organisations), posts, persons, memberships with their
rules enforced in PostgreSQL, district status records and the change history.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "councils"
ROLES = (
    "assistant_manager, chair, communication_lead, manager, member, representative, secretary, "
    "steering_member, vice_chair"
)
SEAT_ROLES = "'chair', 'communication_lead', 'member', 'steering_member', 'vice_chair'"
SECTORS = "'civil', 'councillor', 'expert', 'official'"
END_REASONS = "'dissolved', 'other', 'replaced', 'resigned', 'term_ended'"
COMMUNICATION_LEADS_PER_DISTRICT = 2  # 협치서울지역협의회 운영규정 제6조②: 자치구별 2인 이내


def _quoted(words: str) -> str:
    return ", ".join(f"'{word.strip()}'" for word in words.split(","))


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    ]


def _district_fk() -> sa.ForeignKey:
    return sa.ForeignKey(f"{SCHEMA}.districts.code")


# Every rule below first locks the row that serialises writers of the same group (the district for
# communication leads, the body for its cap, the person for eligibility), then counts with a fresh
# snapshot: READ COMMITTED gives each statement of a VOLATILE function a new one, so a writer that waited
# for the lock sees what the previous one committed.
MEMBERSHIP_RULES = (
    f"""
CREATE FUNCTION {SCHEMA}.membership_rules() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
    m {SCHEMA}.memberships%ROWTYPE;
    body {SCHEMA}.organizations%ROWTYPE;
    peak_day date;
    peak_count int;
    held datemultirange;
    dependent record;
BEGIN
    IF TG_OP = 'DELETE' THEN m := OLD; ELSE m := NEW; END IF;

    IF TG_OP <> 'DELETE' AND m.role = 'communication_lead' THEN
        IF m.district_code IS NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'P0001',
                MESSAGE = 'a communication lead must name the district they represent (district_code)';
        END IF;
        PERFORM 1 FROM {SCHEMA}.districts WHERE code = m.district_code FOR NO KEY UPDATE;
        WITH leads AS (
            SELECT id, person_id, period FROM {SCHEMA}.memberships
            WHERE role = 'communication_lead' AND district_code = m.district_code AND period && m.period
        ), days AS (SELECT DISTINCT greatest(lower(period), lower(m.period)) AS day FROM leads)
        SELECT day, (SELECT count(DISTINCT coalesce(person_id, -id)) FROM leads WHERE period @> day)
          INTO peak_day, peak_count
          FROM days ORDER BY 2 DESC, 1 LIMIT 1;
        IF peak_count > {COMMUNICATION_LEADS_PER_DISTRICT} THEN
            RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = format(
                'at most {COMMUNICATION_LEADS_PER_DISTRICT} communication leads per district at any date: '
                'district %s would have %s on %s', m.district_code, peak_count, peak_day);
        END IF;
    END IF;

    SELECT * INTO body FROM {SCHEMA}.organizations WHERE id = m.organization_id;

    IF TG_OP <> 'DELETE' AND body.member_cap IS NOT NULL AND m.role IN ({SEAT_ROLES}) THEN
        SELECT * INTO body FROM {SCHEMA}.organizations WHERE id = m.organization_id FOR NO KEY UPDATE;
        WITH seats AS (
            SELECT id, person_id, member_organization_id, period FROM {SCHEMA}.memberships
            WHERE organization_id = m.organization_id AND role IN ({SEAT_ROLES}) AND period && m.period
        ), days AS (SELECT DISTINCT greatest(lower(period), lower(m.period)) AS day FROM seats)
        SELECT day, (SELECT count(DISTINCT coalesce(person_id, -id)) FROM seats WHERE period @> day)
          INTO peak_day, peak_count
          FROM days ORDER BY 2 DESC, 1 LIMIT 1;
        IF peak_count > body.member_cap THEN
            RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = format(
                'member cap: %s (body %s) allows at most %s members at any date; this would make %s on %s',
                body.name_ko, body.id, body.member_cap, peak_count, peak_day);
        END IF;
    END IF;

    IF TG_OP <> 'DELETE' AND body.eligibility_role IS NOT NULL THEN
        IF m.person_id IS NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = format(
                'a member of %s (body %s) must be a named person holding a %s membership',
                body.name_ko, body.id, body.eligibility_role);
        END IF;
        PERFORM 1 FROM {SCHEMA}.persons WHERE id = m.person_id FOR NO KEY UPDATE;
        SELECT range_agg(period) INTO held FROM {SCHEMA}.memberships
         WHERE person_id = m.person_id AND role = body.eligibility_role;
        IF held IS NULL OR NOT held @> m.period THEN
            RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = format(
                'a member of %s (body %s) must hold a %s membership over the whole term %s; '
                'person %s holds one over %s',
                body.name_ko, body.id, body.eligibility_role, m.period, m.person_id,
                coalesce(held::text, 'no period'));
        END IF;
    END IF;

    -- Shortening or removing a qualifying membership must not leave a dependent one uncovered.
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.person_id IS NOT NULL THEN
        PERFORM 1 FROM {SCHEMA}.persons WHERE id = OLD.person_id FOR NO KEY UPDATE;
        SELECT range_agg(period) INTO held FROM {SCHEMA}.memberships
         WHERE person_id = OLD.person_id AND role = OLD.role;
        FOR dependent IN
            SELECT d.id, d.period, o.id AS body_id, o.name_ko FROM {SCHEMA}.memberships d
              JOIN {SCHEMA}.organizations o ON o.id = d.organization_id
             WHERE d.person_id = OLD.person_id AND o.eligibility_role = OLD.role
        LOOP
            IF held IS NULL OR NOT held @> dependent.period THEN
                RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = format(
                    'membership %s in %s (body %s) needs a %s membership over %s; '
                    'end or shorten that membership first',
                    dependent.id, dependent.name_ko, dependent.body_id, OLD.role, dependent.period);
            END IF;
        END LOOP;
    END IF;
    RETURN NULL;
END;
$fn$
""",
    f"""
CREATE CONSTRAINT TRIGGER membership_rules
    AFTER INSERT OR UPDATE OR DELETE ON {SCHEMA}.memberships
    DEFERRABLE INITIALLY IMMEDIATE
    FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.membership_rules()
""",
)

# Changing a body's cap or eligibility role must hold for the memberships it already has.
BODY_RULES = (
    f"""
CREATE FUNCTION {SCHEMA}.body_rules() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
    peak_day date;
    peak_count int;
    bad record;
BEGIN
    IF NEW.member_cap IS NOT NULL AND NEW.member_cap IS DISTINCT FROM OLD.member_cap THEN
        WITH seats AS (
            SELECT id, person_id, period FROM {SCHEMA}.memberships
            WHERE organization_id = NEW.id AND role IN ({SEAT_ROLES})
        ), days AS (SELECT DISTINCT lower(period) AS day FROM seats)
        SELECT day, (SELECT count(DISTINCT coalesce(person_id, -id)) FROM seats WHERE period @> day)
          INTO peak_day, peak_count
          FROM days ORDER BY 2 DESC, 1 LIMIT 1;
        IF peak_count > NEW.member_cap THEN
            RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = format(
                'member cap: %s (body %s) already has %s members on %s, more than the new cap %s',
                NEW.name_ko, NEW.id, peak_count, peak_day, NEW.member_cap);
        END IF;
    END IF;
    IF NEW.eligibility_role IS NOT NULL AND NEW.eligibility_role IS DISTINCT FROM OLD.eligibility_role THEN
        SELECT m.id INTO bad FROM {SCHEMA}.memberships m
         WHERE m.organization_id = NEW.id AND (m.person_id IS NULL OR NOT coalesce((
            SELECT range_agg(q.period) FROM {SCHEMA}.memberships q
             WHERE q.person_id = m.person_id AND q.role = NEW.eligibility_role) @> m.period, false))
         LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = format(
                'membership %s of %s (body %s) is not covered by a %s membership',
                bad.id, NEW.name_ko, NEW.id, NEW.eligibility_role);
        END IF;
    END IF;
    RETURN NEW;
END;
$fn$
""",
    f"""
CREATE TRIGGER body_rules BEFORE UPDATE OF member_cap, eligibility_role ON {SCHEMA}.organizations
    FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.body_rules()
""",
)


def upgrade() -> None:
    op.create_table(
        "organizations",
        sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
        sa.Column("classification", sa.String(40), nullable=False),
        sa.Column("name_ko", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text()),
        sa.Column("district_code", sa.String(5), _district_fk(), index=True),
        sa.Column("parent_id", sa.Integer(), sa.ForeignKey(f"{SCHEMA}.organizations.id"), index=True),
        sa.Column("policy_fields", pg.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("founding_date", sa.Text()),
        sa.Column("founding_on", sa.Date()),
        sa.Column("dissolution_date", sa.Text()),
        sa.Column("dissolution_on", sa.Date()),
        sa.Column("quorum_num", sa.SmallInteger(), server_default="1", nullable=False),
        sa.Column("quorum_den", sa.SmallInteger(), server_default="2", nullable=False),
        sa.Column("quorum_strict", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("pass_num", sa.SmallInteger(), server_default="1", nullable=False),
        sa.Column("pass_den", sa.SmallInteger(), server_default="2", nullable=False),
        sa.Column("pass_strict", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("amend_num", sa.SmallInteger(), server_default="2", nullable=False),
        sa.Column("amend_den", sa.SmallInteger(), server_default="3", nullable=False),
        sa.Column("amend_strict", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("member_cap", sa.Integer()),
        sa.Column("eligibility_role", sa.Text()),
        sa.Column("note", sa.Text()),
        sa.Column("source", sa.Text()),
        *_timestamps(),
        sa.CheckConstraint("quorum_num BETWEEN 0 AND quorum_den AND quorum_den > 0", name="quorum_fraction"),
        sa.CheckConstraint("pass_num BETWEEN 0 AND pass_den AND pass_den > 0", name="pass_fraction"),
        sa.CheckConstraint("amend_num BETWEEN 0 AND amend_den AND amend_den > 0", name="amend_fraction"),
        sa.CheckConstraint("member_cap IS NULL OR member_cap > 0", name="member_cap_positive"),
        sa.CheckConstraint("dissolution_on IS NULL OR dissolution_on >= founding_on", name="dissolved_after"),
        schema=SCHEMA,
    )
    op.create_table(
        "posts",
        sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
        sa.Column(
            "organization_id",
            sa.Integer(),
            sa.ForeignKey(f"{SCHEMA}.organizations.id"),
            nullable=False,
            index=True,
        ),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("district_code", sa.String(5), _district_fk()),
        sa.Column("seats", sa.Integer()),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "persons",
        sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
        sa.Column("name_ko", sa.Text(), nullable=False, index=True),
        sa.Column("name_en", sa.Text()),
        sa.Column("district_code", sa.String(5), _district_fk(), index=True),
        sa.Column("email", sa.Text()),
        sa.Column("phone", sa.Text()),
        sa.Column("note", sa.Text()),
        sa.Column("source", sa.Text()),
        *_timestamps(),
        schema=SCHEMA,
    )
    org_fk = f"{SCHEMA}.organizations.id"
    op.create_table(
        "memberships",
        sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
        sa.Column("organization_id", sa.Integer(), sa.ForeignKey(org_fk), nullable=False, index=True),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey(f"{SCHEMA}.persons.id"), index=True),
        sa.Column("member_organization_id", sa.Integer(), sa.ForeignKey(org_fk), index=True),
        sa.Column("post_id", sa.Integer(), sa.ForeignKey(f"{SCHEMA}.posts.id")),
        sa.Column("on_behalf_of_id", sa.Integer(), sa.ForeignKey(org_fk)),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("sector", sa.Text(), nullable=False),
        sa.Column("district_code", sa.String(5), _district_fk(), index=True),
        sa.Column("label", sa.Text()),
        sa.Column("start_date", sa.Text(), nullable=False),
        sa.Column("start_on", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Text()),
        sa.Column("end_on", sa.Date()),
        sa.Column("period", pg.DATERANGE(), sa.Computed("daterange(start_on, end_on, '[]')", persisted=True)),
        sa.Column("end_reason", sa.Text()),
        sa.Column("end_note", sa.Text()),
        sa.Column("appointed_by", sa.Text()),
        sa.Column("source", sa.Text()),
        *_timestamps(),
        sa.CheckConstraint(f"role IN ({_quoted(ROLES)})", name="role_known"),
        sa.CheckConstraint(f"sector IN ({SECTORS})", name="sector_known"),
        sa.CheckConstraint(f"end_reason IS NULL OR end_reason IN ({END_REASONS})", name="end_reason_known"),
        sa.CheckConstraint("end_on IS NULL OR end_on >= start_on", name="ends_after_start"),
        sa.CheckConstraint("end_reason IS NULL OR end_on IS NOT NULL", name="end_reason_needs_end"),
        sa.CheckConstraint("person_id IS NULL OR member_organization_id IS NULL", name="one_member"),
        pg.ExcludeConstraint(
            ("person_id", "="),
            ("organization_id", "="),
            ("role", "="),
            ("period", "&&"),
            name="ex_memberships_person_role_overlap",
            using="gist",
            where=sa.text("person_id IS NOT NULL"),
        ),
        pg.ExcludeConstraint(
            ("member_organization_id", "="),
            ("organization_id", "="),
            ("role", "="),
            ("period", "&&"),
            name="ex_memberships_member_org_role_overlap",
            using="gist",
            where=sa.text("member_organization_id IS NOT NULL"),
        ),
        schema=SCHEMA,
    )
    op.create_index("ix_memberships_role_district", "memberships", ["role", "district_code"], schema=SCHEMA)
    op.create_table(
        "district_status",
        sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
        sa.Column("district_code", sa.String(5), _district_fk(), nullable=False, index=True),
        sa.Column("as_of", sa.Text(), nullable=False),
        sa.Column("as_of_on", sa.Date(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("department", sa.Text()),
        sa.Column("support_officers_hired", sa.Integer()),
        sa.Column("coordinator_appointed", sa.Boolean()),
        sa.Column("coordinator_note", sa.Text()),
        sa.Column("ordinance_status", sa.Text()),
        sa.Column("ordinance_enacted_date", sa.Text()),
        sa.Column("ordinance_note", sa.Text()),
        sa.Column("forums_held", sa.Integer()),
        sa.Column("bodies", pg.JSONB(), server_default="[]", nullable=False),
        sa.Column("note", sa.Text()),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.UniqueConstraint(
            "district_code", "as_of", "source", name="uq_district_status_district_code_as_of_source"
        ),
        sa.CheckConstraint("support_officers_hired >= 0", name="officers_not_negative"),
        sa.CheckConstraint("forums_held >= 0", name="forums_not_negative"),
        sa.CheckConstraint(
            "ordinance_status IN ('enacted', 'pending', 'none')", name="ordinance_status_known"
        ),
        schema=SCHEMA,
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("actor_subject", sa.Text(), nullable=False),
        sa.Column("actor_role", sa.Text(), nullable=False),
        sa.Column("entity_type", sa.Text(), nullable=False),
        sa.Column("entity_id", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("before", pg.JSONB()),
        sa.Column("after", pg.JSONB()),
        sa.Column("request_id", sa.Text()),
        schema=SCHEMA,
    )
    op.create_index("ix_audit_log_entity", "audit_log", ["entity_type", "entity_id", "id"], schema=SCHEMA)
    for statement in (*MEMBERSHIP_RULES, *BODY_RULES):
        op.execute(statement)


def downgrade() -> None:
    op.execute(f"DROP TRIGGER IF EXISTS body_rules ON {SCHEMA}.organizations")
    op.execute(f"DROP FUNCTION IF EXISTS {SCHEMA}.body_rules()")
    op.execute(f"DROP TRIGGER IF EXISTS membership_rules ON {SCHEMA}.memberships")
    op.execute(f"DROP FUNCTION IF EXISTS {SCHEMA}.membership_rules()")
    for table in ("audit_log", "district_status", "memberships", "persons", "posts", "organizations"):
        op.drop_table(table, schema=SCHEMA)

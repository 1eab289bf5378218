"""The change history is written by triggers, as in budget and evaluation (issue #13: one audit mechanism).

Every audited table records each INSERT, UPDATE and DELETE in `audit_log` through one trigger, in the same
transaction, whatever wrote it: the service, a migration, an operator's psql. `before`/`after` are the row
images (`to_jsonb`), the actor the transaction-local settings the service sets from the caller's identity
(`councils.actor`, `councils.actor_role`, `councils.request_id`; shared/audit.py); a write with none set is
recorded as `system`. An UPDATE that changes nothing but the row's version and `updated_at` records nothing.
`audit_log` becomes append-only. The rows written before this migration stay as they are (API views).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

from shared.audit import append_only_triggers, refuse_change_function

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "councils"

# The classifications that make an `organizations` row a governance body (common/vocab.py BodyKind, as of
# this migration; tests/councils/test_history.py checks the two agree). The other rows are `organization`.
BODY_KINDS = (
    "district_council",
    "tft",
    "subcommittee",
    "working_group",
    "secretariat",
    "city_council",
    "promotion_group",
    "regional_association",
    "plenary",
    "steering_committee",
)

# table: (the entity name clients filter `GET /councils/history?entity=` on, the column naming the record)
AUDITED = {
    "district_status": ("district_status", "id"),
    "organizations": ("organization", "id"),
    "posts": ("post", "id"),
    "persons": ("person", "id"),
    "memberships": ("membership", "id"),
    "civic_platforms": ("platform", "id"),
    "meeting_schedules": ("meeting_schedule", "id"),
    "meetings": ("meeting", "id"),
    "meeting_requesters": ("meeting_requester", "meeting_id"),
    "agenda_items": ("agenda_item", "id"),
    "meeting_documents": ("meeting_document", "id"),
    "attendance": ("attendance", "meeting_id"),
    "motions": ("motion", "id"),
}

RECORD_HISTORY = f"""
CREATE FUNCTION {SCHEMA}.record_history() RETURNS trigger LANGUAGE plpgsql AS $fn$
-- TG_ARGV: [0] the entity name, [1] the column naming the record, and optionally [2] another entity name
-- that the row takes when its classification is one of TG_ARGV[3:] (organizations: bodies).
DECLARE
    old_row jsonb := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END;
    new_row jsonb := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END;
    image jsonb := coalesce(new_row, old_row);
    entity text := TG_ARGV[0];
BEGIN
    IF TG_OP = 'UPDATE' AND old_row - 'version' - 'updated_at' = new_row - 'version' - 'updated_at' THEN
        RETURN NULL;
    END IF;
    IF TG_NARGS > 3 AND image ->> 'classification' = ANY (TG_ARGV[3:]) THEN
        entity := TG_ARGV[2];
    END IF;
    INSERT INTO {SCHEMA}.audit_log
        (actor_subject, actor_role, entity_type, entity_id, action, before, after, request_id)
    VALUES (
        coalesce(nullif(current_setting('{SCHEMA}.actor', true), ''), 'system'),
        coalesce(nullif(current_setting('{SCHEMA}.actor_role', true), ''), 'system'),
        entity,
        image ->> TG_ARGV[1],
        CASE TG_OP WHEN 'INSERT' THEN 'create' WHEN 'UPDATE' THEN 'update' ELSE 'delete' END,
        old_row,
        new_row,
        nullif(current_setting('{SCHEMA}.request_id', true), '')
    );
    RETURN NULL;
END
$fn$"""


def _arguments(table: str) -> str:
    entity, key = AUDITED[table]
    arguments = [entity, key, *(("body", *BODY_KINDS) if table == "organizations" else ())]
    return ", ".join(f"'{argument}'" for argument in arguments)


def upgrade() -> None:
    op.execute(RECORD_HISTORY)
    op.execute(refuse_change_function(SCHEMA))
    for statement in append_only_triggers(SCHEMA, "audit_log"):
        op.execute(statement)
    for table in AUDITED:
        op.execute(
            f"CREATE TRIGGER record_history AFTER INSERT OR UPDATE OR DELETE ON {SCHEMA}.{table} "
            f"FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.record_history({_arguments(table)})"
        )


def downgrade() -> None:
    for table in AUDITED:
        op.execute(f"DROP TRIGGER record_history ON {SCHEMA}.{table}")
    op.execute(f"DROP TRIGGER audit_log_no_truncate ON {SCHEMA}.audit_log")
    op.execute(f"DROP TRIGGER audit_log_append_only ON {SCHEMA}.audit_log")
    op.execute(f"DROP FUNCTION {SCHEMA}.refuse_change()")
    op.execute(f"DROP FUNCTION {SCHEMA}.record_history()")

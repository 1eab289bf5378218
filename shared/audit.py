"""Who acts, for the database's audit triggers: every service records its history the same way.

Each service's audited tables carry an AFTER INSERT OR UPDATE OR DELETE trigger that writes the row images to
the service's append-only history table, in the same transaction as the change, whatever wrote it. The trigger
reads who acts from transaction-local settings (`<schema>.actor`, `.actor_role`, `.reason`, `.request_id`),
which the service sets here from the authenticated identity at the start of each write transaction; a write
with none set (a migration, an operator's psql) is recorded as `system`.
"""

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Identity
from shared.logging import request_id_var
from shared.service_auth import SERVICE_ROLE, ServiceIdentity

_SET_ACTOR = text(
    "SELECT set_config(:actor_key, :actor, true), set_config(:role_key, :role, true),"
    " set_config(:reason_key, :reason, true), set_config(:request_key, :request_id, true)"
)


async def set_actor(
    session: AsyncSession, schema: str, actor: Identity | ServiceIdentity, reason: str | None = None
) -> None:
    """Tell `schema`'s audit triggers who acts (a service as itself, role `service`), why, and in which
    request, until the transaction ends."""
    role = SERVICE_ROLE if isinstance(actor, ServiceIdentity) else actor.role.value
    await session.execute(
        _SET_ACTOR,
        {
            "actor_key": f"{schema}.actor",
            "actor": actor.subject,
            "role_key": f"{schema}.actor_role",
            "role": role,
            "reason_key": f"{schema}.reason",
            "reason": reason or "",
            "request_key": f"{schema}.request_id",
            "request_id": request_id_var.get() or "",
        },
    )


# The DDL of the audit trail, written once for every service's migrations. A migration that has run keeps
# what it ran, so change what these return only by adding a parameter whose default keeps the old text.


def record_history_function(schema: str) -> str:
    """`<schema>.record_history()`, the AFTER INSERT OR UPDATE OR DELETE row trigger of every audited table
    of a service with a `<schema>.history` table (budget, evaluation): the row images, the row's `id` (or
    `code`), who acted, from the settings `set_actor` sets, and the request's id."""
    return f"""
CREATE OR REPLACE FUNCTION {schema}.record_history() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
    old_row jsonb := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END;
    new_row jsonb := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END;
BEGIN
    INSERT INTO {schema}.history
        (table_name, record_id, action, before, after, actor, actor_role, reason, request_id)
    VALUES (
        TG_TABLE_NAME,
        coalesce(new_row ->> 'id', new_row ->> 'code', old_row ->> 'id', old_row ->> 'code'),
        lower(TG_OP),
        old_row,
        new_row,
        coalesce(nullif(current_setting('{schema}.actor', true), ''), 'system'),
        nullif(current_setting('{schema}.actor_role', true), ''),
        nullif(current_setting('{schema}.reason', true), ''),
        nullif(current_setting('{schema}.request_id', true), '')
    );
    RETURN NULL;
END
$fn$"""


def refuse_change_function(schema: str) -> str:
    """`<schema>.refuse_change()`: the trigger that refuses a change of an append-only table."""
    return f"""
CREATE FUNCTION {schema}.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    RAISE EXCEPTION '% records are immutable', TG_TABLE_NAME USING ERRCODE = 'P0001';
END
$fn$"""


def no_truncate_trigger(schema: str, table: str) -> str:
    """`<table>_no_truncate`: the statement-level trigger refusing a TRUNCATE of `<schema>.<table>` (by
    `<schema>.refuse_change()`, "<table> records are immutable"), which fires no row trigger. A TRUNCATE
    of another table that CASCADEs to this one is refused too."""
    return (
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {schema}.{table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {schema}.refuse_change()"
    )


def append_only_triggers(schema: str, table: str) -> tuple[str, str]:
    """The triggers that make `<schema>.<table>` append-only: UPDATE, DELETE and TRUNCATE are refused (by
    `<schema>.refuse_change()`) whoever runs them, short of the table's owner disabling the triggers;
    named `<table>_append_only` and `<table>_no_truncate` (`no_truncate_trigger`)."""
    return (
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {schema}.{table} "
        f"FOR EACH ROW EXECUTE FUNCTION {schema}.refuse_change()",
        no_truncate_trigger(schema, table),
    )


def history_with_request_ids(schema: str) -> tuple[str, ...]:
    """The statements that bring a `<schema>.history` of before issue #13 (no request ids, a
    `history_immutable` guard that let TRUNCATE through) to the trail above: budget 0013, evaluation 0010."""
    return (
        f"ALTER TABLE {schema}.history ADD COLUMN request_id text",
        record_history_function(schema),
        f"DROP TRIGGER history_immutable ON {schema}.history",
        *append_only_triggers(schema, "history"),
    )


def history_without_request_ids(schema: str, record_history: str) -> tuple[str, ...]:
    """What `history_with_request_ids` undoes, in reverse order. `record_history` is the `CREATE FUNCTION
    <schema>.record_history()` statement the history's first migration ran (budget 0007, evaluation 0003):
    the function is put back exactly as that migration made it."""
    return (
        f"DROP TRIGGER history_no_truncate ON {schema}.history",
        f"DROP TRIGGER history_append_only ON {schema}.history",
        f"CREATE TRIGGER history_immutable BEFORE UPDATE OR DELETE ON {schema}.history"
        f" FOR EACH ROW EXECUTE FUNCTION {schema}.refuse_change()",
        record_history.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1),
        f"ALTER TABLE {schema}.history DROP COLUMN request_id",
    )

"""The tables of a schema that refuse DELETE, as their triggers say: for the tests that every one refuses
TRUNCATE too (a TRUNCATE fires no row trigger)."""

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

# pg_trigger.tgtype bits: 1 row, 2 before, 8 delete, 16 update, 32 truncate.
_GUARDED = text(
    """
    SELECT c.relname,
        bool_or(t.tgtype & 11 = 11) AS refuses_delete,
        bool_or(t.tgtype & 35 = 34) AS refuses_truncate
    FROM pg_trigger t
    JOIN pg_class c ON c.oid = t.tgrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_proc p ON p.oid = t.tgfoid
    WHERE NOT t.tgisinternal AND t.tgenabled <> 'D' AND n.nspname = :schema AND p.proname = 'refuse_change'
    GROUP BY c.relname
    """
)


async def undeletable_tables(conn: AsyncConnection, schema: str) -> dict[str, bool]:
    """Each table of `schema` whose DELETE `refuse_change()` refuses -> whether it refuses TRUNCATE too."""
    rows = (await conn.execute(_GUARDED, {"schema": schema})).all()
    return {name: truncate for name, refuses_delete, truncate in rows if refuses_delete}

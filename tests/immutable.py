"""The tables of a schema that refuse DELETE, as their triggers say: for the tests that every one refuses
TRUNCATE too (a TRUNCATE fires no row trigger)."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

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


async def assert_truncate_refused(engine: AsyncEngine, schema: str, table: str) -> None:
    """`TRUNCATE schema.table CASCADE` is refused as immutable (in a transaction rolled back either way)."""
    async with engine.connect() as conn:
        outer = await conn.begin()
        with pytest.raises(DBAPIError, match=f"{table} records are immutable"):
            await conn.execute(text(f"TRUNCATE {schema}.{table} CASCADE"))
        await outer.rollback()


async def assert_only_these_undeletable(engine: AsyncEngine, schema: str, tables: tuple[str, ...]) -> None:
    """The tables of `schema` that refuse DELETE are `tables`, and each refuses TRUNCATE too."""
    async with engine.connect() as conn:
        found = await undeletable_tables(conn, schema)
    assert found == dict.fromkeys(tables, True)

"""Each service's Alembic migrations, on a database of their own, run as the service's role (ops/migrate.py):

* one head (and one base): a deploy has exactly one target;
* a rollback to nothing leaves nothing the migrations made in the schema, and upgrading again rebuilds the
  same schema;
* every revision goes down and up again, and its downgrade restores exactly the schema before it;
* the models match what the migrations create (`alembic.autogenerate.compare_metadata`, with env.py's own
  options: tables, columns, types, nullability, indexes, unique constraints and foreign keys; not server
  defaults, which the models mostly set in Python), apart from the differences listed below, each with its
  reason.

"The same schema" is the schema's inventory read from PostgreSQL's catalogs: every object, with its
definition as PostgreSQL prints it (functions, triggers, constraints, indexes, views; a table's columns).
compare_metadata sees only what models declare, and most of what these migrations make (guards, triggers,
history) they do not.
"""

import asyncio
import importlib
from typing import Any

import asyncpg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from ops.migrate import alembic_config, downgrade_service, service_url, upgrade
from shared.migrations import context_options, import_models
from shared.settings import SERVICES, async_url, plain_url
from tests.conftest import Database, own_database

# Every object of one schema that a migration can make, with its definition; alembic's version table aside.
INVENTORY = """
WITH ns AS (SELECT oid FROM pg_namespace WHERE nspname = $1),
version_table AS (
    SELECT c.oid FROM pg_class c JOIN ns ON c.relnamespace = ns.oid WHERE c.relname = 'alembic_version'
)
SELECT pg_describe_object('pg_class'::regclass, c.oid, 0),
       CASE
           WHEN c.relkind IN ('r', 'p', 'f') THEN (
               SELECT string_agg(
                   a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
                       || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
                       || CASE WHEN a.attidentity <> '' THEN ' identity' ELSE '' END
                       || CASE WHEN a.attgenerated <> '' THEN ' generated' ELSE '' END
                       || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), ''),
                   ', ' ORDER BY a.attname)
               FROM pg_attribute a LEFT JOIN pg_attrdef d ON (d.adrelid, d.adnum) = (a.attrelid, a.attnum)
               WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)
           WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid)
           WHEN c.relkind IN ('i', 'I') THEN pg_get_indexdef(c.oid)
       END
FROM pg_class c JOIN ns ON c.relnamespace = ns.oid
WHERE c.oid NOT IN (SELECT oid FROM version_table)
  AND c.oid NOT IN (SELECT indexrelid FROM pg_index WHERE indrelid IN (SELECT oid FROM version_table))
UNION ALL
SELECT pg_describe_object('pg_proc'::regclass, p.oid, 0),
       CASE WHEN p.prokind IN ('f', 'p') THEN pg_get_functiondef(p.oid) END
FROM pg_proc p JOIN ns ON p.pronamespace = ns.oid
UNION ALL
SELECT pg_describe_object('pg_type'::regclass, t.oid, 0),
       (SELECT string_agg(e.enumlabel, ', ' ORDER BY e.enumsortorder)
        FROM pg_enum e WHERE e.enumtypid = t.oid)
FROM pg_type t JOIN ns ON t.typnamespace = ns.oid
WHERE t.typrelid = 0 AND t.typcategory <> 'A'
UNION ALL
SELECT pg_describe_object('pg_constraint'::regclass, k.oid, 0), pg_get_constraintdef(k.oid)
FROM pg_constraint k JOIN ns ON k.connamespace = ns.oid
WHERE k.conrelid NOT IN (SELECT oid FROM version_table)
UNION ALL
SELECT pg_describe_object('pg_trigger'::regclass, g.oid, 0), pg_get_triggerdef(g.oid)
FROM pg_trigger g JOIN pg_class c ON g.tgrelid = c.oid JOIN ns ON c.relnamespace = ns.oid
WHERE NOT g.tgisinternal
UNION ALL
SELECT pg_describe_object(classid, objid, 0), NULL
FROM (
    SELECT 'pg_operator'::regclass, o.oid FROM pg_operator o JOIN ns ON o.oprnamespace = ns.oid
    UNION ALL SELECT 'pg_collation'::regclass, o.oid FROM pg_collation o JOIN ns ON o.collnamespace = ns.oid
    UNION ALL SELECT 'pg_conversion'::regclass, o.oid FROM pg_conversion o JOIN ns ON o.connamespace = ns.oid
    UNION ALL SELECT 'pg_opclass'::regclass, o.oid FROM pg_opclass o JOIN ns ON o.opcnamespace = ns.oid
    UNION ALL SELECT 'pg_opfamily'::regclass, o.oid FROM pg_opfamily o JOIN ns ON o.opfnamespace = ns.oid
    UNION ALL SELECT 'pg_ts_config'::regclass, o.oid FROM pg_ts_config o JOIN ns ON o.cfgnamespace = ns.oid
    UNION ALL SELECT 'pg_ts_dict'::regclass, o.oid FROM pg_ts_dict o JOIN ns ON o.dictnamespace = ns.oid
    UNION ALL SELECT 'pg_extension'::regclass, o.oid FROM pg_extension o JOIN ns ON o.extnamespace = ns.oid
    UNION ALL
    SELECT 'pg_statistic_ext'::regclass, o.oid FROM pg_statistic_ext o JOIN ns ON o.stxnamespace = ns.oid
) AS others (classid, objid)
"""

# What the models deliberately do not declare, by service: tables the code reaches with SQL of its own (no
# model; their indexes go with them), and columns of modelled tables that only SQL and triggers touch.
# Anything else compare_metadata finds is drift: a model or a migration to fix.
UNMODELLED_TABLES: dict[str, dict[str, str]] = {
    "councils": {
        "idempotency_keys": "shared/idempotency.py keeps the answers with its own SQL",
        "registry_version": "one row bumped by triggers, read with SQL by common/read_cache.py",
    },
    "budget": {
        "idempotency_keys": "shared/idempotency.py keeps the answers with its own SQL",
        "inbox_events": "shared/inbox.py records delivered event ids with its own SQL",
        "delivered_results": "evaluation_results/repository.py writes it with SQL",
        "ballot_tallies": "elections/ballot_tally.py reads and writes it with asyncpg",
        "history": "written by the record_history() trigger, read with SQL by history/router.py",
        "programme_nodes": "programme/repository.py: SQL only",
        "district_funding": "funding/repository.py: SQL only",
        "grant_policies": "grants/repository.py: SQL only",
        "grant_phases": "grants/repository.py: SQL only",
        "grants": "grants/repository.py: SQL only",
        "evaluation_results": "evaluation_results/service.py, grants/repository.py: SQL only",
    },
    "evaluation": {
        "idempotency_keys": "shared/idempotency.py keeps the answers with its own SQL",
        "outbox_events": "shared/outbox.py writes and relays it with its own SQL",
        "cycle_data_versions": "bumped by triggers, read with SQL by comparison/repository.py",
    },
}
UNMODELLED_COLUMNS: dict[str, dict[tuple[str, str], str]] = {
    "councils": {
        (table, "version"): "the ETag: bumped by the bump_version trigger, read and matched with SQL by "
        "shared/preconditions.py; unmapped so that no ORM object holds a stale copy"
        for table in ("organizations", "persons", "memberships", "meetings", "motions")
    },
}


@pytest.fixture(scope="module")
def migrations_db(database: Database) -> Database:
    return own_database(database, "seoul_test_migrations")


def _script(service: str) -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config(service, "postgresql://unused"))


def _head(service: str) -> str:
    head = _script(service).get_current_head()
    assert head is not None
    return head


def _revisions(service: str) -> list[tuple[str, str]]:
    """(revision, the revision below it or `base`), from the first to the head."""
    return [
        (script.revision, str(script.down_revision or "base"))
        for script in reversed(list(_script(service).walk_revisions()))
    ]


def _fetch(db: Database, query: str, *args: Any) -> list[asyncpg.Record]:
    async def fetch() -> list[asyncpg.Record]:
        conn = await asyncpg.connect(plain_url(db.admin_url))
        try:
            return await conn.fetch(query, *args)  # type: ignore[no-any-return]
        finally:
            await conn.close()

    return asyncio.run(fetch())


def _inventory(db: Database, service: str) -> dict[str, str | None]:
    return {row[0]: row[1] for row in _fetch(db, INVENTORY, service)}


def _current(db: Database, service: str) -> str | None:
    rows = _fetch(db, f'SELECT version_num FROM "{service}".alembic_version')
    assert len(rows) <= 1
    return rows[0][0] if rows else None


def _upgrade(db: Database, service: str, revision: str) -> None:
    upgrade(service, service_url(db.admin_url, service), revision)


def _changes(before: dict[str, str | None], after: dict[str, str | None]) -> dict[str, list[str]]:
    return {
        "left behind": sorted(after.keys() - before.keys()),
        "missing": sorted(before.keys() - after.keys()),
        "changed": sorted(name for name in before.keys() & after.keys() if before[name] != after[name]),
    }


NO_CHANGES: dict[str, list[str]] = {"left behind": [], "missing": [], "changed": []}


@pytest.mark.parametrize("service", SERVICES)
def test_one_head_and_one_base(service: str) -> None:
    script = _script(service)
    assert len(script.get_heads()) == 1, script.get_heads()
    assert len(script.get_bases()) == 1, script.get_bases()


@pytest.mark.parametrize("service", SERVICES)
def test_down_to_base_and_up_again(migrations_db: Database, service: str) -> None:
    _upgrade(migrations_db, service, "heads")
    at_head = _inventory(migrations_db, service)
    assert at_head

    downgrade_service(migrations_db.admin_url, service, "base")
    assert _current(migrations_db, service) is None
    assert _inventory(migrations_db, service) == {}

    _upgrade(migrations_db, service, "heads")
    assert _current(migrations_db, service) == _head(service)
    assert _changes(at_head, _inventory(migrations_db, service)) == NO_CHANGES


@pytest.mark.parametrize("service", SERVICES)
def test_each_revision_down_and_up(migrations_db: Database, service: str) -> None:
    """pytest-alembic's up-down consistency, with the schema compared: each downgrade restores exactly the
    schema its upgrade started from, and the upgrade then runs again to the same schema."""
    downgrade_service(migrations_db.admin_url, service, "base")
    below = _inventory(migrations_db, service)
    for revision, down_revision in _revisions(service):
        _upgrade(migrations_db, service, revision)
        above = _inventory(migrations_db, service)
        downgrade_service(migrations_db.admin_url, service, down_revision)
        assert (revision, _changes(below, _inventory(migrations_db, service))) == (revision, NO_CHANGES)
        _upgrade(migrations_db, service, revision)
        assert (revision, _changes(above, _inventory(migrations_db, service))) == (revision, NO_CHANGES)
        below = above
    assert _current(migrations_db, service) == _head(service)


def _metadata(service: str) -> MetaData:
    """The service's metadata as its env.py builds it: the declarative base with every `models` module."""
    models = importlib.import_module(f"services.{service}.models")
    import_models(f"services.{service}")
    metadata: MetaData = models.Base.metadata
    return metadata


def _deliberate(service: str, diff: tuple[Any, ...]) -> bool:
    kind, subject = diff[0], diff[1]
    tables = UNMODELLED_TABLES.get(service, {})
    if kind == "remove_table":
        return subject.name in tables
    if kind in ("remove_index", "remove_constraint", "remove_fk"):
        return subject.table.name in tables
    if kind == "remove_column":
        return (diff[2], diff[3].name) in UNMODELLED_COLUMNS.get(service, {})
    return False


def _drift(db: Database, service: str) -> list[Any]:
    metadata = _metadata(service)

    def compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts=context_options(service, metadata))
        return compare_metadata(context, metadata)  # type: ignore[no-any-return]

    async def run() -> list[Any]:
        # Reflected with `public` first on the search path: alembic treats the default schema as unnamed,
        # while the models name theirs (and the service role's search_path is its own schema).
        engine = create_async_engine(
            async_url(db.admin_url), connect_args={"server_settings": {"search_path": "public"}}
        )
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(compare)
        finally:
            await engine.dispose()

    return asyncio.run(run())


@pytest.mark.parametrize("service", SERVICES)
def test_models_match_the_migrated_schema(migrations_db: Database, service: str) -> None:
    _upgrade(migrations_db, service, "heads")
    drift = _drift(migrations_db, service)
    undeclared = [diff for diff in drift if isinstance(diff, tuple) and _deliberate(service, diff)]
    assert [diff for diff in drift if diff not in undeclared] == []
    # The lists of deliberate differences hold nothing that is no longer one.
    assert {diff[1].name for diff in undeclared if diff[0] == "remove_table"} == set(
        UNMODELLED_TABLES.get(service, {})
    )
    assert {(diff[2], diff[3].name) for diff in undeclared if diff[0] == "remove_column"} == set(
        UNMODELLED_COLUMNS.get(service, {})
    )

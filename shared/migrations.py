"""The body of every service's Alembic env.py: one schema, its own version table, async engine."""

import asyncio
import importlib
import pkgutil
from collections.abc import Mapping
from typing import Any

from alembic import context
from sqlalchemy import Column, MetaData, Table, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from shared.settings import async_url

# The schema every session of the migration engine starts on. SQLAlchemy reads a connection's default schema
# (`current_schema()`) once, when the engine first connects, and alembic's autogenerate leaves that schema
# unnamed. A service role's own search_path is its schema (ops/migrate.py), which would make the service's
# schema that unnamed default: the models, which name it, would then match nothing in the database. Starting
# on `public` keeps the service's schema a named one, so autogenerate compares it table by table and writes
# `schema="budget"` into the operations, as every existing migration does.
CONNECT_SEARCH_PATH = "public"


def import_models(package: str) -> None:
    """Import every `models` module below a service package, so its tables join the metadata."""
    root = importlib.import_module(package)
    for module in pkgutil.walk_packages(root.__path__, prefix=f"{package}."):
        if module.name.rsplit(".", 1)[-1] == "models":
            importlib.import_module(module.name)


def context_options(
    schema: str,
    target_metadata: MetaData,
    unmodelled_tables: Mapping[str, str] | None = None,
    unmodelled_columns: Mapping[tuple[str, str], str] | None = None,
) -> dict[str, Any]:
    """How a service's migration context sees the database: its own schema only, its version table there,
    column types compared. Tables and columns that exist in the schema but that no model declares on purpose
    (`unmodelled_tables` by name, `unmodelled_columns` by (table, column), each with its reason) are left out
    of the comparison, so autogenerate never proposes to drop them."""
    tables = unmodelled_tables or {}
    columns = unmodelled_columns or {}

    def include_name(name: str | None, type_: str, parent_names: object) -> bool:
        return type_ != "schema" or name == schema

    def include_object(
        object_: object, name: str | None, type_: str, reflected: bool, compare_to: object | None
    ) -> bool:
        # Only what is in the database and missing from the models: a listed table that a model comes to
        # declare is compared again like any other.
        if not reflected or compare_to is not None:
            return True
        if isinstance(object_, Table) and type_ == "table":
            return object_.name not in tables
        if isinstance(object_, Column) and type_ == "column":
            return (object_.table.name, object_.name) not in columns
        return True

    return {
        "target_metadata": target_metadata,
        "version_table_schema": schema,
        "include_schemas": True,
        "include_name": include_name,
        "include_object": include_object,
        "compare_type": True,
    }


def run_migrations(
    schema: str,
    target_metadata: MetaData,
    unmodelled_tables: Mapping[str, str] | None = None,
    unmodelled_columns: Mapping[tuple[str, str], str] | None = None,
) -> None:
    """Run the migrations of one service, inside its own schema, as its own database role; the same context
    serves `alembic revision --autogenerate` and `alembic check`."""
    config = context.config
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("sqlalchemy.url is not set; run migrations with `python -m ops.migrate`")
    options = context_options(schema, target_metadata, unmodelled_tables, unmodelled_columns)

    def configure(connection: Connection | None = None, **kwargs: object) -> None:
        context.configure(connection=connection, **options, **kwargs)  # type: ignore[arg-type]

    if context.is_offline_mode():
        configure(url=url, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return

    def do_run(connection: Connection) -> None:
        # The migrations themselves run with the service's schema first, as they always have.
        connection.exec_driver_sql(f'SET search_path TO "{schema}"')
        configure(connection)
        with context.begin_transaction():
            context.run_migrations()

    async def run_async() -> None:
        engine = create_async_engine(
            async_url(url),
            poolclass=pool.NullPool,
            connect_args={"server_settings": {"search_path": CONNECT_SEARCH_PATH}},
        )
        async with engine.connect() as connection:
            await connection.run_sync(do_run)
            await connection.commit()
        await engine.dispose()

    asyncio.run(run_async())

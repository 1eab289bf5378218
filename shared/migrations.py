"""The body of every service's Alembic env.py: one schema, its own version table, async engine."""

import asyncio
import importlib
import pkgutil
from typing import Any

from alembic import context
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from shared.settings import async_url


def import_models(package: str) -> None:
    """Import every `models` module below a service package, so its tables join the metadata."""
    root = importlib.import_module(package)
    for module in pkgutil.walk_packages(root.__path__, prefix=f"{package}."):
        if module.name.rsplit(".", 1)[-1] == "models":
            importlib.import_module(module.name)


def context_options(schema: str, target_metadata: MetaData) -> dict[str, Any]:
    """How a service's migration context sees the database: its own schema only, its version table there,
    column types compared. `alembic.autogenerate.compare_metadata` takes the same options
    (tests/shared/test_migrations.py), on a connection whose default schema is another one: alembic reflects
    the default schema as unnamed, which `include_name` leaves out."""

    def include_name(name: str | None, type_: str, parent_names: object) -> bool:
        return type_ != "schema" or name == schema

    return {
        "target_metadata": target_metadata,
        "version_table_schema": schema,
        "include_schemas": True,
        "include_name": include_name,
        "compare_type": True,
    }


def run_migrations(schema: str, target_metadata: MetaData) -> None:
    """Run the migrations of one service, inside its own schema, as its own database role."""
    config = context.config
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("sqlalchemy.url is not set; run migrations with `python -m ops.migrate`")

    def configure(connection: Connection | None = None, **kwargs: object) -> None:
        context.configure(
            connection=connection,
            **context_options(schema, target_metadata),
            **kwargs,  # type: ignore[arg-type]
        )

    if context.is_offline_mode():
        configure(url=url, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return

    def do_run(connection: Connection) -> None:
        connection.exec_driver_sql(f'SET search_path TO "{schema}"')
        configure(connection)
        with context.begin_transaction():
            context.run_migrations()

    async def run_async() -> None:
        engine = create_async_engine(async_url(url), poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(do_run)
            await connection.commit()
        await engine.dispose()

    asyncio.run(run_async())

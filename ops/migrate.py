"""Migrate every service: create each service's role and schema, then run its Alembic migrations as that role.

    python -m ops.migrate            # uses DATABASE_URL (an administrator's URL)
    python -m ops.migrate --service budget --downgrade 0017    # a rollback: one service, to a revision

A separate step (a Kubernetes Job, `make migrate`); services never migrate at startup.
"""

import argparse
import asyncio
import logging
import os
from pathlib import Path

import asyncpg
from alembic import command
from alembic.config import Config
from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.settings import (
    DEV_DB_PASSWORD,
    SERVICES,
    AppEnv,
    plain_url,
    service_database_url,
    service_role,
)

logger = logging.getLogger("ops.migrate")
EXTENSIONS = ("btree_gist",)
ROOT = Path(__file__).resolve().parents[1]


class RolePasswords(BaseSettings):
    """The service roles' passwords (COUNCILS_DB_PASSWORD …), all the migration needs besides DATABASE_URL."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    app_env: AppEnv = "dev"
    councils_db_password: SecretStr = SecretStr(DEV_DB_PASSWORD)
    budget_db_password: SecretStr = SecretStr(DEV_DB_PASSWORD)
    evaluation_db_password: SecretStr = SecretStr(DEV_DB_PASSWORD)

    @model_validator(mode="after")
    def _refuse_dev_passwords_in_production(self) -> "RolePasswords":
        if self.app_env == "production" and DEV_DB_PASSWORD in self.by_service().values():
            raise ValueError("a service role uses the development password; set *_DB_PASSWORD for production")
        return self

    def by_service(self) -> dict[str, str]:
        return {service: getattr(self, f"{service}_db_password").get_secret_value() for service in SERVICES}


def service_passwords() -> dict[str, str]:
    return RolePasswords().by_service()


async def bootstrap(admin_url: str, passwords: dict[str, str]) -> None:
    """Create (or update) the roles and schemas. Each role owns its schema and can use nothing else."""
    conn = await asyncpg.connect(plain_url(admin_url))
    try:
        database = await conn.fetchval("SELECT current_database()")
        await conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        await conn.execute(f'REVOKE ALL ON DATABASE "{database}" FROM PUBLIC')
        # Extensions need an administrator; services use them for exclusion constraints and digests.
        for extension in EXTENSIONS:
            await conn.execute(f'CREATE EXTENSION IF NOT EXISTS "{extension}" SCHEMA public')
        for service, password in passwords.items():
            role = service_role(service)
            await _ensure_role(conn, role, password)
            await conn.execute(f'GRANT CONNECT, TEMPORARY ON DATABASE "{database}" TO "{role}"')
            await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{service}" AUTHORIZATION "{role}"')
            await conn.execute(f'REVOKE ALL ON SCHEMA "{service}" FROM PUBLIC')
            await conn.execute(f'ALTER ROLE "{role}" IN DATABASE "{database}" SET search_path = "{service}"')
    finally:
        await conn.close()


async def _ensure_role(conn: asyncpg.Connection, role: str, password: str) -> None:
    # Roles are cluster-wide and several databases (dev, test) may bootstrap at once: tolerate the race.
    create = await conn.fetchval(
        "SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', $1::text, $2::text)", role, password
    )
    alter = await conn.fetchval(
        "SELECT format('ALTER ROLE %I LOGIN PASSWORD %L', $1::text, $2::text)", role, password
    )
    exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
    if not exists:
        try:
            await conn.execute(create)
            return
        except asyncpg.DuplicateObjectError:
            pass
    await conn.execute(alter)


def alembic_config(service: str, url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(ROOT / "services" / service / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(service: str, url: str, revision: str = "heads") -> None:
    command.upgrade(alembic_config(service, url), revision)


def downgrade(service: str, url: str, revision: str) -> None:
    command.downgrade(alembic_config(service, url), revision)


def service_url(admin_url: str, service: str) -> str:
    """The service's database URL, as its own role (the password from COUNCILS_DB_PASSWORD …)."""
    return service_database_url(admin_url, service, service_passwords()[service])


def downgrade_service(admin_url: str, service: str, revision: str) -> None:
    """Downgrade one service's schema to `revision` (`base`: nothing) as the service's role, like upgrades."""
    downgrade(service, service_url(admin_url, service), revision)


def migrate_all(admin_url: str, services: tuple[str, ...] = SERVICES) -> dict[str, str]:
    """Bootstrap and migrate; returns each service's database URL."""
    passwords = service_passwords()
    asyncio.run(bootstrap(admin_url, passwords))
    urls = {}
    for service in services:
        urls[service] = service_database_url(admin_url, service, passwords[service])
        upgrade(service, urls[service])
        logger.info("migrated %s", service)
    return urls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--service", choices=SERVICES, action="append", help="only these services")
    parser.add_argument(
        "--downgrade", metavar="REVISION", help="downgrade the one --service to REVISION (`base`: nothing)"
    )
    args = parser.parse_args()
    if args.downgrade and len(args.service or ()) != 1:
        parser.error("--downgrade needs exactly one --service")
    admin_url = os.environ.get("DATABASE_URL")
    if not admin_url:
        raise SystemExit("DATABASE_URL (an administrator's PostgreSQL URL) is required")
    logging.basicConfig(level="INFO", format="%(message)s")
    if args.downgrade:
        downgrade_service(admin_url, args.service[0], args.downgrade)
        print(f"{args.service[0]} downgraded to {args.downgrade}")
        return
    migrate_all(admin_url, tuple(args.service or SERVICES))
    print("migrations applied")


if __name__ == "__main__":
    main()

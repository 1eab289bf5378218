"""The councils schema's declarative base; every table of the service lives in schema `councils`."""

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from shared.db import NAMING_CONVENTION

SCHEMA = "councils"

# What the schema holds that no model declares, each with its reason: the code reaches it with SQL of its own.
# Autogenerate and `alembic check` leave these out (shared/migrations.py): they never come out as "drop".
UNMODELLED_TABLES: dict[str, str] = {
    "idempotency_keys": "shared/idempotency.py keeps the answers with its own SQL",
    "registry_version": "one row bumped by triggers, read with SQL by common/read_cache.py",
}
UNMODELLED_COLUMNS: dict[tuple[str, str], str] = {
    (table, "version"): "the ETag: bumped by the bump_version trigger, read and matched with SQL by "
    "shared/preconditions.py; unmapped so that no ORM object holds a stale copy"
    for table in ("organizations", "persons", "memberships", "meetings", "motions")
}


class Base(DeclarativeBase):
    metadata = MetaData(schema=SCHEMA, naming_convention=NAMING_CONVENTION)

"""The evaluation schema's declarative base; every table of the service lives in schema `evaluation`."""

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from shared.db import NAMING_CONVENTION

SCHEMA = "evaluation"

# What the schema holds that no model declares, each with its reason: the code reaches it with SQL of its own.
# Autogenerate and `alembic check` leave these out (shared/migrations.py): they never come out as "drop".
UNMODELLED_TABLES: dict[str, str] = {
    "idempotency_keys": "shared/idempotency.py keeps the answers with its own SQL",
    "outbox_events": "shared/outbox.py writes and relays it with its own SQL",
    "cycle_data_versions": "bumped by triggers, read with SQL by comparison/repository.py",
}
UNMODELLED_COLUMNS: dict[tuple[str, str], str] = {}


class Base(DeclarativeBase):
    metadata = MetaData(schema=SCHEMA, naming_convention=NAMING_CONVENTION)

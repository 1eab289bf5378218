"""The budget schema's declarative base; every table of the service lives in schema `budget`."""

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from shared.db import NAMING_CONVENTION

SCHEMA = "budget"

# What the schema holds that no model declares, each with its reason: the code reaches it with SQL of its own.
# Autogenerate and `alembic check` leave these out (shared/migrations.py): they never come out as "drop".
UNMODELLED_TABLES: dict[str, str] = {
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
}
UNMODELLED_COLUMNS: dict[tuple[str, str], str] = {}


class Base(DeclarativeBase):
    metadata = MetaData(schema=SCHEMA, naming_convention=NAMING_CONVENTION)

from services.budget.models import SCHEMA, UNMODELLED_COLUMNS, UNMODELLED_TABLES, Base
from shared.migrations import import_models, run_migrations

import_models("services.budget")
run_migrations(SCHEMA, Base.metadata, UNMODELLED_TABLES, UNMODELLED_COLUMNS)

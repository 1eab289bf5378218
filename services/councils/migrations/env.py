from services.councils.models import SCHEMA, UNMODELLED_COLUMNS, UNMODELLED_TABLES, Base
from shared.migrations import import_models, run_migrations

import_models("services.councils")
run_migrations(SCHEMA, Base.metadata, UNMODELLED_TABLES, UNMODELLED_COLUMNS)

from services.budget.models import SCHEMA, Base
from shared.migrations import import_models, run_migrations

import_models("services.budget")
run_migrations(SCHEMA, Base.metadata)

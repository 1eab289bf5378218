from services.evaluation.models import SCHEMA, Base
from shared.migrations import import_models, run_migrations

import_models("services.evaluation")
run_migrations(SCHEMA, Base.metadata)

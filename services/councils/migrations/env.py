from services.councils.models import SCHEMA, Base
from shared.migrations import import_models, run_migrations

import_models("services.councils")
run_migrations(SCHEMA, Base.metadata)

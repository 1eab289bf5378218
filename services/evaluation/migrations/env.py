from services.evaluation.cycles import models as _cycles  # noqa: F401  (registers tables)
from services.evaluation.models import SCHEMA, Base
from shared.migrations import run_migrations

run_migrations(SCHEMA, Base.metadata)

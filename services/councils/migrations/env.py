from services.councils.districts import models as _districts  # noqa: F401  (registers tables)
from services.councils.models import SCHEMA, Base
from shared.migrations import run_migrations

run_migrations(SCHEMA, Base.metadata)

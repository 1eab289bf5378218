"""`make demo`'s budget step against real processes: seed 001's sheet totals 1,456,200 KRW (gateway)."""

import pytest

from ops.demo_projects import SEED_001_TOTAL, load_projects
from tests.conftest import SHARED_DIR, require_shared
from tests.e2e.conftest import System

pytestmark = pytest.mark.e2e


def test_demo_loads_seed_001_as_a_projects_expenditures_once(system: System) -> None:
    require_shared(SHARED_DIR / "data" / "seoul_2017" / "expenses.csv")
    first = load_projects(system.gateway, SHARED_DIR)
    assert (first.spent_krw, first.created) == (SEED_001_TOTAL, 4)
    again = load_projects(system.gateway, SHARED_DIR)
    assert (again.project_id, again.spent_krw, again.created) == (first.project_id, SEED_001_TOTAL, 0)

"""Budget test helpers: building cycles, envelopes and proposals through the API, and a committing client."""

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from tests.conftest import Database, own_database, pooled_client

Auth = Callable[..., dict[str, str]]
DISTRICT = "11110"  # 종로구


class Budget:
    """Builds records through the API as the right role, failing loudly on any non-2xx."""

    def __init__(self, client: httpx.AsyncClient, auth: Auth, app: Any = None) -> None:
        self.client = client
        self.app = app  # the FastAPI app behind `client`, when a test looks at its state (its pool)
        self.auth = auth
        self.city = auth("city_officer", subject="city-officer-1")
        self.officer = auth("district_officer", DISTRICT, subject="jongno-officer")
        self.citizen = auth("citizen", subject="citizen-1")

    async def ok(self, method: str, url: str, headers: dict[str, str], **kwargs: Any) -> Any:
        response = await self.client.request(method, url, headers=headers, **kwargs)
        assert response.status_code in (200, 201), response.text
        return response.json()

    async def cycle(self, fiscal_year: int = 2018) -> int:
        body = {"name_ko": f"{fiscal_year}년 시민참여예산", "fiscal_year": fiscal_year}
        return int((await self.ok("POST", "/budget/cycles", self.city, json=body))["id"])

    async def envelope(
        self,
        amount: int = 1_000_000,
        district: str | None = DISTRICT,
        track: str = "general",
        fiscal_year: int = 2018,
    ) -> dict[str, Any]:
        cycle_id = await self.cycle(fiscal_year)
        body = {"district_code": district, "track": track, "amount_krw": amount, "funding_type": "general"}
        result: dict[str, Any] = await self.ok(
            "POST", f"/budget/cycles/{cycle_id}/envelopes", self.city, json=body
        )
        return result

    async def proposal(
        self, envelope: dict[str, Any], amount: int, title: str = "골목 정원"
    ) -> dict[str, Any]:
        body = {
            "district_code": envelope["district_code"],
            "track": envelope["track"],
            "title_ko": title,
            "requested_krw": amount,
        }
        url = f"/budget/cycles/{envelope['cycle_id']}/proposals"
        result: dict[str, Any] = await self.ok("POST", url, self.citizen, json=body)
        return result

    async def accept(self, proposal_id: int) -> dict[str, Any]:
        body = {"legal_valid": True, "already_funded": False, "feasible": True, "department": "도시계획과"}
        result: dict[str, Any] = await self.ok(
            "POST", f"/budget/proposals/{proposal_id}/review", self.officer, json=body
        )
        return result

    async def accepted(self, envelope: dict[str, Any], amount: int) -> int:
        proposal = await self.proposal(envelope, amount)
        await self.accept(proposal["id"])
        return int(proposal["id"])

    async def shortlist(self, envelope_id: int, round: int, proposal_id: int) -> httpx.Response:
        return await self.client.post(
            f"/budget/envelopes/{envelope_id}/screenings/{round}/shortlist",
            json={"proposal_id": proposal_id},
            headers=self.city,
        )

    async def through_deliberation(self, proposal_id: int) -> None:
        for stage in ("governance_school", "intensive_workshop", "coaching_forum"):
            await self.ok(
                "POST", f"/budget/proposals/{proposal_id}/stage", self.officer, json={"stage": stage}
            )


@pytest.fixture
def api(budget: httpx.AsyncClient, auth: Auth) -> Budget:
    return Budget(budget, auth)


@pytest.fixture(scope="session")
def committed_database(database: Database) -> Database:
    """Where `committing` writes: a database of its own (the budget schema only), created and migrated once
    a run, so the rolled-back tests never see what the races leave. Every committing test of the run shares
    it."""
    return own_database(database, "seoul_test_budget_committed", ("budget",))


@pytest.fixture(scope="session")
def budget_settings(committed_database: Database) -> Any:
    """The settings of the `committing` app."""
    from services.budget.settings import BudgetSettings

    return BudgetSettings(database_url=committed_database.service_urls["budget"])


@pytest.fixture
async def committing(committed_database: Database, budget_settings: Any, auth: Auth) -> AsyncIterator[Budget]:
    """A budget app on its own pool whose requests commit for real, on separate connections (races), to the
    committed database."""
    from services.budget.main import create_app

    app = create_app(budget_settings)
    async with pooled_client(app, committed_database.service_urls["budget"], 25, 5) as client:
        yield Budget(client, auth, app)


def window(hours_before: float = 1, hours_after: float = 1) -> dict[str, str]:
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    return {
        "opens_at": (now - timedelta(hours=hours_before)).isoformat(),
        "closes_at": (now + timedelta(hours=hours_after)).isoformat(),
    }


PROJECTS = [
    {"project_id": "A", "name": "도서관", "cost_krw": 600_000},
    {"project_id": "B", "name": "공원", "cost_krw": 500_000},
    {"project_id": "C", "name": "놀이터", "cost_krw": 300_000},
    {"project_id": "D", "name": "벤치", "cost_krw": 100_000},
]


async def create_election(api: Budget, **fields: Any) -> dict[str, Any]:
    body = {
        "name_ko": "2018 종로구 주민투표",
        "budget_krw": 1_000_000,
        "projects": PROJECTS,
        **window(),
        **fields,
    }
    result: dict[str, Any] = await api.ok("POST", "/budget/elections", api.city, json=body)
    return result

"""Evaluation test helpers: building cycles, targets, windows and indicators through the API."""

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from ops.evaluation_2017 import RUBRIC, SCHEDULE_2017
from shared.auth import mint_token
from shared.settings import CommonSettings
from tests.conftest import Database, ServiceHarness, own_database, pooled_client

Auth = Callable[..., dict[str, str]]

EUNPYEONG, GANGBUK, GWANAK = "11380", "11305", "11620"


class Evaluation:
    """Builds records through the API as the right role, failing loudly on any non-2xx."""

    def __init__(self, client: httpx.AsyncClient, auth: Auth) -> None:
        self.client = client
        self.auth = auth
        self.next_org = 1000

    @property
    def city(self) -> dict[str, str]:
        # Minted at each use: a test that pins the clock gets a token valid at the pinned time.
        return self.auth("city_officer", subject="city-officer-1")

    async def ok(self, method: str, url: str, headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
        response = await self.client.request(method, url, headers=headers or self.city, **kwargs)
        assert response.status_code in (200, 201, 204), response.text
        return response.json() if response.content else None

    async def cycle(self, year: int = 2017) -> int:
        body = {"programme": "civic_platform", "name_ko": f"{year} 시민협력플랫폼 성과평가", "year": year}
        return int((await self.ok("POST", "/evaluation/cycles", json=body))["id"])

    async def target(
        self, cycle_id: int, round: int = 1, district: str = EUNPYEONG, organization_id: int | None = None
    ) -> dict[str, Any]:
        if organization_id is None:
            self.next_org += 1
            organization_id = self.next_org
        body = {"organization_id": organization_id, "district_code": district, "round": round}
        result: dict[str, Any] = await self.ok("POST", f"/evaluation/cycles/{cycle_id}/targets", json=body)
        return result

    async def schedule(self, cycle_id: int, round: int = 1) -> None:
        for phase, (starts, ends) in SCHEDULE_2017[round].items():
            body = {"phase": phase, "starts_on": starts, "ends_on": ends}
            await self.ok("POST", f"/evaluation/cycles/{cycle_id}/rounds/{round}/windows", json=body)

    async def common(self, cycle_id: int, weight: int, **fields: Any) -> dict[str, Any]:
        body = {"name_ko": "공론장 운영 횟수", "measure": "unit", "weight": weight, **fields}
        result: dict[str, Any] = await self.ok("POST", f"/evaluation/cycles/{cycle_id}/indicators", json=body)
        return result

    async def specific(self, target_id: int, weight: int, **fields: Any) -> dict[str, Any]:
        body = {"name_ko": "네트워크 참여 단체 수", "measure": "unit", "weight": weight, **fields}
        result: dict[str, Any] = await self.ok(
            "POST", f"/evaluation/targets/{target_id}/indicators", json=body
        )
        return result

    async def rubric(self, cycle_id: int) -> dict[str, Any]:
        result: dict[str, Any] = await self.ok("POST", f"/evaluation/cycles/{cycle_id}/rubrics", json=RUBRIC)
        return result

    async def open_target(self, target_id: int) -> httpx.Response:
        return await self.client.post(f"/evaluation/targets/{target_id}/open", headers=self.city)


@pytest.fixture
def api(evaluation: httpx.AsyncClient, auth: Auth) -> Evaluation:
    return Evaluation(evaluation, auth)


@pytest.fixture(scope="session")
def committed_database(database: Database) -> Database:
    """Where `committing` (and SQL committed beside it) writes: a database of its own (the evaluation schema
    only), created and migrated once a run, so the rolled-back tests never see what the races leave. Every
    committing test of the run shares it, each on cycles of its own."""
    return own_database(database, "seoul_test_evaluation_committed", ("evaluation",))


@pytest.fixture
async def committing(committed_database: Database, auth: Auth) -> AsyncIterator[Evaluation]:
    """An evaluation app on its own pool whose requests commit for real, on separate connections (races), to
    the committed database."""
    from services.evaluation.comparison import service as comparison
    from services.evaluation.cycle_aggregation import service as aggregation
    from services.evaluation.main import create_app
    from services.evaluation.settings import EvaluationSettings

    url = committed_database.service_urls["evaluation"]
    try:
        async with pooled_client(create_app(EvaluationSettings(database_url=url)), url, 12, 4) as client:
            yield Evaluation(client, auth)
    finally:
        # The answers kept by cycle id and data version are the process's, whichever database they came from:
        # a cycle id of this database may be another cycle's in the test database.
        comparison.ANSWERS.clear()
        aggregation.ANSWERS.clear()


@pytest.fixture
async def scoring(
    evaluation_harness: ServiceHarness, auth: Auth
) -> AsyncIterator[tuple[Evaluation, AsyncConnection]]:
    """The API and its connection (one rolled-back transaction): panels and scores are written as SQL."""
    async for client, conn in evaluation_harness.client():
        yield Evaluation(client, auth), conn


@pytest.fixture
def agency(settings: CommonSettings) -> Callable[[int], dict[str, str]]:
    """Bearer headers of the agency of a councils organisation."""

    def make(organization_id: int) -> dict[str, str]:
        token = mint_token(
            settings, subject=f"agency-{organization_id}", role="agency", organization_id=organization_id
        )
        return {"Authorization": f"Bearer {token}"}

    return make

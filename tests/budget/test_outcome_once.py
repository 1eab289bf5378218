"""One computation of one outcome at a time: concurrent requests for it, on separate connections that commit
(as two replicas would), compute it once; the others wait and read what was stored, or answer 409."""

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest

from services.budget.elections import outcomes
from tests.budget.conftest import Auth, Budget, create_election
from tests.conftest import assert_problem

SLOW = 1.0  # seconds a computation takes here: long enough for the others to arrive while it runs


@pytest.fixture
def computations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The rules computed, one entry per run of the engine; each run made to take SLOW seconds."""
    runs: list[str] = []
    decide = outcomes.decide

    def slow_decide(*args: Any, rule: str, **kwargs: Any) -> Any:
        runs.append(rule)
        time.sleep(SLOW)  # in the worker thread, as the engine runs
        return decide(*args, rule=rule, **kwargs)

    monkeypatch.setattr(outcomes, "decide", slow_decide)
    return runs


async def voted_election(api: Budget, auth: Auth) -> int:
    eid = int((await create_election(api, ballot={"type": "approval", "max_length": 2}))["id"])
    for i, ballot in enumerate([["A"], ["A", "B"], ["B", "C"], ["C", "D"], ["C"]]):
        url = f"/budget/elections/{eid}/ballot"
        await api.ok("PUT", url, auth("citizen", subject=f"once-{eid}-{i}"), json={"project_ids": ballot})
    return eid


def later(seconds: float, call: Callable[[], Any]) -> Any:
    async def run() -> Any:
        await asyncio.sleep(seconds)
        return await call()

    return run()


async def test_concurrent_requests_for_one_outcome_compute_it_once(
    committing: Budget, auth: Auth, computations: list[str]
) -> None:
    api = committing
    eid = await voted_election(api, auth)
    url = f"/budget/elections/{eid}/outcome?rule=greedy"
    first, *others = await asyncio.gather(
        api.client.get(url, headers=api.city),
        *(later(0.2, lambda: api.client.get(url, headers=api.city)) for _ in range(3)),
    )
    assert computations == ["greedy"]
    for response in (first, *others):
        assert response.status_code == 200, response.text
        assert response.json()["id"] == first.json()["id"]
        assert response.json()["selected"] == first.json()["selected"]


async def test_a_request_that_waits_too_long_is_told_to_retry_and_the_outcome_is_then_read(
    committing: Budget, auth: Auth, computations: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    api = committing
    eid = await voted_election(api, auth)
    monkeypatch.setattr(outcomes, "OUTCOME_WAIT", "200ms")
    url = f"/budget/elections/{eid}/outcome?rule=greedy"
    first, second = await asyncio.gather(
        api.client.get(url, headers=api.city), later(0.2, lambda: api.client.get(url, headers=api.city))
    )
    assert first.status_code == 200, first.text
    problem = assert_problem(second, 409)
    assert problem["code"] == "outcome-being-computed"
    assert second.headers["retry-after"] == "5"
    again = await api.ok("GET", url, api.city)
    assert again["id"] == first.json()["id"]
    assert computations == ["greedy"]


async def test_different_outcomes_are_computed_side_by_side(
    committing: Budget, auth: Auth, computations: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    api = committing
    eid = await voted_election(api, auth)
    monkeypatch.setattr(outcomes, "OUTCOME_WAIT", "200ms")  # one waiting for the other would be refused
    base = f"/budget/elections/{eid}/outcome"
    answers = await asyncio.gather(
        api.client.get(f"{base}?rule=greedy", headers=api.city),
        later(0.2, lambda: api.client.get(f"{base}?rule=mes-add1", headers=api.city)),
    )
    assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
    assert sorted(computations) == ["greedy", "mes-add1"]


async def test_publishing_while_a_reader_computes_the_same_outcome_stores_one_record(
    committing: Budget, auth: Auth, computations: list[str]
) -> None:
    """publish() holds the election's row lock and does not wait for a turn: no deadlock, one record."""
    api = committing
    eid = await voted_election(api, auth)
    await api.ok("POST", f"/budget/elections/{eid}/close", api.city)
    read, published = await asyncio.gather(
        api.client.get(f"/budget/elections/{eid}/outcome", headers=api.city),
        later(0.2, lambda: api.client.post(f"/budget/elections/{eid}/publish", headers=api.city)),
    )
    assert read.status_code == 200, read.text
    assert published.status_code == 200, published.text
    public = await api.ok("GET", f"/budget/elections/{eid}/outcome", {})
    assert public["id"] == read.json()["id"]
    assert len(computations) == 2  # the reader's and publish's own: publication never waits for a turn

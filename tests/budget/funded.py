"""Helpers of the money tests: a published election's funded projects, built through the API."""

from typing import Any

from tests.budget.conftest import PROJECTS, Budget, create_election

# Two ballots, greedy within 1,000,000: A (600,000), C (300,000) and D (100,000) are selected, B is not.
BALLOTS = [["A", "C"], ["A", "D"]]


async def published_election(
    api: Budget, projects: list[dict[str, Any]] | None = None, fiscal_year: int = 2018
) -> dict[str, Any]:
    amount = max(1_000_000, sum(p["cost_krw"] for p in projects or []))
    envelope = await api.envelope(amount, fiscal_year=fiscal_year)
    election = await create_election(
        api, envelope_id=envelope["id"], projects=projects or PROJECTS, budget_krw=None
    )
    eid = election["id"]
    ballots = BALLOTS if projects is None else [[p["project_id"] for p in projects]]
    for i, ballot in enumerate(ballots):
        voter = api.auth("citizen", subject=f"money-voter-{eid}-{i}")
        await api.ok("PUT", f"/budget/elections/{eid}/ballot", voter, json={"project_ids": ballot})
    await api.ok("POST", f"/budget/elections/{eid}/close", api.city)
    result: dict[str, Any] = await api.ok("POST", f"/budget/elections/{eid}/publish", api.city)
    return result


async def funded(
    api: Budget, lines: dict[str, Any] | None = None, fiscal_year: int = 2018
) -> dict[str, dict[str, Any]]:
    """The funded projects of a fresh published election (of a cycle of `fiscal_year`), by their id on the
    ballot."""
    election = await published_election(api, fiscal_year=fiscal_year)
    body = {"lines": lines or {}}
    created = await api.ok("POST", f"/budget/elections/{election['id']}/projects", api.city, json=body)
    return {p["election_project_id"]: p for p in created["items"]}


async def running(api: Budget, project_id: int) -> dict[str, Any]:
    """The project put in progress by its district's officer."""
    result: dict[str, Any] = await api.ok(
        "POST", f"/budget/projects/{project_id}/status", api.officer, json={"status": "in_progress"}
    )
    return result

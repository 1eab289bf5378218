"""The ballot's hot route (shared/hot_routes.py): well-formed ballots skip FastAPI's routing and dependency
solving, everything else is FastAPI's, with the body the hot handler read replayed."""

import re
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import Response

from shared.hot_routes import HotHandler, HotRoute, HotRoutes
from shared.json_body import JsonBodyRequest
from tests.budget.conftest import Budget, create_election
from tests.conftest import ServiceHarness, assert_problem

ROUTE = "/budget/elections/{election_id}/ballot"


def _count(metrics: str, status: int) -> float:
    pattern = (
        rf'http_requests_total{{[^}}]*method="PUT",route="{re.escape(ROUTE)}"[^}}]*status="{status}"}} (\S+)'
    )
    match = re.search(pattern, metrics)
    return float(match.group(1)) if match else 0.0


async def test_a_hot_ballot_is_measured_under_its_route(api: Budget) -> None:
    eid = (await create_election(api, ballot={"type": "approval", "max_length": 3}))["id"]
    before = _count((await api.client.get("/metrics")).text, 200)
    cast = await api.client.put(
        f"/budget/elections/{eid}/ballot", json={"project_ids": ["A"]}, headers=api.citizen
    )
    assert cast.status_code == 200 and cast.json()["project_ids"] == ["A"], cast.text
    assert cast.headers["x-request-id"]
    assert _count((await api.client.get("/metrics")).text, 200) == before + 1


async def test_what_the_hot_handler_declines_fastapi_answers_with_the_same_body(api: Budget) -> None:
    eid = (await create_election(api, ballot={"type": "approval", "max_length": 3}))["id"]
    url = f"/budget/elections/{eid}/ballot"
    body = {"project_ids": ["B", "A"]}
    # A path FastAPI reads as the same election, a query: declined after the body was read, cast by FastAPI.
    zero = await api.client.put(f"/budget/elections/0{eid}/ballot", json=body, headers=api.citizen)
    assert zero.status_code == 200 and zero.json()["project_ids"] == ["A", "B"], zero.text
    query = await api.client.put(url, params={"note": "x"}, json={"project_ids": ["C"]}, headers=api.citizen)
    assert query.status_code == 200 and query.json()["revision"] == 2, query.text
    # Refusals as FastAPI words them, naming the field, and in its order (the token before the body).
    extra = {"project_ids": ["A"], "surplus": 1}
    assert_problem(await api.client.put(url, json=extra, headers=api.citizen), 422, field="body.surplus")
    assert_problem(await api.client.put(url, json=extra), 401)
    assert_problem(await api.client.put(url, json=["A"], headers=api.citizen), 422, field="body")
    assert_problem(await api.client.put("/budget/elections/0/ballot", json=body), 401)
    too_big = f"/budget/elections/{2**31}/ballot"
    assert_problem(
        await api.client.put(too_big, json=body, headers=api.citizen), 422, field="path.election_id"
    )
    text = {**api.citizen, "Content-Type": "text/plain"}
    assert_problem(await api.client.put(url, content=b'{"project_ids":["A"]}', headers=text), 415)


async def test_a_well_formed_ballot_is_answered_by_the_hot_handler(
    api: Budget, budget_harness: ServiceHarness
) -> None:
    with hot_handlers_recorded(budget_harness, "PUT") as served:
        eid = (await create_election(api, ballot={"type": "approval", "max_length": 3}))["id"]
        cast = await api.client.put(
            f"/budget/elections/{eid}/ballot", json={"project_ids": ["A"]}, headers=api.citizen
        )
        assert cast.status_code == 200, cast.text
    assert served == ["answered"]


@contextmanager
def hot_handlers_recorded(harness: ServiceHarness, method: str) -> Iterator[list[str]]:
    """What the hot handlers of `method` did with each request they saw: "answered" or "declined"."""
    # The hot routes sit in Starlette's `router.middleware_stack`: were a Starlette upgrade to rebuild it,
    # requests would silently take the slow path again. This fails instead.
    stack = harness.app.router.middleware_stack
    assert isinstance(stack, HotRoutes), type(stack)
    served: list[str] = []
    original = stack.hot
    stack.hot = [
        (hot_method, pattern, HotRoute(hot.method, hot.route, _recording(hot.handler, served)))
        if hot_method == method
        else (hot_method, pattern, hot)
        for hot_method, pattern, hot in original
    ]
    try:
        yield served
    finally:
        stack.hot = original
    assert harness.app.router.middleware_stack is stack


def _recording(handler: HotHandler, served: list[str]) -> HotHandler:
    async def record(request: JsonBodyRequest) -> Response | None:
        response = await handler(request)
        served.append("declined" if response is None else "answered")
        return response

    return record

"""Anonymous reads of a published outcome (JSON and SVG) as hot routes (elections/published_hot.py):
answered from the election's pointer and the kept body with the route's own headers; everything else is the
route's, with the route's answers."""

import httpx
import pytest

from tests.budget.conftest import Auth, Budget, create_election
from tests.budget.test_ballot_hot_route import hot_handlers_recorded
from tests.budget.test_outcome_reads import published_election
from tests.conftest import ServiceHarness, assert_problem

SAME_HEADERS = ("etag", "cache-control", "content-type", "content-length")


def assert_same_answer(hot: httpx.Response, route: httpx.Response) -> None:
    assert hot.status_code == route.status_code == 200, (hot.text, route.text)
    assert hot.content == route.content
    for name in SAME_HEADERS:
        assert hot.headers.get(name) == route.headers.get(name), name


@pytest.mark.parametrize("suffix", ["", ".svg"], ids=["json", "svg"])
async def test_an_anonymous_read_of_a_published_outcome_is_the_hot_handlers_with_the_routes_answer(
    api: Budget, budget_harness: ServiceHarness, auth: Auth, suffix: str
) -> None:
    eid = await published_election(api, auth)
    url = f"/budget/elections/{eid}/outcome{suffix}"
    with hot_handlers_recorded(budget_harness, "GET") as served:
        first = await api.client.get(url)  # not kept yet in this process: the route reads and keeps it
        again = await api.client.get(url)
        tag = again.headers["etag"]
        not_modified = await api.client.get(url, headers={"If-None-Match": f'"other", W/{tag}'})
        modified = await api.client.get(url, headers={"If-None-Match": '"outcome-0"'})
    assert served == ["declined", "answered", "answered", "answered"]
    assert_same_answer(again, first)
    assert_same_answer(modified, first)
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert not_modified.headers["etag"] == tag
    assert not_modified.headers["cache-control"] == first.headers["cache-control"]
    assert again.headers["x-request-id"] != first.headers["x-request-id"]


async def test_what_the_hot_read_declines_the_route_answers(
    api: Budget, budget_harness: ServiceHarness, auth: Auth
) -> None:
    eid = await published_election(api, auth)
    url = f"/budget/elections/{eid}/outcome"
    published = await api.client.get(url)
    unpublished = (await create_election(api, rule="greedy", ballot={"type": "approval", "max_length": 2}))[
        "id"
    ]
    with hot_handlers_recorded(budget_harness, "GET") as served:
        # A signed-in caller: the route reads the same published outcome.
        citizen = await api.client.get(url, headers=auth("citizen", subject="reader"))
        assert_same_answer(citizen, published)
        # A bad token is the route's 401, not a public answer.
        assert_problem(await api.client.get(url, headers={"Authorization": "Bearer x"}), 401)
        # Parameters: the route decides (here: other than the published ones, refused to the public).
        assert_problem(await api.client.get(url + "?threshold=3"), 403)
        # A path the route reads as the same election.
        assert_same_answer(await api.client.get(f"/budget/elections/0{eid}/outcome"), published)
        # Unpublished, unknown, out of range: the route's problems.
        assert_problem(await api.client.get(f"/budget/elections/{unpublished}/outcome"), 403)
        assert_problem(await api.client.get("/budget/elections/2147483647/outcome"), 404)
        assert_problem(
            await api.client.get(f"/budget/elections/{2**31}/outcome"), 422, field="path.election_id"
        )
    assert served == ["declined"] * 7

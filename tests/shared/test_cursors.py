"""Every list endpoint answers a cursor it did not issue with 400 `invalid-cursor` naming `query.cursor`.

Each endpoint's cursor is a JSON list of typed parts (see `decode_cursor` specs in the services); the variants
below break the encoding, the shape, and each part's type and range, one at a time.
"""

import base64
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from shared.pagination import decode_cursor, encode_cursor
from tests.conftest import assert_problem

# (service fixture, path, kinds of the key's parts, a key this endpoint could issue)
ENDPOINTS: list[tuple[str, str, tuple[str, ...], list[Any]]] = [
    ("budget", "/budget/cycles", ("id",), [1]),
    ("budget", "/budget/elections", ("id",), [1]),
    ("budget", "/budget/cycles/1/proposals", ("id",), [1]),
    ("budget", "/budget/grants", ("id",), [1]),
    ("budget", "/budget/history", ("bigid",), [1]),
    ("budget", "/budget/projects", ("id",), [1]),
    ("budget", "/budget/projects/1/timeline", ("bigid",), [1]),
    ("budget", "/budget/projects/1/expenditures", ("bigid",), [1]),
    ("councils", "/councils/districts", ("code",), ["11110"]),
    ("councils", "/councils/districts/11110/status-records", ("day", "id"), ["2017-12-31", 1]),
    ("councils", "/councils/history", ("bigid",), [1]),
    ("councils", "/councils/meetings", ("instant", "id"), ["2017-03-02T14:00:00+09:00", 1]),
    ("councils", "/councils/memberships", ("id",), [1]),
    ("councils", "/councils/bodies", ("id",), [1]),
    ("councils", "/councils/organizations", ("id",), [1]),
    ("councils", "/councils/persons", ("id",), [1]),
    ("councils", "/councils/platforms", ("id",), [1]),
    ("evaluation", "/evaluation/cycles", ("id",), [1]),
    ("evaluation", "/evaluation/cycles/1/targets", ("id",), [1]),
    ("evaluation", "/evaluation/cycles/1/rubrics", ("id",), [1]),
    ("evaluation", "/evaluation/cycles/1/indicators", ("id",), [1]),
    ("evaluation", "/evaluation/targets/1/indicators", ("id",), [1]),
    ("evaluation", "/evaluation/targets/1/self-evaluation", ("id",), [1]),
    ("evaluation", "/evaluation/cycles/1/results", ("id",), [1]),
    ("evaluation", "/evaluation/history", ("bigid",), [1]),
    ("evaluation", "/evaluation/cycles/1/rounds/1/panel", ("id",), [1]),
    ("evaluation", "/evaluation/targets/1/recusals", ("id",), [1]),
    ("evaluation", "/evaluation/targets/1/scores", ("bigid",), [1]),
    ("evaluation", "/evaluation/outbox/stuck", ("bigid",), [1]),
    ("evaluation", "/evaluation/outbox/dead", ("bigid",), [1]),
]

BAD_PART: dict[str, list[Any]] = {
    "id": [True, False, 1.0, 1.5, "1", None, [1], {"id": 1}, -1, 2**31, 2**63, 2**64, 10**30],
    "bigid": [True, 1.0, "1", None, [1], {"id": 1}, -1, 2**63, 2**64, 10**30],
    "code": [11110, "1111", "111100", "x", "", "11110\u0000", "١١١١٠", None, ["11110"], True],
    "day": ["2017-02-30", "2017-12-31T00:00:00", "yesterday", "20171231", 20171231, None, ["2017-12-31"]],
    "instant": [
        "2017-03-02T14:00:00",  # no offset: not what the API issues
        "0001-01-01T00:00:00+09:00",  # no UTC form
        "2017-02-30T14:00:00+09:00",
        "x",
        1488430800,
        None,
        {"at": "2017-03-02T14:00:00+09:00"},
    ],
}


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _variants(kinds: tuple[str, ...], valid: list[Any]) -> list[str]:
    cursors = [
        "WyJ4Il0",  # ["x"], the issue's example
        "!!!!",
        "WyJ4Il0$",
        "a",  # one base64 character decodes to nothing
        "A" * 600,  # longer than any cursor the API issues
        _b64(b"\xff\xfe[1]"),  # not UTF-8
        _b64(b"not json"),
        _b64(b"[" * 200 + b"]" * 200),
        _b64(b"[" + b"9" * 5000 + b"]"),  # beyond Python's int-from-text limit
        _b64(b"[NaN]"),
        _b64(b"[1e999]"),
        encode_cursor(None),  # type: ignore[arg-type]
        _b64(b"{}"),
        _b64(b'"x"'),
        _b64(b"1"),
        encode_cursor([]),
        encode_cursor([*valid, 1]),
        encode_cursor([valid]),
    ]
    for position, kind in enumerate(kinds):
        for bad in BAD_PART[kind]:
            key = list(valid)
            key[position] = bad
            cursors.append(_b64(json.dumps(key).encode()))
    return cursors


@pytest.fixture
def clients(
    budget: httpx.AsyncClient, councils: httpx.AsyncClient, evaluation: httpx.AsyncClient
) -> dict[str, httpx.AsyncClient]:
    return {"budget": budget, "councils": councils, "evaluation": evaluation}


@pytest.mark.parametrize(("service", "path", "kinds", "valid"), ENDPOINTS, ids=[e[1] for e in ENDPOINTS])
async def test_every_list_endpoint_refuses_cursors_it_did_not_issue(
    clients: dict[str, httpx.AsyncClient],
    auth: Callable[..., dict[str, str]],
    service: str,
    path: str,
    kinds: tuple[str, ...],
    valid: list[Any],
) -> None:
    client = clients[service]
    headers = auth("auditor")  # the change history is for officials and auditors
    for cursor in _variants(kinds, valid):
        response = await client.get(path, params={"cursor": cursor}, headers=headers)
        body = assert_problem(response, 400, "query.cursor")
        assert body["code"] == "invalid-cursor", cursor
    # the same endpoint takes a cursor of the shape it issues, up to the edges of each part's range
    # (404: /budget/cycles/1/proposals has no cycle)
    edges = {"id": [0, 2**31 - 1], "bigid": [0, 2**63 - 1]}
    keys = [valid]
    for position, kind in enumerate(kinds):
        for edge in edges.get(kind, []):
            keys.append([*valid[:position], edge, *valid[position + 1 :]])
    for key in keys:
        response = await client.get(path, params={"cursor": encode_cursor(key)}, headers=headers)
        assert response.status_code in (200, 404), (key, response.text)
        assert response.json().get("code") != "invalid-cursor"


async def test_next_cursor_walks_the_districts(councils: httpx.AsyncClient) -> None:
    codes: list[str] = []
    cursor: str | None = None
    while True:
        params = {"limit": 10, **({"cursor": cursor} if cursor else {})}
        page = (await councils.get("/councils/districts", params=params)).json()
        codes += [district["code"] for district in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(codes) == 25 == len(set(codes))


async def test_next_cursor_walks_budget_cycles(
    budget: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    for year in (2018, 2019, 2020):
        body = {"name_ko": f"{year}년 시민참여예산", "fiscal_year": year}
        assert (
            await budget.post("/budget/cycles", json=body, headers=auth("city_officer"))
        ).status_code == 201
    first = (await budget.get("/budget/cycles", params={"limit": 2})).json()
    assert first["next_cursor"] and decode_cursor(first["next_cursor"], (lambda v: v,))
    second = (await budget.get("/budget/cycles", params={"limit": 2, "cursor": first["next_cursor"]})).json()
    seen = [c["id"] for c in first["items"] + second["items"]]
    assert len(seen) == len(set(seen)) >= 3


def test_the_cursor_specs_cover_every_list_endpoint() -> None:
    """A new list endpoint must join ENDPOINTS: every route answering a Page is listed above."""
    from services.budget.main import create_app as budget_app
    from services.budget.settings import BudgetSettings
    from services.councils.main import create_app as councils_app
    from services.councils.settings import CouncilsSettings
    from services.evaluation.main import create_app as evaluation_app
    from services.evaluation.settings import EvaluationSettings

    listed = set()
    for app in (
        budget_app(BudgetSettings()),
        councils_app(CouncilsSettings()),
        evaluation_app(EvaluationSettings()),
    ):
        for path, operations in app.openapi()["paths"].items():
            ok = operations.get("get", {}).get("responses", {}).get("200", {})
            schema = ok.get("content", {}).get("application/json", {}).get("schema", {})
            if schema.get("$ref", "").split("/")[-1].startswith("Page_"):
                listed.add(
                    path.replace("{cycle_id}", "1")
                    .replace("{target_id}", "1")
                    .replace("{code}", "11110")
                    .replace("{round}", "1")
                    .replace("{project_id}", "1")
                    .replace("{code}", "11110")
                )
    assert listed == {path for _, path, _, _ in ENDPOINTS}

"""The programme budget tree: every parent is its children's sum, at creation and when a child changes."""

import asyncio
import csv
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.budget.conftest import Budget
from tests.conftest import SHARED_DIR, assert_problem, require_shared

CSV = SHARED_DIR / "data" / "seoul_2017" / "programme_budget_2017.csv"


def csv_nodes() -> list[dict[str, Any]]:
    with require_shared(CSV).open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [
        {
            "code": row["id"],
            "parent_code": row["parent_id"] or None,
            "name_ko": row["name"],
            "amount_krw": int(row["amount_thousand_krw"]) * 1000,  # the source is in thousand KRW
        }
        for row in rows
    ]


SMALL = [
    {"code": "t", "parent_code": None, "name_ko": "계", "amount_krw": 300},
    {"code": "a", "parent_code": "t", "name_ko": "가", "amount_krw": 100},
    {"code": "b", "parent_code": "t", "name_ko": "나", "amount_krw": 200},
    {"code": "b.1", "parent_code": "b", "name_ko": "나-1", "amount_krw": 150},
    {"code": "b.2", "parent_code": "b", "name_ko": "나-2", "amount_krw": 50},
]


async def test_the_2017_table_gives_back_its_total_and_every_subtotal(api: Budget) -> None:
    nodes = csv_nodes()
    body = {"nodes": nodes, "source": "seed 003 <붙임2> ’17년도 협치사업예산 (단위: 천원)"}
    created = await api.ok("POST", "/budget/programme/2017", api.city, json=body)
    assert created["total_krw"] == 4_611_935_000
    read = (await api.client.get("/budget/programme/2017")).json()  # anyone reads it
    assert read["total_krw"] == 4_611_935 * 1000
    by_code = {node["code"]: node for node in read["nodes"]}
    assert set(by_code) == {node["code"] for node in nodes}
    for node in nodes:  # every subtotal, and every leaf, as the CSV says (× 1,000)
        assert by_code[node["code"]]["amount_krw"] == node["amount_krw"], node["code"]
        assert by_code[node["code"]]["name_ko"] == node["name_ko"]
        kids = [n for n in nodes if n["parent_code"] == node["code"]]
        if kids:
            assert sum(kid["amount_krw"] for kid in kids) == node["amount_krw"]
            assert sorted(by_code[node["code"]]["children"]) == sorted(kid["code"] for kid in kids)
    assert read["nodes"][0]["code"] == "total" and read["nodes"][0]["depth"] == 0
    assert by_code["local.innovation"]["depth"] == 2
    again = await api.client.post("/budget/programme/2017", json=body, headers=api.city)
    assert assert_problem(again, 409, "path.fiscal_year")["code"] == "programme-exists"


async def test_a_tree_whose_parent_is_not_its_childrens_sum_is_refused_with_the_arithmetic(
    api: Budget,
) -> None:
    nodes = [dict(node) for node in SMALL]
    nodes[3]["amount_krw"] = 151  # b = 200 but b.1 + b.2 = 201
    response = await api.client.post("/budget/programme/2019", json={"nodes": nodes}, headers=api.city)
    body = assert_problem(response, 422, "body.nodes.2.amount_krw")
    assert body["code"] == "programme-sum-mismatch"
    assert "200 KRW" in body["detail"] and "201 KRW" in body["detail"]
    korean = await api.client.post(
        "/budget/programme/2019", json={"nodes": nodes}, headers={**api.city, "Accept-Language": "ko"}
    )
    assert "하위 항목의 합은 201원" in korean.json()["detail"]
    assert (await api.client.get("/budget/programme/2019")).status_code == 404  # nothing written


async def test_bad_trees_name_the_node(api: Budget) -> None:
    cases = [
        ([*SMALL, {**SMALL[1]}], "body.nodes.5.code"),  # a code twice
        ([{**SMALL[0], "parent_code": "a"}, *SMALL[1:]], "body.nodes"),  # no root
        (
            [*SMALL, {"code": "x", "parent_code": None, "name_ko": "x", "amount_krw": 0}],
            "body.nodes.5.parent_code",
        ),
        (
            [*SMALL, {"code": "y", "parent_code": "zz", "name_ko": "y", "amount_krw": 0}],
            "body.nodes.5.parent_code",
        ),
    ]
    for nodes, field in cases:
        response = await api.client.post("/budget/programme/2019", json={"nodes": nodes}, headers=api.city)
        assert_problem(response, 422, field)
    for amount in (-1, 1.5, "100", "1,000"):
        nodes = [{**SMALL[0], "amount_krw": amount}, *SMALL[1:]]
        response = await api.client.post("/budget/programme/2019", json={"nodes": nodes}, headers=api.city)
        assert_problem(response, 422, "body.nodes.0.amount_krw")


async def test_a_child_changes_only_together_with_its_ancestors(api: Budget) -> None:
    await api.ok("POST", "/budget/programme/2019", api.city, json={"nodes": SMALL})
    url = "/budget/programme/2019/changes"
    alone = {"changes": [{"code": "b.1", "amount_krw": 151}], "reason": "조정"}
    body = assert_problem(
        await api.client.post(url, json=alone, headers=api.city), 422, "body.changes.0.amount_krw"
    )
    assert "node b: 200 KRW, but its children sum to 201 KRW" in body["detail"]
    half = {
        "changes": [{"code": "b.1", "amount_krw": 151}, {"code": "b", "amount_krw": 201}],
        "reason": "조정",
    }
    body = assert_problem(
        await api.client.post(url, json=half, headers=api.city), 422, "body.changes.1.amount_krw"
    )
    assert "node t: 300 KRW, but its children sum to 301 KRW" in body["detail"]
    whole = {"changes": [*half["changes"], {"code": "t", "amount_krw": 301}], "reason": "조정"}
    changed = await api.ok("POST", url, api.city, json=whole)
    assert changed["total_krw"] == 301
    assert {n["code"]: n["amount_krw"] for n in changed["nodes"]}["b.1"] == 151
    unknown = {"changes": [{"code": "nope", "amount_krw": 1}], "reason": "x"}
    assert_problem(await api.client.post(url, json=unknown, headers=api.city), 404, "body.changes.0.code")
    assert_problem(await api.client.post(url, json=whole, headers=api.officer), 403)
    assert_problem(await api.client.post(url, json=whole), 401)
    history = await api.ok(
        "GET", "/budget/history", api.auth("auditor"), params={"table": "programme_nodes", "limit": 100}
    )
    updates = [e for e in history["items"] if e["action"] == "update"]
    assert {e["after"]["code"] for e in updates} == {"b.1", "b", "t"}
    assert all(e["reason"] == "조정" and e["actor"] == "city-officer-1" for e in updates)


async def test_the_database_refuses_a_child_changed_alone(committing: Budget) -> None:
    """The deferred constraint trigger, bypassing the service: the COMMIT itself is refused."""
    api = committing
    await api.ok("POST", "/budget/programme/2032", api.city, json={"nodes": SMALL})
    app = api.client._transport.app  # type: ignore[attr-defined]
    async with app.state.sessionmaker() as session:
        await session.execute(
            text(
                "UPDATE budget.programme_nodes SET amount_krw = 151 WHERE fiscal_year = 2032 AND code = 'b.1'"
            )
        )
        with pytest.raises(DBAPIError, match="node b: 200 KRW, but its children sum to 201 KRW"):
            await session.commit()
    tree = (await api.client.get("/budget/programme/2032")).json()
    assert {n["code"]: n["amount_krw"] for n in tree["nodes"]}["b.1"] == 150


async def test_racing_batches_cannot_together_break_a_sum(committing: Budget) -> None:
    """Each batch is right against the tree it was written for; applied both, b would not be b.1 + b.2."""
    api = committing
    year = 2031
    await api.ok("POST", f"/budget/programme/{year}", api.city, json={"nodes": SMALL})

    def batch(child: str, amount: int) -> dict[str, Any]:
        changes = [{"code": child, "amount_krw": amount}, {"code": "b", "amount_krw": 201}]
        return {"changes": [*changes, {"code": "t", "amount_krw": 301}], "reason": child}

    url = f"/budget/programme/{year}/changes"
    responses = await asyncio.gather(
        api.client.post(url, json=batch("b.1", 151), headers=api.city),
        api.client.post(url, json=batch("b.2", 51), headers=api.city),
    )
    assert sorted(r.status_code for r in responses) == [200, 422], [r.text for r in responses]
    tree = (await api.client.get(f"/budget/programme/{year}")).json()
    amounts = {n["code"]: n["amount_krw"] for n in tree["nodes"]}
    assert amounts["t"] == amounts["a"] + amounts["b"] == 301
    assert amounts["b"] == amounts["b.1"] + amounts["b.2"] == 201

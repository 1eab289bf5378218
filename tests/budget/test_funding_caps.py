"""District funding types as data, each district's type per year, and its cap on envelopes and grants."""

from typing import Any

from tests.budget.conftest import DISTRICT, Budget
from tests.conftest import assert_problem

M = 1_000_000
YEAR = 2027


async def assign(
    api: Budget, funding_type: str, neighbourhoods: int = 0, year: int = YEAR, district: str = DISTRICT
) -> dict[str, Any]:
    body = {"funding_type": funding_type, "neighbourhoods": neighbourhoods, "source": "test"}
    result: dict[str, Any] = await api.ok(
        "PUT", f"/budget/districts/{district}/funding/{year}", api.city, json=body
    )
    return result


async def cycle(api: Budget, year: int = YEAR) -> int:
    body = {"name_ko": f"{year}년 시민참여예산", "fiscal_year": year}
    return int((await api.ok("POST", "/budget/cycles", api.city, json=body))["id"])


async def envelope(api: Budget, cycle_id: int, amount: int, track: str = "general", **extra: Any) -> Any:
    body = {"district_code": DISTRICT, "track": track, "amount_krw": amount, **extra}
    return await api.client.post(f"/budget/cycles/{cycle_id}/envelopes", json=body, headers=api.city)


async def test_funding_types_carry_their_source_and_are_corrected_with_history(api: Budget) -> None:
    types = {t["code"]: t for t in (await api.client.get("/budget/funding-types")).json()}
    assert (
        types["separate"]["district_grant_krw"] == 500 * M
        and types["separate"]["innovation_plan_krw"] == 300 * M
    )
    assert types["merged"]["max_total_krw"] == 1000 * M and types["merged"]["max_integration_krw"] == 200 * M
    assert all(t["neighbourhood_plan_krw"] == 50 * M and "seed 003" in t["source"] for t in types.values())
    corrected = {
        **{k: v for k, v in types["general"].items() if k != "code"},
        "district_grant_krw": 600 * M,
        "source": "2018 지침",
        "reason": "2018년 기준 변경",
    }
    url = "/budget/funding-types/general"
    assert_problem(await api.client.put(url, json=corrected, headers=api.officer), 403)
    after = await api.ok("PUT", url, api.city, json=corrected)
    assert after["district_grant_krw"] == 600 * M and after["source"] == "2018 지침"
    history = await api.ok(
        "GET",
        "/budget/history",
        api.auth("auditor"),
        params={"table": "funding_types", "record_id": "general"},
    )
    [entry] = history["items"]
    assert (
        entry["before"]["district_grant_krw"] == 500 * M and entry["after"]["district_grant_krw"] == 600 * M
    )
    assert entry["reason"] == "2018년 기준 변경" and entry["actor_role"] == "city_officer"
    missing = await api.client.put("/budget/funding-types/nope", json=corrected, headers=api.city)
    assert_problem(missing, 404, "path.code")
    bad = await api.client.put(url, json={**corrected, "district_grant_krw": 1.5}, headers=api.city)
    assert_problem(bad, 422, "body.district_grant_krw")


async def test_a_districts_cap_counts_its_neighbourhoods(api: Budget) -> None:
    separate = await assign(api, "separate", neighbourhoods=12)
    assert separate["cap_krw"] == 500 * M + 300 * M + 50 * M * 12
    merged = await assign(api, "merged", neighbourhoods=3, year=2019)
    assert merged["cap_krw"] == 1000 * M + 150 * M
    general = await assign(api, "general", neighbourhoods=0, year=2020)
    assert general["cap_krw"] == 500 * M and general["room_krw"] == 500 * M
    read = await api.ok("GET", f"/budget/districts/{DISTRICT}/funding/{YEAR}", api.citizen)
    assert read["funding_type"] == "separate" and read["neighbourhoods"] == 12
    assert_problem(
        await api.client.get(f"/budget/districts/{DISTRICT}/funding/2021"), 404, "path.fiscal_year"
    )
    body = {"funding_type": "general", "neighbourhoods": 0}
    other = await api.client.put(
        f"/budget/districts/{DISTRICT}/funding/{YEAR}", json=body, headers=api.officer
    )
    assert_problem(other, 403)
    unknown = await api.client.put(
        f"/budget/districts/{DISTRICT}/funding/{YEAR}", json={**body, "funding_type": "x"}, headers=api.city
    )
    assert_problem(unknown, 404, "body.funding_type")
    bad = await api.client.put("/budget/districts/99999/funding/2018", json=body, headers=api.city)
    assert_problem(bad, 422, "path.district_code")


async def test_envelopes_at_cap_minus_one_cap_and_cap_plus_one(api: Budget) -> None:
    await assign(api, "general", neighbourhoods=0)  # cap 500,000,000
    first = await cycle(api)
    assert (await envelope(api, first, 500 * M - 1)).status_code == 201  # cap − 1
    over = await envelope(api, first, 2, track="governance")  # would be cap + 1
    body = assert_problem(over, 422, "body.amount_krw")
    assert body["code"] == "district-cap-exceeded"
    assert "499,999,999 KRW committed + 2 KRW = 500,000,001 KRW" in body["detail"]
    assert "500,000,000 + 50,000,000 × 0 동 = 500,000,000 KRW" in body["detail"]
    assert body["cap_krw"] == 500 * M and body["committed_krw"] == 500 * M - 1
    assert (await envelope(api, first, 1, track="governance")).status_code == 201  # exactly the cap
    second = await cycle(api)
    assert_problem(await envelope(api, second, 1), 422, "body.amount_krw")
    summary = await api.ok("GET", f"/budget/districts/{DISTRICT}/funding/{YEAR}", api.city)
    assert summary["committed_krw"] == 500 * M and summary["room_krw"] == 0


async def test_a_single_envelope_over_the_cap_and_another_type(api: Budget) -> None:
    await assign(api, "general", neighbourhoods=1)  # cap 550,000,000
    cycle_id = await cycle(api)
    assert_problem(await envelope(api, cycle_id, 550 * M + 1), 422, "body.amount_krw")
    mismatch = await envelope(api, cycle_id, 1, funding_type="separate")
    assert assert_problem(mismatch, 422, "body.funding_type")["code"] == "funding-type-mismatch"
    assert (await envelope(api, cycle_id, 550 * M, funding_type="general")).status_code == 201
    # a lower cap than what is committed is refused, with the numbers
    body = {"funding_type": "general", "neighbourhoods": 0}
    lowered = await api.client.put(
        f"/budget/districts/{DISTRICT}/funding/{YEAR}", json=body, headers=api.city
    )
    assert "550,000,000" in assert_problem(lowered, 422, "body.funding_type")["detail"]
    # without an assigned type (another year), envelopes are as before: no cap is known
    unassigned = await cycle(api, 2030)
    assert (await envelope(api, unassigned, 900 * M)).status_code == 201


async def test_the_database_refuses_an_envelope_over_the_cap(api: Budget) -> None:
    """The trigger, without the service's check: the district's type still holds."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    await assign(api, "general")
    cycle_id = await cycle(api)
    app = api.client._transport.app  # type: ignore[attr-defined]
    async with app.state.sessionmaker() as session:
        try:
            await session.execute(
                text(
                    "INSERT INTO budget.envelopes (cycle_id, district_code, track, amount_krw, created_by)"
                    " VALUES (:c, :d, 'general', 500000001, 'x')"
                ),
                {"c": cycle_id, "d": DISTRICT},
            )
        except DBAPIError as exc:
            assert "over its general cap of 500000000 KRW" in str(exc)
        else:
            raise AssertionError("the trigger let an envelope past the cap")
        await session.rollback()


async def test_a_correction_that_would_put_a_district_over_its_cap_is_refused(api: Budget) -> None:
    await assign(api, "general")
    await envelope(api, await cycle(api), 450 * M)
    types = {t["code"]: t for t in (await api.client.get("/budget/funding-types")).json()}
    lower = {
        **{k: v for k, v in types["general"].items() if k != "code"},
        "district_grant_krw": 450 * M - 1,
        "source": "x",
        "reason": "y",
    }
    response = await api.client.put("/budget/funding-types/general", json=lower, headers=api.city)
    body = assert_problem(response, 422, "body")
    assert body["code"] == "district-cap-exceeded" and body["cap_krw"] == 450 * M - 1
    assert await api.ok(
        "PUT", "/budget/funding-types/general", api.city, json={**lower, "district_grant_krw": 450 * M}
    )

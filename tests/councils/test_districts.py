import httpx

from tests.conftest import assert_problem


async def test_lists_the_25_districts_in_code_order(councils: httpx.AsyncClient) -> None:
    response = await councils.get("/councils/districts")
    assert response.status_code == 200
    items = response.json()["items"]
    assert len(items) == 25
    assert [d["code"] for d in items] == sorted(d["code"] for d in items)
    assert items[0] == {
        "code": "11110",
        "name_ko": "종로구",
        "name_en": "Jongno-gu",
        "regions": [{"grouping": "planning", "code": "downtown", "name_ko": "도심권", "name_en": "Downtown"}],
    }
    assert response.json()["next_cursor"] is None


async def test_cursor_pages_through_every_district_once(councils: httpx.AsyncClient) -> None:
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 10, **({"cursor": cursor} if cursor else {})}
        page = (await councils.get("/councils/districts", params=params)).json()
        seen += [d["code"] for d in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 25 == len(set(seen))


async def test_filters_by_region(councils: httpx.AsyncClient) -> None:
    response = await councils.get(
        "/councils/districts", params={"grouping": "planning", "region": "southeast"}
    )
    assert [d["name_ko"] for d in response.json()["items"]] == ["서초구", "강남구", "송파구", "강동구"]


async def test_one_district_carries_every_grouping(councils: httpx.AsyncClient) -> None:
    body = (await councils.get("/councils/districts/11620")).json()
    assert body["name_ko"] == "관악구"
    assert {r["grouping"] for r in body["regions"]} == {"planning", "support_officer_2017"}


async def test_unknown_district_is_a_404_problem(councils: httpx.AsyncClient) -> None:
    body = assert_problem(await councils.get("/councils/districts/11111"), 404, field="path.code")
    assert body["code"] == "district-not-found"


async def test_malformed_district_code_is_a_422_problem(councils: httpx.AsyncClient) -> None:
    assert_problem(await councils.get("/councils/districts/abc"), 422, field="path.code")


async def test_bad_cursor_and_limit_are_problems(councils: httpx.AsyncClient) -> None:
    assert_problem(
        await councils.get("/councils/districts", params={"cursor": "%%%"}), 400, field="query.cursor"
    )
    assert_problem(await councils.get("/councils/districts", params={"limit": 0}), 422, field="query.limit")
    assert_problem(await councils.get("/councils/districts", params={"limit": 201}), 422, field="query.limit")


async def test_unknown_grouping_is_a_404_problem(councils: httpx.AsyncClient) -> None:
    response = await councils.get("/councils/districts", params={"grouping": "nope"})
    assert_problem(response, 404, field="query.grouping")


async def test_region_groupings_are_data(councils: httpx.AsyncClient) -> None:
    groupings = {g["code"]: g for g in (await councils.get("/councils/region-groupings")).json()}
    planning = groupings["planning"]["regions"]
    assert len(planning) == 5
    assert sum(len(r["district_codes"]) for r in planning) == 25
    officers = groupings["support_officer_2017"]["regions"]
    assert sum(len(r["district_codes"]) for r in officers) == 9


async def test_district_reads_on_a_real_pool_match_the_rolled_back_harness(
    councils: httpx.AsyncClient, committed: httpx.AsyncClient
) -> None:
    # `committed` reads through the service's own pool, where district reads take no transaction.
    for path in ("/councils/districts/11620", "/councils/districts?limit=30", "/councils/districts/11111"):
        pooled, harnessed = await committed.get(path), await councils.get(path)
        assert pooled.status_code == harnessed.status_code
        assert pooled.json() | {"request_id": None} == harnessed.json() | {"request_id": None}

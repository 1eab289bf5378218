"""The platforms and bodies lists run as many SQL statements for one row as for many (no query per row)."""

from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from tests.clock import Clock
from tests.conftest import ServiceHarness
from tests.councils.helpers import Api
from tests.statements import statements

MEMBERS_PER_CONSORTIUM = 3


async def platform(api: Api, n: int) -> dict[str, Any]:
    """A platform whose consortium has members, each with two representatives (one of them no longer), a
    member without representatives and a manager; plus a member whose membership ended (not listed)."""

    async def org(name: str, kind: str = "civil_society_organization") -> dict[str, Any]:
        payload = {"classification": kind, "name_ko": name, "district_code": "11380"}
        return await api.ok(await api.client.post("/councils/organizations", json=payload, headers=api.city))

    consortium = await org(f"컨소시엄 {n}", "consortium")
    for m in range(MEMBERS_PER_CONSORTIUM):
        member = await org(f"단체 {n}-{m}")
        await api.membership(
            organization_id=consortium["id"], member_organization_id=member["id"], start_date="2016-10-25"
        )
        for r, end in ((0, None), (1, "2017-12-31"), (2, None)):
            person = await api.person(name_ko=f"대표 {n}-{m}-{r}", district_code="11380")
            await api.membership(
                organization_id=member["id"],
                person_id=person["id"],
                role="representative",
                start_date="2016-10-25",
                end_date=end,
            )
    quiet = await org(f"대표 없는 단체 {n}")
    await api.membership(
        organization_id=consortium["id"], member_organization_id=quiet["id"], start_date="2016-10-25"
    )
    gone = await org(f"탈퇴 단체 {n}")
    await api.membership(
        organization_id=consortium["id"],
        member_organization_id=gone["id"],
        start_date="2016-10-25",
        end_date="2017-06",
    )
    manager = await api.person(name_ko=f"책임자 {n}", district_code="11380")
    await api.membership(
        organization_id=consortium["id"], person_id=manager["id"], role="manager", start_date="2016-10-25"
    )
    payload = {"district_code": "11380", "name_ko": f"플랫폼 {n}", "consortium_id": consortium["id"]}
    return await api.ok(await api.client.post("/councils/platforms", json=payload, headers=api.city))


def expected(n: int) -> list[tuple[str, list[str]]]:
    with_reps = [
        (f"단체 {n}-{m}", [f"대표 {n}-{m}-0", f"대표 {n}-{m}-2"]) for m in range(MEMBERS_PER_CONSORTIUM)
    ]
    return [*with_reps, (f"대표 없는 단체 {n}", [])]


def shape(item: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [
        (m["organization"]["name_ko"], [r["name_ko"] for r in m["representatives"]]) for m in item["members"]
    ]


async def listed(
    api: Api, conn: AsyncConnection, path: str = "/councils/platforms", **params: Any
) -> tuple[list[Any], list[str]]:
    with statements(conn) as seen:
        response = await api.client.get(path, params={"district": "11380", **params})
    assert response.status_code == 200, response.text
    return response.json()["items"], seen


async def test_one_platform_and_five_take_the_same_number_of_statements(
    councils_harness: ServiceHarness, auth: Callable[..., dict[str, str]]
) -> None:
    async for client, conn in councils_harness.client():
        api = Api(client, auth)
        await platform(api, 0)
        one, one_seen = await listed(api, conn)
        for_one = len(one_seen)
        for n in range(1, 5):
            await platform(api, n)
        five, five_seen = await listed(api, conn)
        for_five = len(five_seen)

        assert len(one) == 1 and len(five) == 5
        assert for_one == for_five
        assert sum(s.lstrip().upper().startswith("SELECT") for s in one_seen) == 2
        assert [shape(item) for item in five] == [expected(n) for n in range(5)]
        assert [[p["name_ko"] for p in item["managers"]] for item in five] == [
            [f"책임자 {n}"] for n in range(5)
        ]
        # a page smaller than the list: the same count again, and the next page follows on
        page, page_seen = await listed(api, conn, limit=2)
        assert [item["id"] for item in page] == [item["id"] for item in five[:2]]
        assert len(page_seen) == for_one
        single = (await client.get(f"/councils/platforms/{five[3]['id']}")).json()
        assert single == five[3]


async def test_an_empty_list_answers_empty(
    councils_harness: ServiceHarness, auth: Callable[..., dict[str, str]]
) -> None:
    async for client, conn in councils_harness.client():
        items, _ = await listed(Api(client, auth), conn, district="11110")
        assert items == []


async def test_the_bodies_list_is_one_statement_and_reads_as_each_body_does(
    councils_harness: ServiceHarness, auth: Callable[..., dict[str, str]]
) -> None:
    async for client, conn in councils_harness.client():
        api = Api(client, auth)
        council = await api.body(district_code="11545", name_ko="금천구 민관협치회의")

        one, one_seen = await listed(api, conn, "/councils/bodies", district="11545")
        made = [
            await api.body(
                district_code="11545",
                name_ko=f"분과 {i}",
                classification="subcommittee",
                parent_id=council["id"],
                policy_fields=["환경"],
                founding_date="2016-09",
            )
            for i in range(4)
        ]
        five, five_seen = await listed(api, conn, "/councils/bodies", district="11545")

        assert [b["id"] for b in one] == [council["id"]]
        assert len(five) == 5 and len(one_seen) == len(five_seen)
        assert sum(s.lstrip().upper().startswith("SELECT") for s in five_seen) == 1
        for item in five:  # the list's Core rows give what the single read gives
            assert item == (await client.get(f"/councils/bodies/{item['id']}")).json()
        children, _ = await listed(
            api, conn, "/councils/bodies", district="11545", parent_id=council["id"], active_on="2016-09-01"
        )
        assert [b["id"] for b in children] == [b["id"] for b in made]
        before, _ = await listed(
            api, conn, "/councils/bodies", district="11545", parent_id=council["id"], active_on="2016-08-31"
        )
        assert before == []


async def test_a_districts_composition_is_three_statements_and_counts_as_each_body_does(
    councils_harness: ServiceHarness, auth: Callable[..., dict[str, str]]
) -> None:
    async def composition(conn: AsyncConnection) -> tuple[list[Any], list[str]]:
        with statements(conn) as seen:
            response = await api.client.get(
                "/councils/districts/11545/composition", params={"on": "2017-06-01"}
            )
        assert response.status_code == 200, response.text
        return response.json(), seen

    async def seated(body: dict[str, Any], n: int) -> None:
        for i in range(n):
            person = await api.person(district_code="11545")
            await api.membership(
                organization_id=body["id"], person_id=person["id"], sector=("civil", "official")[i % 2]
            )
        await api.membership(organization_id=body["id"], sector="councillor", end_date="2017-03")  # ended

    async for client, conn in councils_harness.client():
        api = Api(client, auth)
        council = await api.body(district_code="11545", name_ko="금천구 민관협치회의")
        await seated(council, 3)
        one, one_seen = await composition(conn)
        bodies = [council]
        for i in range(3):
            sub = await api.body(
                district_code="11545",
                name_ko=f"분과 {i}",
                classification="subcommittee",
                parent_id=council["id"],
            )
            await seated(sub, i + 1)
            bodies.append(sub)
        four, four_seen = await composition(conn)

        assert len(one) == 1 and len(four) == 4
        assert len(one_seen) == len(four_seen)
        assert sum(s.lstrip().upper().startswith("SELECT") for s in four_seen) == 3
        for item, body in zip(four, bodies, strict=True):
            single = await client.get(
                f"/councils/bodies/{body['id']}/composition", params={"on": "2017-06-01"}
            )
            assert item == single.json()
        assert [item["total"] for item in four] == [3, 1, 2, 3]
        assert four[0]["civil"] == 2 and four[0]["official"] == 1 and four[0]["councillor"] == 0
        unknown = await client.get("/councils/districts/99999/composition")
        assert unknown.status_code == 404


async def test_a_districts_overview_is_the_separate_reads_in_a_bounded_number_of_statements(
    pinned: Clock, councils_harness: ServiceHarness, auth: Callable[..., dict[str, str]]
) -> None:
    """Today (status, composition) is read from the clock: pinned, so both reads see the same day."""

    async def overview(conn: AsyncConnection) -> tuple[dict[str, Any], list[str]]:
        with statements(conn) as seen:
            response = await api.client.get("/councils/districts/11380/overview")
        assert response.status_code == 200, response.text
        return response.json(), seen

    async for client, conn in councils_harness.client():
        api = Api(client, auth)
        await api.body(district_code="11380", name_ko="은평구 민관협치회의")
        await platform(api, 0)
        small, small_seen = await overview(conn)
        for n in range(1, 4):
            await api.body(district_code="11380", name_ko=f"은평구 분과 {n}")
            await platform(api, n)
        large, large_seen = await overview(conn)

        assert len(small["platforms"]) == 1 and len(large["platforms"]) == 4
        assert len(small_seen) == len(large_seen)
        get = client.get
        assert large["district"] == (await get("/councils/districts/11380")).json()
        assert large["governance_status"] is None  # no status record yet: not an error
        assert (
            large["bodies"] == (await get("/councils/bodies", params={"district": "11380"})).json()["items"]
        )
        assert (
            large["platforms"]
            == (await get("/councils/platforms", params={"district": "11380"})).json()["items"]
        )
        assert large["composition"] == (await get("/councils/districts/11380/composition")).json()
        assert (await get("/councils/districts/99999/overview")).status_code == 404

"""Civic Cooperation Platforms: a consortium of organisations with representatives, manager and assistants."""

from collections.abc import Callable

from tests.clock import Clock
from tests.conftest import assert_problem
from tests.councils.helpers import Api


async def organization(api: Api, name: str, kind: str = "civil_society_organization") -> dict[str, object]:
    response = await api.client.post(
        "/councils/organizations",
        json={"classification": kind, "name_ko": name, "district_code": "11380"},
        headers=api.city,
    )
    return await api.ok(response)


async def test_a_platform_reads_with_its_consortium(hour: Clock, api: Api) -> None:
    # Its members are those of today (Seoul): the clock stands at 09:00Z, then 23:30Z, on 2017-07-01.
    consortium = await organization(api, "은평구 시민협력플랫폼 컨소시엄", "consortium")
    sangsang = await organization(api, "(사)은평상상")
    ecology = await organization(api, "생태보전시민모임")
    for member in (sangsang, ecology):
        await api.membership(
            organization_id=consortium["id"], member_organization_id=member["id"], start_date="2016-10-25"
        )
    reps = {
        name: await api.person(name_ko=name, district_code="11380") for name in ("부미경", "민성환", "한봉호")
    }
    for name, org in (("부미경", sangsang), ("민성환", ecology), ("한봉호", ecology)):
        await api.membership(
            organization_id=org["id"],
            person_id=reps[name]["id"],
            role="representative",
            start_date="2016-10-25",
        )
    await api.membership(
        organization_id=consortium["id"],
        person_id=reps["민성환"]["id"],
        role="manager",
        start_date="2016-10-25",
    )
    await api.membership(
        organization_id=consortium["id"],
        person_id=reps["부미경"]["id"],
        role="assistant_manager",
        start_date="2016-10-25",
    )
    payload = {
        "district_code": "11380",
        "name_ko": "은평구 시민협력플랫폼",
        "consortium_id": consortium["id"],
        "started_date": "2016-10-25",
        "evaluation_round": 1,
        "youth_activists": 2,
    }
    platform = await api.ok(await api.client.post("/councils/platforms", json=payload, headers=api.city))
    assert [m["organization"]["name_ko"] for m in platform["members"]] == ["(사)은평상상", "생태보전시민모임"]
    assert [r["name_ko"] for r in platform["members"][1]["representatives"]] == ["민성환", "한봉호"]
    assert [p["name_ko"] for p in platform["managers"]] == ["민성환"]
    assert [p["name_ko"] for p in platform["assistant_managers"]] == ["부미경"]
    listed = (await api.client.get("/councils/platforms", params={"district": "11380"})).json()["items"]
    assert platform["id"] in [p["id"] for p in listed]
    again = await api.client.post("/councils/platforms", json=payload, headers=api.city)
    assert_problem(again, 409, field="body.consortium_id")


async def test_platform_input_and_access(api: Api, auth: Callable[..., dict[str, str]]) -> None:
    ngo = await organization(api, "단체")
    payload = {"district_code": "11380", "name_ko": "x", "consortium_id": ngo["id"]}
    assert_problem(
        await api.client.post("/councils/platforms", json=payload, headers=api.city),
        422,
        "body.consortium_id",
    )
    bad_round = {**payload, "evaluation_round": 3}
    assert_problem(
        await api.client.post("/councils/platforms", json=bad_round, headers=api.city),
        422,
        "body.evaluation_round",
    )
    other = auth("district_officer", "11110")
    assert_problem(await api.client.post("/councils/platforms", json=payload, headers=other), 403)
    assert_problem(await api.client.get("/councils/platforms/999999"), 404, "path.platform_id")

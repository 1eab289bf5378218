"""Governance bodies, organisations and people: fields, nesting, partial dates, access."""

from collections.abc import Callable

import httpx
import pytest

from tests.conftest import assert_problem
from tests.councils.helpers import Api, unique


async def test_a_body_carries_policy_fields_and_the_default_rules_of_article_7(api: Api) -> None:
    body = await api.body(
        district_code="11380",
        name_ko="협치은평구회의",
        policy_fields=["교육", "주민자치"],
        founding_date="2017-04-10",
    )
    assert body["district_code"] == "11380"
    assert body["policy_fields"] == ["교육", "주민자치"]
    assert body["rules"] == {
        "quorum": {"numerator": 1, "denominator": 2, "comparison": "more_than"},
        "passing": {"numerator": 1, "denominator": 2, "comparison": "more_than"},
        "amendment": {"numerator": 2, "denominator": 3, "comparison": "at_least"},
        "extraordinary_min_requesters": None,
    }
    assert (await api.client.get(f"/councils/bodies/{body['id']}")).json() == body


async def test_a_steering_committee_defaults_to_cap_10_and_communication_lead_eligibility(api: Api) -> None:
    _, steering = await api.association()
    assert steering["member_cap"] == 10
    assert steering["eligibility_role"] == "communication_lead"
    assert steering["rules"]["extraordinary_min_requesters"] == 2  # 제5조③: 운영위원 2인 이상의 요구


async def test_nesting_inherits_the_district_and_refuses_another_district(api: Api) -> None:
    council = await api.body(district_code="11620")
    sub = await api.body(classification="subcommittee", parent_id=council["id"])
    assert sub["district_code"] == "11620" and sub["parent_id"] == council["id"]
    response = await api.client.post(
        "/councils/bodies",
        json={
            "classification": "working_group",
            "name_ko": "x",
            "parent_id": council["id"],
            "district_code": "11110",
        },
        headers=api.city,
    )
    assert_problem(response, 422, field="body.parent_id")
    response = await api.client.post(
        "/councils/bodies",
        json={"classification": "tft", "name_ko": "x", "parent_id": 999999},
        headers=api.city,
    )
    assert_problem(response, 422, field="body.parent_id")


async def test_nesting_cannot_loop(api: Api) -> None:
    top = await api.body()
    child = await api.body(parent_id=top["id"])
    response = await api.client.patch(
        f"/councils/bodies/{top['id']}", json={"parent_id": child["id"]}, headers=api.city
    )
    assert_problem(response, 422, field="body.parent_id")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"founding_date": "2017-13"}, "body.founding_date"),
        ({"founding_date": "2017-02-30"}, "body.founding_date"),
        ({"founding_date": "17-02"}, "body.founding_date"),
        ({"founding_date": "2017-05", "dissolution_date": "2017-04-30"}, "body.dissolution_date"),
        ({"district_code": "99999"}, "body.district_code"),
        ({"classification": "book_club"}, "body.classification"),
        (
            {"rules": {"quorum": {"numerator": 3, "denominator": 2, "comparison": "at_least"}}},
            "body.rules.quorum",
        ),
        ({"rules": {"quorum": {"numerator": 1, "denominator": 0, "comparison": "at_least"}}}, None),
        ({"member_cap": 0}, "body.member_cap"),
        ({"unknown": 1}, "body.unknown"),
    ],
)
async def test_bad_body_input_is_a_422_naming_the_field(
    api: Api, fields: dict[str, object], field: str | None
) -> None:
    payload = {"classification": "tft", "name_ko": "x", **fields}
    assert_problem(
        await api.client.post("/councils/bodies", json=payload, headers=api.city), 422, field=field
    )


async def test_partial_dates_are_kept_as_given_and_bound_the_active_on_filter(api: Api) -> None:
    name = unique("민관TFT")
    body = await api.body(
        classification="tft", name_ko=name, founding_date="2016-09", dissolution_date="2017"
    )
    assert (body["founding_date"], body["dissolution_date"]) == ("2016-09", "2017")

    async def found(on: str) -> bool:
        page = (await api.client.get("/councils/bodies", params={"q": name, "active_on": on})).json()
        return [b["id"] for b in page["items"]] == [body["id"]]

    assert not await found("2016-08-31")
    assert await found("2016-09-01")
    assert await found("2017-12-31")
    assert not await found("2018-01-01")


async def test_search_filters_and_cursor_pagination(api: Api) -> None:
    tag = unique("검색")
    made = [
        await api.body(district_code="11545", name_ko=f"{tag} {i}", classification="tft") for i in range(5)
    ]
    await api.body(district_code="11545", name_ko=f"{tag} council")
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, str | int] = {"q": tag, "kind": "tft", "district": "11545", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (await api.client.get("/councils/bodies", params=params)).json()
        seen += [b["id"] for b in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [b["id"] for b in made]
    assert_problem(await api.client.get("/councils/bodies", params={"kind": "nope"}), 422, field="query.kind")
    assert_problem(
        await api.client.get("/councils/bodies", params={"district": "1"}), 422, field="query.district"
    )
    assert_problem(
        await api.client.get("/councils/bodies", params={"active_on": "2017-02-30"}),
        422,
        field="query.active_on",
    )


async def test_unknown_body_is_a_404(api: Api) -> None:
    body = assert_problem(await api.client.get("/councils/bodies/999999"), 404, field="path.body_id")
    assert body["code"] == "body-not-found"


async def test_district_officers_write_only_their_district(
    api: Api, auth: Callable[..., dict[str, str]]
) -> None:
    own = auth("district_officer", "11380")
    body = await api.body(headers=own, district_code="11380")
    assert body["district_code"] == "11380"
    other = await api.client.post(
        "/councils/bodies",
        json={"classification": "tft", "name_ko": "x", "district_code": "11110"},
        headers=own,
    )
    assert_problem(other, 403)
    city_level = await api.client.post(
        "/councils/bodies", json={"classification": "tft", "name_ko": "x"}, headers=own
    )
    assert_problem(city_level, 403)
    foreign = await api.body(district_code="11110")
    assert_problem(
        await api.client.patch(f"/councils/bodies/{foreign['id']}", json={"name_ko": "y"}, headers=own), 403
    )
    patched = await api.client.patch(
        f"/councils/bodies/{body['id']}", json={"name_ko": "협치은평"}, headers=own
    )
    assert patched.status_code == 200 and patched.json()["name_ko"] == "협치은평"


@pytest.mark.parametrize("role", ["citizen", "secretariat", "evaluator", "auditor"])
async def test_other_roles_may_not_write_the_registry(
    councils: httpx.AsyncClient, auth: Callable[..., dict[str, str]], role: str
) -> None:
    payload = {"classification": "tft", "name_ko": "x", "district_code": "11380"}
    assert_problem(await councils.post("/councils/bodies", json=payload, headers=auth(role)), 403)
    assert_problem(await councils.post("/councils/persons", json={"name_ko": "x"}, headers=auth(role)), 403)


async def test_anonymous_writes_are_401(councils: httpx.AsyncClient) -> None:
    assert_problem(
        await councils.post("/councils/bodies", json={"classification": "tft", "name_ko": "x"}), 401
    )
    assert_problem(await councils.post("/councils/memberships", json={}), 401)


async def test_rules_and_cap_are_data_that_can_change(api: Api) -> None:
    body = await api.body(classification="promotion_group", member_cap=15)
    rules = {
        "quorum": {"numerator": 1, "denominator": 3, "comparison": "at_least"},
        "passing": {"numerator": 1, "denominator": 2, "comparison": "more_than"},
        "amendment": {"numerator": 3, "denominator": 4, "comparison": "at_least"},
    }
    response = await api.client.patch(
        f"/councils/bodies/{body['id']}", json={"rules": rules, "member_cap": 12}, headers=api.city
    )
    assert response.status_code == 200, response.text
    assert response.json()["rules"] == {**rules, "extraordinary_min_requesters": None}
    assert response.json()["member_cap"] == 12


async def test_contacts_are_shown_to_officials_only(api: Api, auth: Callable[..., dict[str, str]]) -> None:
    person = await api.person(email="lead@example.org", phone="02-000-0000", district_code="11380")
    url = f"/councils/persons/{person['id']}"
    assert (await api.client.get(url)).json()["contact"] is None
    assert (await api.client.get(url, headers=auth("citizen"))).json()["contact"] is None
    official = (await api.client.get(url, headers=auth("secretariat"))).json()
    assert official["contact"] == {"email": "lead@example.org", "phone": "02-000-0000"}
    listed = (await api.client.get("/councils/persons", params={"name": person["name_ko"]})).json()["items"]
    assert [p["id"] for p in listed] == [person["id"]] and listed[0]["contact"] is None


async def test_organizations_are_separate_from_bodies(api: Api) -> None:
    response = await api.client.post(
        "/councils/organizations",
        json={
            "classification": "consortium",
            "name_ko": "은평 시민협력플랫폼 컨소시엄",
            "district_code": "11380",
        },
        headers=api.city,
    )
    org = await api.ok(response)
    assert_problem(await api.client.get(f"/councils/bodies/{org['id']}"), 404)
    assert (await api.client.get(f"/councils/organizations/{org['id']}")).json()["name_ko"] == org["name_ko"]
    response = await api.client.post(
        "/councils/organizations", json={"classification": "tft", "name_ko": "x"}, headers=api.city
    )
    assert_problem(response, 422, field="body.classification")


async def test_posts_belong_to_a_body(api: Api) -> None:
    plenary, _ = await api.association()
    response = await api.client.post(
        f"/councils/bodies/{plenary['id']}/posts",
        json={
            "label": "은평구 소통책임자",
            "role": "communication_lead",
            "district_code": "11380",
            "seats": 2,
        },
        headers=api.city,
    )
    post = await api.ok(response)
    listed = (await api.client.get(f"/councils/bodies/{plenary['id']}/posts")).json()
    assert listed == [post]
    person = await api.person()
    membership = await api.membership(
        organization_id=plenary["id"], person_id=person["id"], post_id=post["id"], role=None
    )
    assert membership["role"] == "communication_lead" and membership["district_code"] == "11380"

"""Membership rules at their edges: overlap, communication leads per district, steering cap, eligibility."""

from collections.abc import Callable

import pytest

from shared.seoul import DISTRICT_CODES
from tests.conftest import assert_problem
from tests.councils.helpers import Api

DISTRICTS = sorted(DISTRICT_CODES)[:11]


async def test_a_membership_names_who_where_and_for_which_sector(api: Api) -> None:
    body = await api.body(district_code="11380")
    person = await api.person(district_code="11380")
    m = await api.membership(
        organization_id=body["id"],
        person_id=person["id"],
        role="chair",
        sector="civil",
        start_date="2017-04-10",
        appointed_by="구청장",
    )
    assert m["organization"] == {"id": body["id"], "name_ko": body["name_ko"]}
    assert m["person"] == {"id": person["id"], "name_ko": person["name_ko"]}
    assert (m["role"], m["sector"], m["district_code"], m["appointed_by"]) == (
        "chair",
        "civil",
        "11380",
        "구청장",
    )


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"start_date": "2017-6-1"}, "body.start_date"),
        ({"start_date": "2017-06", "end_date": "2017-05"}, "body.end_date"),
        ({"sector": "citizen"}, "body.sector"),
        ({"role": "king"}, "body.role"),
        ({"end_reason": "bored", "end_date": "2017-07"}, "body.end_reason"),
        ({"end_reason": "resigned"}, "body.end_reason"),
        ({"person_id": 999999}, "body.person_id"),
        ({"organization_id": 999999}, "body.organization_id"),
        ({"district_code": "99999"}, "body.district_code"),
    ],
)
async def test_bad_membership_input_is_a_422_naming_the_field(
    api: Api, fields: dict[str, object], field: str
) -> None:
    body = await api.body()
    response = await api.post_membership(**{"organization_id": body["id"], **fields})
    assert_problem(response, 422, field=field)


async def test_no_overlapping_membership_of_a_person_in_the_same_role(api: Api) -> None:
    body = await api.body()
    person = await api.person()
    first = await api.membership(
        organization_id=body["id"], person_id=person["id"], start_date="2016-09", end_date="2017-06"
    )
    overlap = await api.post_membership(
        organization_id=body["id"], person_id=person["id"], start_date="2017-06-30"
    )
    problem = assert_problem(overlap, 409, field="body.start_date")
    assert "overlapping" in problem["detail"]
    # The day after the partial end's last day is free; so is another role over the same period.
    await api.membership(organization_id=body["id"], person_id=person["id"], start_date="2017-07-01")
    await api.membership(
        organization_id=body["id"], person_id=person["id"], role="chair", start_date="2016-10"
    )
    # Extending the first membership into the second is refused as well.
    response = await api.client.patch(
        f"/councils/memberships/{first['id']}", json={"end_date": "2017-07-01"}, headers=api.city
    )
    assert_problem(response, 409)


async def test_at_most_two_communication_leads_per_district_at_any_date(api: Api) -> None:
    plenary, _ = await api.association()
    first = await api.lead(plenary, "11200", start_date="2016-09-30", end_date="2017-06-19")
    await api.lead(plenary, "11200", start_date="2016-09-30")
    # A third on the first one's last day is one too many; from the day after it is the second of two.
    response = await api.post_membership(
        organization_id=plenary["id"],
        person_id=(await api.person())["id"],
        role="communication_lead",
        district_code="11200",
        start_date="2017-06-19",
    )
    problem = assert_problem(response, 422)
    assert problem["detail"] == (
        "at most 2 communication leads per district at any date: district 11200 would have 3 on 2017-06-19"
    )
    replacement = await api.lead(plenary, "11200", start_date="2017-06-20")
    # Another district is counted on its own.
    await api.lead(plenary, "11380", start_date="2016-09-30")
    # Reopening the ended lead would make three again.
    response = await api.client.patch(
        f"/councils/memberships/{first['id']}", json={"end_date": None, "end_reason": None}, headers=api.city
    )
    assert_problem(response, 422)
    leads = await api.client.get(
        "/councils/memberships",
        params={"district": "11200", "role": "communication_lead", "active_on": "2017-06-26"},
    )
    assert replacement["id"] in [m["id"] for m in leads.json()["items"]]
    assert len(leads.json()["items"]) == 2


async def test_a_communication_lead_names_a_district(api: Api) -> None:
    plenary, _ = await api.association()
    response = await api.post_membership(
        organization_id=plenary["id"], person_id=(await api.person())["id"], role="communication_lead"
    )
    assert_problem(response, 422, field="body.district_code")


async def test_a_steering_member_must_be_a_communication_lead_over_the_whole_term(api: Api) -> None:
    plenary, steering = await api.association()
    person = await api.person()
    steer = {"organization_id": steering["id"], "person_id": person["id"], "role": "steering_member"}
    problem = assert_problem(await api.post_membership(**steer, start_date="2017-01-01"), 422)
    assert "must hold a communication_lead membership over the whole term" in problem["detail"]
    await api.lead(plenary, "11230", person=person, start_date="2017-01-01", end_date="2017-06-30")
    # One day past the lead's term is refused; the exact term is accepted.
    assert_problem(await api.post_membership(**steer, start_date="2017-01-01", end_date="2017-07-01"), 422)
    assert_problem(await api.post_membership(**steer, start_date="2016-12-31", end_date="2017-06-30"), 422)
    await api.membership(**steer, start_date="2017-01-01", end_date="2017-06-30")


async def test_consecutive_lead_terms_together_cover_a_steering_term(api: Api) -> None:
    plenary, steering = await api.association()
    person = await api.person()
    first = await api.lead(plenary, "11440", person=person, start_date="2016-09-30", end_date="2017-09-29")
    await api.lead(plenary, "11440", person=person, start_date="2017-09-30")
    steer = await api.membership(
        organization_id=steering["id"], person_id=person["id"], role="steering_member", start_date="2017-01"
    )
    # Shortening the first lead term would leave a gap under the steering term.
    gap = await api.client.patch(
        f"/councils/memberships/{first['id']}", json={"end_date": "2017-09-28"}, headers=api.city
    )
    problem = assert_problem(gap, 422)
    assert f"membership {steer['id']}" in problem["detail"]
    assert_problem(await api.client.delete(f"/councils/memberships/{first['id']}", headers=api.city), 422)


async def test_ending_the_steering_seat_first_lets_the_lead_term_end(api: Api) -> None:
    """은평: 홍성민 left steering on 2017-06-19 as 민성환 became the district's communication lead."""
    plenary, steering = await api.association()
    person = await api.person(name_ko="홍성민")
    lead = await api.lead(plenary, "11380", person=person, start_date="2016-09-30")
    steer = await api.membership(
        organization_id=steering["id"], person_id=person["id"], role="steering_member", start_date="2016-10"
    )
    end = {"end_date": "2017-06-19", "end_reason": "replaced"}
    assert_problem(
        await api.client.patch(f"/councils/memberships/{lead['id']}", json=end, headers=api.city), 422
    )
    resigned = {"end_date": "2017-06-19", "end_reason": "resigned"}
    response = await api.client.patch(f"/councils/memberships/{steer['id']}", json=resigned, headers=api.city)
    assert response.status_code == 200, response.text
    response = await api.client.patch(f"/councils/memberships/{lead['id']}", json=end, headers=api.city)
    assert response.status_code == 200 and response.json()["end_reason"] == "replaced"


async def test_steering_cap_defaults_to_10_at_any_date(api: Api) -> None:
    plenary, steering = await api.association()
    members = []
    for i in range(11):
        person = await api.person()
        await api.lead(plenary, DISTRICTS[i], person=person, start_date="2016-09-30")
        members.append(person)
    seats = []
    for person in members[:10]:
        seats.append(
            await api.membership(
                organization_id=steering["id"],
                person_id=person["id"],
                role="steering_member",
                start_date="2017-01-01",
            )
        )
    eleventh = {"organization_id": steering["id"], "person_id": members[10]["id"], "role": "steering_member"}
    problem = assert_problem(await api.post_membership(**eleventh, start_date="2017-05-22"), 422)
    assert "allows at most 10 members at any date; this would make 11 on 2017-05-22" in problem["detail"]
    # 임현정 resigned on 2017-05-22: from the next day there is room again.
    response = await api.client.patch(
        f"/councils/memberships/{seats[0]['id']}",
        json={"end_date": "2017-05-22", "end_reason": "resigned"},
        headers=api.city,
    )
    assert response.status_code == 200
    assert_problem(await api.post_membership(**eleventh, start_date="2017-05-22"), 422)
    await api.membership(**eleventh, start_date="2017-05-23")
    assert (await api.composition(steering["id"], "2017-05-22"))["total"] == 10
    assert (await api.composition(steering["id"], "2017-05-23"))["total"] == 10
    # Lowering the cap below who already sits is refused by the database too.
    response = await api.client.patch(
        f"/councils/bodies/{steering['id']}", json={"member_cap": 9}, headers=api.city
    )
    assert_problem(response, 422)


async def test_a_chair_who_is_also_a_member_counts_once(api: Api) -> None:
    body = await api.body(member_cap=2)
    people = [await api.person() for _ in range(3)]
    await api.membership(organization_id=body["id"], person_id=people[0]["id"], role="member")
    await api.membership(organization_id=body["id"], person_id=people[0]["id"], role="chair")
    await api.membership(
        organization_id=body["id"], person_id=people[1]["id"], role="member", sector="official"
    )
    assert_problem(await api.post_membership(organization_id=body["id"], person_id=people[2]["id"]), 422)
    # A secretary (간사) serves the body without taking a seat.
    await api.membership(
        organization_id=body["id"], person_id=people[2]["id"], role="secretary", sector="official"
    )
    comp = await api.composition(body["id"], "2017-06-30")
    assert (comp["total"], comp["civil"], comp["official"]) == (2, 1, 1)
    assert comp["by_role"] == {"member": 2, "chair": 1}


async def test_composition_as_of_a_date(api: Api) -> None:
    body = await api.body(district_code="11320")
    sectors = ["civil"] * 3 + ["councillor"] * 2 + ["official"] * 2 + ["expert"]
    for sector in sectors:
        await api.membership(organization_id=body["id"], sector=sector, start_date="2017-04-11", label="위원")
    leaver = await api.person()
    await api.membership(
        organization_id=body["id"],
        person_id=leaver["id"],
        start_date="2017-04-11",
        end_date="2017-05-31",
        end_reason="resigned",
    )
    assert (await api.composition(body["id"], "2017-04-10"))["total"] == 0
    may = await api.composition(body["id"], "2017-05-31")
    assert (may["total"], may["civil"], may["councillor"], may["official"], may["expert"]) == (9, 4, 2, 2, 1)
    june = await api.composition(body["id"], "2017-06-01")
    assert (june["total"], june["civil"], june["unnamed"]) == (8, 3, 8)
    assert_problem(
        await api.client.get(f"/councils/bodies/{body['id']}/composition", params={"on": "2017-06"}),
        422,
        field="query.on",
    )


async def test_unnamed_seats_only_in_bodies_and_never_in_an_eligibility_body(api: Api) -> None:
    _, steering = await api.association()
    assert_problem(await api.post_membership(organization_id=steering["id"], role="steering_member"), 422)
    response = await api.client.post(
        "/councils/organizations",
        json={"classification": "consortium", "name_ko": "컨소시엄"},
        headers=api.city,
    )
    org = await api.ok(response)
    assert_problem(await api.post_membership(organization_id=org["id"]), 422, field="body.person_id")


async def test_membership_writes_follow_the_body_district(
    api: Api, auth: Callable[..., dict[str, str]]
) -> None:
    own = auth("district_officer", "11410")
    body = await api.body(district_code="11410")
    other = await api.body(district_code="11440")
    city_level = await api.body()
    assert (await api.post_membership(own, organization_id=body["id"])).status_code == 201
    assert_problem(await api.post_membership(own, organization_id=other["id"]), 403)
    assert_problem(await api.post_membership(own, organization_id=city_level["id"]), 403)
    m = await api.membership(organization_id=other["id"])
    response = await api.client.patch(
        f"/councils/memberships/{m['id']}", json={"end_date": "2018"}, headers=own
    )
    assert_problem(response, 403)
    assert_problem(await api.client.delete(f"/councils/memberships/{m['id']}", headers=own), 403)
    assert_problem(await api.post_membership(auth("secretariat"), organization_id=body["id"]), 403)


async def test_memberships_filters(api: Api) -> None:
    body = await api.body(district_code="11290", classification="tft")
    person = await api.person()
    await api.membership(
        organization_id=body["id"], person_id=person["id"], sector="expert", start_date="2017-05"
    )
    await api.membership(
        organization_id=body["id"], sector="official", start_date="2017-05", end_date="2017-08"
    )

    async def ids(**params: object) -> int:
        response = await api.client.get(
            "/councils/memberships", params={"organization_id": body["id"], **params}
        )
        assert response.status_code == 200, response.text
        return len(response.json()["items"])

    assert await ids() == 2
    assert await ids(sector="expert") == 1
    assert await ids(person_id=person["id"]) == 1
    assert await ids(kind="tft", district="11290") == 2
    assert await ids(kind="plenary") == 0
    assert await ids(active_on="2017-09-01") == 1
    assert await ids(active_on="2017-04-30") == 0


async def test_a_search_page_holds_each_membership_as_its_own_read_gives_it(api: Api) -> None:
    body = await api.body()
    member_org = await api.ok(
        await api.client.post(
            "/councils/organizations",
            json={"classification": "civil_society_organization", "name_ko": '협치 단체 "하나"'},
            headers=api.city,
        )
    )
    person = await api.person()
    await api.membership(organization_id=body["id"], person_id=person["id"], role="chair", label="위원장")
    await api.membership(organization_id=body["id"], member_organization_id=member_org["id"], sector="expert")
    await api.membership(
        organization_id=body["id"],
        sector="official",
        start_date="2017-03",
        end_date="2017-09",
        end_reason="resigned",
        end_note="사임\n",
        source="https://example.org/?a=1&b=<2>",
    )
    pages, cursor = [], None
    while True:
        params: dict[str, object] = {"organization_id": body["id"], "limit": 2}
        if cursor:
            params["cursor"] = cursor
        response = await api.client.get("/councils/memberships", params=params)
        assert response.status_code == 200, response.text
        pages.append(response.json())
        cursor = pages[-1]["next_cursor"]
        if cursor is None:
            break
    assert [len(page["items"]) for page in pages] == [2, 1]
    for item in (item for page in pages for item in page["items"]):
        response = await api.client.get(f"/councils/memberships/{item['id']}")
        assert response.json() == item

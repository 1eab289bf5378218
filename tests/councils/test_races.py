"""The membership rules under concurrent requests: each request is its own committed transaction.

The data is committed for real, to the committed tests' own database (recreated at every run), so every
test uses its own bodies and people, and periods in far-future years that no other committed test touches.
"""

import asyncio
from collections import Counter

import httpx

from tests.councils.helpers import Api


def statuses(responses: list[httpx.Response]) -> Counter[int]:
    return Counter(response.status_code for response in responses)


async def test_overlapping_memberships_race_one_wins(committed_api: Api) -> None:
    api = committed_api
    body = await api.body()
    person = await api.person()
    attempts = [
        api.post_membership(
            organization_id=body["id"], person_id=person["id"], start_date=f"2090-0{1 + i % 3}"
        )
        for i in range(8)
    ]
    assert statuses(await asyncio.gather(*attempts)) == {201: 1, 409: 7}


async def test_communication_leads_race_two_win(committed_api: Api) -> None:
    api = committed_api
    plenary, _ = await api.association()
    people = [await api.person() for _ in range(8)]
    attempts = [
        api.post_membership(
            organization_id=plenary["id"],
            person_id=person["id"],
            role="communication_lead",
            district_code="11470",
            start_date="2090-03-01",
        )
        for person in people
    ]
    assert statuses(await asyncio.gather(*attempts)) == {201: 2, 422: 6}
    leads = await api.client.get(
        "/councils/memberships",
        params={"district": "11470", "role": "communication_lead", "active_on": "2090-03-01"},
    )
    assert len(leads.json()["items"]) == 2


async def test_steering_cap_race_admits_exactly_the_cap(committed_api: Api) -> None:
    api = committed_api
    plenary, steering = await api.association()
    response = await api.client.patch(
        f"/councils/bodies/{steering['id']}", json={"member_cap": 3}, headers=api.city
    )
    assert response.status_code == 200
    people = []
    for district in ("11500", "11530", "11545", "11560", "11590", "11620"):
        person = await api.person()
        await api.lead(plenary, district, person=person, start_date="2091-01-01")
        people.append(person)
    attempts = [
        api.post_membership(
            organization_id=steering["id"], person_id=p["id"], role="steering_member", start_date="2091-02-01"
        )
        for p in people
    ]
    assert statuses(await asyncio.gather(*attempts)) == {201: 3, 422: 3}
    assert (await api.composition(steering["id"], "2091-02-01"))["total"] == 3


async def test_steering_seat_and_shortened_lead_term_race_one_wins(committed_api: Api) -> None:
    api = committed_api
    plenary, steering = await api.association()
    for year in range(2092, 2097):
        person = await api.person()
        lead = await api.lead(
            plenary, "11650", person=person, start_date=f"{year}-01-01", end_date=f"{year}-12-31"
        )
        seat = api.post_membership(
            organization_id=steering["id"],
            person_id=person["id"],
            role="steering_member",
            start_date=f"{year}-01-01",
            end_date=f"{year}-12-31",
        )
        shorten = api.client.patch(
            f"/councils/memberships/{lead['id']}", json={"end_date": f"{year}-06-30"}, headers=api.city
        )
        results = await asyncio.gather(seat, shorten)
        ok = [r for r in results if r.status_code in (200, 201)]
        assert len(ok) == 1, [r.text for r in results]
        assert [r.status_code for r in results if r not in ok] == [422]

"""Extraordinary meetings (협치서울지역협의회 운영규정): the steering committee's on the request of 2 or more
members (제5조③), the plenary's by a steering-committee resolution (제4조④); other bodies as given."""

import pytest

from tests.conftest import assert_problem
from tests.councils.extraordinary import (
    DAY,
    association,
    districts,
    extraordinary,
    ids,
    refused,
    seat,
)
from tests.councils.helpers import Api

# The steering committee: on the request of 2 or more of its members seated on the meeting's date.


@pytest.mark.parametrize("requesters", [1, 2, 3])
async def test_a_steering_committee_needs_two_requesters(api: Api, requesters: int) -> None:
    _, steering, people = await association(api, 3)
    response = await extraordinary(api, steering, requested_by=ids(people[:requesters]))
    if requesters < 2:
        problem = refused(response, "body.requested_by", "too-few-requesters")
        assert "at least 2" in problem["detail"] and "1 person requested it" in problem["detail"]
        return
    created = await api.ok(response)
    assert created["requested_by"] == sorted(ids(people[:requesters]))
    assert created["called_by_motion_id"] is None
    assert (await api.client.get(f"/councils/meetings/{created['id']}")).json()["requested_by"] == sorted(
        ids(people[:requesters])
    )


async def test_no_requesters_is_refused(api: Api) -> None:
    _, steering, _ = await association(api, 2)
    refused(await extraordinary(api, steering), "body.requested_by", "too-few-requesters")
    refused(await extraordinary(api, steering, requested_by=[]), "body.requested_by", "too-few-requesters")


async def test_a_repeated_requester_counts_once(api: Api) -> None:
    _, steering, (first, second) = await association(api, 2)
    twice = await extraordinary(api, steering, requested_by=[first["id"], first["id"]])
    refused(twice, "body.requested_by", "too-few-requesters")
    created = await api.ok(
        await extraordinary(api, steering, requested_by=[second["id"], first["id"], second["id"]])
    )
    assert created["requested_by"] == sorted([first["id"], second["id"]])


@pytest.mark.parametrize(
    ("seat_fields", "accepted"),
    [
        ({"end_date": "2017-07-12", "end_reason": "resigned"}, False),  # left the day before
        ({"end_date": DAY, "end_reason": "resigned"}, True),  # a last day counts
        ({"start": "2017-07-14"}, False),  # seated the day after
        ({"start": DAY}, True),  # seated that day
        ({"end_date": "2017-07"}, True),  # a partial end date runs to the month's last day
    ],
)
async def test_a_requester_must_be_seated_on_the_meeting_date(
    api: Api, seat_fields: dict[str, str], accepted: bool
) -> None:
    plenary, steering, (member,) = await association(api, 1)
    edge = await seat(api, plenary, steering, **seat_fields)
    response = await extraordinary(api, steering, requested_by=[member["id"], edge["id"]])
    if accepted:
        await api.ok(response)
    else:
        problem = refused(response, "body.requested_by", "requester-not-a-member")
        assert f"person {edge['id']}" in problem["detail"] and DAY in problem["detail"]


async def test_the_meeting_date_is_the_seoul_date(api: Api) -> None:
    plenary, steering, (member,) = await association(api, 1)
    edge = await seat(api, plenary, steering, start=DAY)
    requested = [member["id"], edge["id"]]
    # 00:30 on the 13th in Seoul is still the 12th in UTC: the Seoul date counts.
    await api.ok(await extraordinary(api, steering, starts_at="2017-07-12T15:30:00Z", requested_by=requested))
    late = await extraordinary(api, steering, starts_at="2017-07-12T23:30:00+09:00", requested_by=requested)
    refused(late, "body.requested_by", "requester-not-a-member")


async def test_requesters_must_be_members_of_that_body(api: Api) -> None:
    plenary, steering, (member,) = await association(api, 1)
    lead_only = await api.person()
    await api.lead(plenary, next(districts), person=lead_only)
    response = await extraordinary(api, steering, requested_by=[member["id"], lead_only["id"]])
    refused(response, "body.requested_by", "requester-not-a-member")
    secretary = await api.person()  # serves the committee without a seat
    await api.lead(plenary, next(districts), person=secretary)  # (its eligibility rule covers every role)
    await api.membership(organization_id=steering["id"], person_id=secretary["id"], role="secretary")
    response = await extraordinary(api, steering, requested_by=[member["id"], secretary["id"]])
    refused(response, "body.requested_by", "requester-not-a-member")


@pytest.mark.parametrize(
    ("requested_by", "field", "code"),
    [
        ([999_999, 999_998], "body.requested_by", "unknown-reference"),
        ([1, 2**31], "body.requested_by.1", "validation-error"),
        ([0, 1], "body.requested_by.0", "validation-error"),
        (["x"], "body.requested_by.0", "validation-error"),
        (7, "body.requested_by", "validation-error"),
    ],
)
async def test_bad_requesters_are_a_422_naming_the_field(
    api: Api, requested_by: object, field: str, code: str
) -> None:
    _, steering, _ = await association(api, 2)
    refused(await extraordinary(api, steering, requested_by=requested_by), field, code)


async def test_the_minimum_is_the_bodys_data(api: Api) -> None:
    _, steering, people = await association(api, 3)
    change = await api.client.patch(
        f"/councils/bodies/{steering['id']}",
        json={"rules": {"extraordinary_min_requesters": 3}},
        headers=api.city,
    )
    assert change.status_code == 200 and change.json()["rules"]["extraordinary_min_requesters"] == 3
    refused(
        await extraordinary(api, steering, requested_by=ids(people[:2])),
        "body.requested_by",
        "too-few-requesters",
    )
    await api.ok(await extraordinary(api, steering, requested_by=ids(people)))
    # Changing the fractions alone keeps the minimum; null lifts the rule.
    quorum = {"quorum": {"numerator": 1, "denominator": 3, "comparison": "at_least"}}
    kept = await api.client.patch(
        f"/councils/bodies/{steering['id']}", json={"rules": quorum}, headers=api.city
    )
    assert kept.json()["rules"]["extraordinary_min_requesters"] == 3
    lifted = await api.client.patch(
        f"/councils/bodies/{steering['id']}",
        json={"rules": {"extraordinary_min_requesters": None}},
        headers=api.city,
    )
    assert lifted.json()["rules"]["extraordinary_min_requesters"] is None
    await api.ok(await extraordinary(api, steering, starts_at="2017-07-20T10:00:00"))
    bad = await api.client.patch(
        f"/councils/bodies/{steering['id']}",
        json={"rules": {"extraordinary_min_requesters": 0}},
        headers=api.city,
    )
    assert_problem(bad, 422, field="body.rules.extraordinary_min_requesters")


async def test_any_body_may_carry_the_requester_rule(api: Api) -> None:
    council = await api.body(rules={"extraordinary_min_requesters": 2})
    member = await api.person()
    await api.membership(organization_id=council["id"], person_id=member["id"])
    outsider = await api.person()
    response = await extraordinary(api, council, requested_by=[member["id"], outsider["id"]])
    refused(response, "body.requested_by", "requester-not-a-member")
    refused(
        await extraordinary(api, council, requested_by=[member["id"]]),
        "body.requested_by",
        "too-few-requesters",
    )

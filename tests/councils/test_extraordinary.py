"""Extraordinary meetings (협치서울지역협의회 운영규정): the steering committee's on the request of 2 or more
members (제5조③), the plenary's by a steering-committee resolution (제4조④); other bodies as given."""

from collections.abc import Callable
from itertools import cycle
from typing import Any

import httpx
import pytest

from shared.seoul import DISTRICT_CODES
from tests.conftest import assert_problem
from tests.councils.helpers import Api, attend, meeting, motion, unique

DAY = "2017-07-13"  # a Thursday
AT = f"{DAY}T10:00:00"
_districts = cycle(sorted(DISTRICT_CODES))  # a fresh district per lead: at most 2 leads per district


async def seat(
    api: Api, plenary: dict[str, Any], steering: dict[str, Any], start: str = "2017-01-01", **fields: Any
) -> dict[str, Any]:
    """A communication lead of the plenary from 2017-01-01 with a steering seat from `start`."""
    person = await api.person()
    await api.lead(plenary, next(_districts), person=person, start_date="2017-01-01")
    await api.membership(
        organization_id=steering["id"],
        person_id=person["id"],
        role="steering_member",
        start_date=start,
        **fields,
    )
    return person


async def association(api: Api, members: int) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    plenary, steering = await api.association()
    return plenary, steering, [await seat(api, plenary, steering) for _ in range(members)]


async def extraordinary(
    api: Api, body: dict[str, Any], starts_at: str = AT, headers: dict[str, str] | None = None, **fields: Any
) -> httpx.Response:
    payload = {
        "organization_id": body["id"],
        "kind": "extraordinary",
        "title": unique("임시회의"),
        "starts_at": starts_at,
        **fields,
    }
    return await api.client.post("/councils/meetings", json=payload, headers=headers or api.city)


def ids(people: list[dict[str, Any]]) -> list[int]:
    return [p["id"] for p in people]


def refused(response: httpx.Response, field: str, code: str) -> dict[str, Any]:
    problem = assert_problem(response, 422, field=field)
    assert problem["code"] == code, problem
    return problem


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
    await api.lead(plenary, next(_districts), person=lead_only)
    response = await extraordinary(api, steering, requested_by=[member["id"], lead_only["id"]])
    refused(response, "body.requested_by", "requester-not-a-member")
    secretary = await api.person()  # serves the committee without a seat
    await api.lead(plenary, next(_districts), person=secretary)  # (its eligibility rule covers every role)
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


# The plenary: by a passed resolution of its steering committee, held on or before the meeting's date.


async def steering_motion(
    api: Api,
    steering: dict[str, Any],
    people: list[dict[str, Any]],
    day: str,
    votes: tuple[int, int, int] | None,
) -> dict[str, Any]:
    """A motion of a steering meeting on `day` at 10:00 with every member present."""
    held = await meeting(api, steering, starts_at=f"{day}T10:00:00", kind="steering")
    assert (await attend(api, held["id"], people)).status_code == 200
    if votes is None:
        response = await api.client.post(
            f"/councils/meetings/{held['id']}/motions",
            json={"title": "임시 전체회의 소집의 건"},
            headers=api.city,
        )
        return await api.ok(response)
    return await api.ok(await motion(api, held["id"], *votes))


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("passed", None),
        ("passed the same day", None),
        ("failed", "resolution-not-passed"),
        ("pending", "resolution-not-passed"),
        ("no quorum", "resolution-not-passed"),
        ("after the meeting", "resolution-after-meeting"),
        ("another association's steering committee", "resolution-not-of-steering-committee"),
        ("a district council", "resolution-not-of-steering-committee"),
        ("the plenary's own", "resolution-not-of-steering-committee"),
    ],
)
async def test_an_extraordinary_plenary_cites_a_passed_steering_resolution(
    api: Api, case: str, code: str | None
) -> None:
    plenary, steering, people = await association(api, 3)  # 3 seated: quorum 2 present, passing 2 yes
    if case == "passed":
        cited = await steering_motion(api, steering, people, "2017-07-06", (2, 1, 0))
    elif case == "passed the same day":
        cited = await steering_motion(api, steering, people, DAY, (3, 0, 0))
    elif case == "failed":
        cited = await steering_motion(api, steering, people, "2017-07-06", (1, 2, 0))
    elif case == "pending":
        cited = await steering_motion(api, steering, people, "2017-07-06", None)
    elif case == "no quorum":
        cited = await steering_motion(api, steering, people[:1], "2017-07-06", (1, 0, 0))
    elif case == "after the meeting":
        cited = await steering_motion(api, steering, people, "2017-07-14", (3, 0, 0))
    elif case == "another association's steering committee":
        _, other_steering, others = await association(api, 2)
        cited = await steering_motion(api, other_steering, others, "2017-07-06", (2, 0, 0))
    elif case == "a district council":
        council = await api.body()
        member = await api.person()
        await api.membership(organization_id=council["id"], person_id=member["id"])
        cited = await steering_motion(api, council, [member], "2017-07-06", (1, 0, 0))
    else:
        cited = await steering_motion(api, plenary, people, "2017-07-06", (3, 0, 0))  # all leads
    expected = {"failed": "fail", "pending": "pending", "no quorum": "fail"}.get(case, "pass")
    assert cited["vote"]["result"] == expected
    response = await extraordinary(api, plenary, starts_at=f"{DAY}T15:00:00", called_by_motion_id=cited["id"])
    if code is None:
        created = await api.ok(response)
        assert created["called_by_motion_id"] == cited["id"] and created["requested_by"] == []
        detail = (await api.client.get(f"/councils/meetings/{created['id']}")).json()
        assert detail["called_by_motion_id"] == cited["id"]
    else:
        problem = refused(response, "body.called_by_motion_id", code)
        assert f"motion {cited['id']}" in problem["detail"]


async def test_an_extraordinary_plenary_without_a_resolution_is_refused(api: Api) -> None:
    plenary, _, _ = await association(api, 0)
    problem = refused(await extraordinary(api, plenary), "body.called_by_motion_id", "resolution-required")
    assert "제4조④" in problem["detail"]
    unknown = await extraordinary(api, plenary, called_by_motion_id=999_999)
    refused(unknown, "body.called_by_motion_id", "unknown-reference")
    refused(
        await extraordinary(api, plenary, called_by_motion_id=2**31),
        "body.called_by_motion_id",
        "validation-error",
    )
    refused(
        await extraordinary(api, plenary, called_by_motion_id="x"),
        "body.called_by_motion_id",
        "validation-error",
    )


async def test_a_steering_committee_nested_under_the_plenary_is_its_steering_committee(api: Api) -> None:
    plenary = await api.body(classification="plenary", name_ko=unique("전체회의"))
    steering = await api.body(
        classification="steering_committee", name_ko=unique("운영위원회"), parent_id=plenary["id"]
    )
    people = [await seat(api, plenary, steering) for _ in range(2)]
    cited = await steering_motion(api, steering, people, "2017-07-06", (2, 0, 0))
    await api.ok(await extraordinary(api, plenary, called_by_motion_id=cited["id"]))
    lone = await api.body(classification="plenary", name_ko=unique("전체회의"))
    problem = refused(
        await extraordinary(api, lone, called_by_motion_id=cited["id"]),
        "body.called_by_motion_id",
        "resolution-not-of-steering-committee",
    )
    assert "none is recorded" in problem["detail"]


# Other bodies: the sources name no rule, so their extraordinary meetings keep what is given.


async def test_other_bodies_record_what_is_given(api: Api) -> None:
    council = await api.body(classification="city_council", name_ko=unique("서울협치협의회"))
    bare = await api.ok(await extraordinary(api, council))
    assert bare["requested_by"] == [] and bare["called_by_motion_id"] is None
    people = [await api.person(), await api.person()]  # not members: no rule to check against
    member = await api.person()
    await api.membership(organization_id=council["id"], person_id=member["id"])
    cited = await steering_motion(api, council, [member], "2017-07-06", None)
    created = await api.ok(
        await extraordinary(
            api,
            council,
            starts_at="2017-07-20T10:00:00",
            requested_by=ids(people),
            called_by_motion_id=cited["id"],
        )
    )
    assert created["requested_by"] == sorted(ids(people)) and created["called_by_motion_id"] == cited["id"]
    listed = (await api.client.get("/councils/meetings", params={"organization_id": council["id"]})).json()
    assert [m["requested_by"] for m in listed["items"]] == [[], [], sorted(ids(people))]
    # Still real records, and a resolution cannot come after the meeting it called.
    refused(
        await extraordinary(api, council, requested_by=[999_999]), "body.requested_by", "unknown-reference"
    )
    early = await extraordinary(
        api, council, starts_at="2017-07-01T10:00:00", called_by_motion_id=cited["id"]
    )
    refused(early, "body.called_by_motion_id", "resolution-after-meeting")


async def test_an_extraordinary_steering_meeting_may_also_cite_a_resolution(api: Api) -> None:
    plenary, steering, people = await association(api, 2)
    cited = await steering_motion(api, steering, people, "2017-07-06", (2, 0, 0))
    created = await api.ok(
        await extraordinary(api, steering, requested_by=ids(people), called_by_motion_id=cited["id"])
    )
    assert created["called_by_motion_id"] == cited["id"]
    # and a plenary's requesters are recorded beside its resolution
    lead = await api.lead(plenary, next(_districts))
    called = await api.ok(
        await extraordinary(api, plenary, requested_by=[lead["person_id"]], called_by_motion_id=cited["id"])
    )
    assert called["requested_by"] == [lead["person_id"]]


@pytest.mark.parametrize("kind", ["regular", "steering", "plenary"])
async def test_only_extraordinary_meetings_are_requested_or_called(api: Api, kind: str) -> None:
    _, steering, people = await association(api, 2)
    cited = await steering_motion(api, steering, people, "2017-07-06", (2, 0, 0))
    payload = {"organization_id": steering["id"], "kind": kind, "title": "x", "starts_at": AT}
    for extra, field in (
        ({"requested_by": ids(people)}, "body.requested_by"),
        ({"called_by_motion_id": cited["id"]}, "body.called_by_motion_id"),
    ):
        response = await api.client.post("/councils/meetings", json={**payload, **extra}, headers=api.city)
        refused(response, field, "not-extraordinary")
    assert (await api.client.post("/councils/meetings", json=payload, headers=api.city)).status_code == 201


# Changes, history, schedules and access.


async def test_changing_the_date_or_the_requesters_is_checked_again(api: Api) -> None:
    plenary, steering, (member,) = await association(api, 1)
    leaving = await seat(api, plenary, steering, end_date="2017-07-31", end_reason="resigned")
    staying = await seat(api, plenary, steering)
    created = await api.ok(await extraordinary(api, steering, requested_by=[member["id"], leaving["id"]]))
    path = f"/councils/meetings/{created['id']}"
    moved = await api.client.patch(path, json={"starts_at": "2017-08-03T10:00:00"}, headers=api.city)
    refused(moved, "body.requested_by", "requester-not-a-member")
    changed = await api.client.patch(
        path,
        json={
            "starts_at": "2017-08-03T10:00:00",
            "requested_by": [staying["id"], member["id"], staying["id"]],
        },
        headers=api.city,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["requested_by"] == sorted([member["id"], staying["id"]])
    refused(
        await api.client.patch(path, json={"requested_by": [member["id"]]}, headers=api.city),
        "body.requested_by",
        "too-few-requesters",
    )
    # A change that does not touch the call leaves it as it is.
    held = await api.client.patch(path, json={"status": "held"}, headers=api.city)
    assert held.json()["requested_by"] == sorted([member["id"], staying["id"]])
    entries = await api.history("meeting", created["id"])
    assert [e["action"] for e in entries] == ["create", "update", "update"]
    assert entries[1]["before"]["starts_at"] != entries[1]["after"]["starts_at"]
    assert entries[1]["after"]["starts_at"].startswith("2017-08-03T10:00:00")
    assert (entries[2]["before"]["status"], entries[2]["after"]["status"]) == ("scheduled", "held")
    # The requesters are rows of their own (entity `meeting_requester`, id = the meeting), written in the
    # transaction of the meeting's own change: replayed, they are who requested it before and after.
    requesters: set[int] = set()
    by_change = []
    for entry in await api.history("meeting_requester", created["id"]):
        if entry["action"] == "create":
            requesters.add(entry["after"]["person_id"])
        else:
            requesters.discard(entry["before"]["person_id"])
        by_change.append((entry["request_id"], sorted(requesters)))
    after_create = [people for request_id, people in by_change if request_id == entries[0]["request_id"]][-1]
    after_change = [people for request_id, people in by_change if request_id == entries[1]["request_id"]][-1]
    assert after_create == sorted([member["id"], leaving["id"]])
    assert after_change == sorted([member["id"], staying["id"]])
    assert all(
        request_id in (entries[0]["request_id"], entries[1]["request_id"]) for request_id, _ in by_change
    )


async def test_a_plenarys_resolution_is_checked_when_the_meeting_moves(api: Api) -> None:
    plenary, steering, people = await association(api, 2)
    cited = await steering_motion(api, steering, people, "2017-07-06", (2, 0, 0))
    created = await api.ok(await extraordinary(api, plenary, called_by_motion_id=cited["id"]))
    path = f"/councils/meetings/{created['id']}"
    early = await api.client.patch(path, json={"starts_at": "2017-07-05T15:00:00"}, headers=api.city)
    refused(early, "body.called_by_motion_id", "resolution-after-meeting")
    dropped = await api.client.patch(path, json={"called_by_motion_id": None}, headers=api.city)
    refused(dropped, "body.called_by_motion_id", "resolution-required")
    entries = await api.history("meeting", created["id"])
    assert [e["action"] for e in entries] == ["create"]
    assert entries[0]["after"]["called_by_motion_id"] == cited["id"]


async def test_extraordinary_meetings_of_those_bodies_are_not_scheduled(api: Api) -> None:
    plenary, steering = await api.association()
    payload = {
        "kind": "extraordinary",
        "title": "x",
        "week_of_month": 4,
        "weekday": "thu",
        "start_time": "10:00",
        "valid_from": "2017-07-01",
    }
    for body in (steering, plenary):
        response = await api.client.post(
            f"/councils/bodies/{body['id']}/schedules", json=payload, headers=api.city
        )
        refused(response, "body.kind", "extraordinary-not-scheduled")
    council = await api.body()
    response = await api.client.post(
        f"/councils/bodies/{council['id']}/schedules", json=payload, headers=api.city
    )
    assert response.status_code == 201


async def test_who_may_record_is_unchanged(api: Api, auth: Callable[..., dict[str, str]]) -> None:
    _, steering, people = await association(api, 2)
    for role, district in (("citizen", None), ("district_officer", "11380"), ("secretariat", "11380")):
        response = await extraordinary(
            api, steering, headers=auth(role, district), requested_by=ids(people[:1])
        )
        assert_problem(response, 403)
    response = await extraordinary(api, steering, headers=auth("secretariat"), requested_by=ids(people))
    assert response.status_code == 201, response.text

"""Extraordinary meetings changed: the call is checked again when the date or the requesters change, and
recorded in the history; those of the steering committee and plenary are not scheduled; who may record."""

from collections.abc import Callable

from tests.conftest import assert_problem
from tests.councils.extraordinary import (
    association,
    extraordinary,
    ids,
    refused,
    seat,
    steering_motion,
)
from tests.councils.helpers import Api

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

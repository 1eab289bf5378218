"""Extraordinary meetings called otherwise: the plenary's by a passed resolution of its steering
committee (협치서울지역협의회 운영규정 제4조④); other bodies' as given; only extraordinary ones are called."""

import pytest

from tests.councils.extraordinary import (
    AT,
    DAY,
    association,
    districts,
    extraordinary,
    ids,
    refused,
    seat,
    steering_motion,
)
from tests.councils.helpers import Api, unique

# The plenary: by a passed resolution of its steering committee, held on or before the meeting's date.


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
    lead = await api.lead(plenary, next(districts))
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

"""Building extraordinary meetings for the tests: an association with seated steering members, a meeting
request, a steering committee's motion, and a refusal's check."""

from itertools import cycle
from typing import Any

import httpx

from shared.seoul import DISTRICT_CODES
from tests.conftest import assert_problem
from tests.councils.helpers import Api, attend, meeting, motion, unique

DAY = "2017-07-13"  # a Thursday
AT = f"{DAY}T10:00:00"
districts = cycle(sorted(DISTRICT_CODES))  # a fresh district per lead: at most 2 leads per district


async def seat(
    api: Api, plenary: dict[str, Any], steering: dict[str, Any], start: str = "2017-01-01", **fields: Any
) -> dict[str, Any]:
    """A communication lead of the plenary from 2017-01-01 with a steering seat from `start`."""
    person = await api.person()
    await api.lead(plenary, next(districts), person=person, start_date="2017-01-01")
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

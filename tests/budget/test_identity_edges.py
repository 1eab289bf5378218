"""Identity at its edges: a blank token subject is nobody; ballots are citizens' and enrolled voters'."""

import pytest

from shared.auth import Role
from tests.budget.conftest import Auth, Budget, create_election
from tests.conftest import assert_problem

STAFF = [role for role in Role if role != Role.citizen]
BLANK_SUBJECTS = ["", " ", "\t", " \n "]


def headers_for(auth: Auth, role: Role, subject: str) -> dict[str, str]:
    return auth(role, "11110" if role == Role.district_officer else None, subject=subject)


@pytest.mark.parametrize("subject", BLANK_SUBJECTS, ids=repr)
@pytest.mark.parametrize("role", list(Role))
async def test_a_blank_subject_cannot_write_in_any_role(
    api: Budget, auth: Auth, role: Role, subject: str
) -> None:
    body = {"name_ko": "2018년 시민참여예산", "fiscal_year": 2018}
    response = await api.client.post("/budget/cycles", json=body, headers=headers_for(auth, role, subject))
    assert "subject" in assert_problem(response, 401)["detail"]
    eid = (await create_election(api))["id"]
    ballot = await api.client.put(
        f"/budget/elections/{eid}/ballot",
        json={"project_ids": ["A"]},
        headers=headers_for(auth, role, subject),
    )
    assert_problem(ballot, 401)


async def test_a_one_character_subject_still_writes(api: Budget, auth: Auth) -> None:
    body = {"name_ko": "2018년 시민참여예산", "fiscal_year": 2018}
    response = await api.client.post("/budget/cycles", json=body, headers=auth("city_officer", subject="x"))
    assert response.status_code == 201, response.text
    eid = (await create_election(api))["id"]
    ballot = await api.client.put(
        f"/budget/elections/{eid}/ballot", json={"project_ids": ["A"]}, headers=auth("citizen", subject="x")
    )
    assert ballot.status_code == 200, ballot.text


@pytest.mark.parametrize("role", STAFF)
async def test_staff_off_the_roll_cannot_vote(api: Budget, auth: Auth, role: Role) -> None:
    eid = (await create_election(api))["id"]
    staff = headers_for(auth, role, f"{role.value}-1")
    problem = assert_problem(
        await api.client.put(f"/budget/elections/{eid}/ballot", json={"project_ids": ["A"]}, headers=staff),
        403,
    )
    assert problem["code"] == "not-a-voter"
    assert_problem(await api.client.get(f"/budget/elections/{eid}/ballot", headers=staff), 404)
    citizen = await api.client.put(
        f"/budget/elections/{eid}/ballot", json={"project_ids": ["A"]}, headers=auth("citizen", subject="c-1")
    )
    assert citizen.status_code == 200, citizen.text


@pytest.mark.parametrize("role", STAFF)
async def test_staff_on_a_voter_roll_vote_in_their_group(api: Budget, auth: Auth, role: Role) -> None:
    groups = [
        {"code": "citizens", "name_ko": "시민 투표", "weight": 50},
        {"code": "committee", "name_ko": "시민참여예산위원회", "weight": 40, "open": False},
    ]
    eid = (await create_election(api, voter_groups=groups))["id"]
    member, outsider = f"{role.value}-member", f"{role.value}-outsider"
    roll = {"voter_group": "committee", "subjects": [member]}
    await api.ok("POST", f"/budget/elections/{eid}/voter-roll", api.city, json=roll)
    url = f"/budget/elections/{eid}/ballot"
    enrolled = headers_for(auth, role, member)
    cast = await api.client.put(url, json={"project_ids": ["B"]}, headers=enrolled)
    assert cast.status_code == 200, cast.text
    assert cast.json()["voter_group"] == "committee"
    assert (await api.client.get(url, headers=enrolled)).json()["project_ids"] == ["B"]
    # Enrolled in the committee, not in the open citizens' group: staff never vote there.
    wrong = await api.client.put(
        url, json={"project_ids": ["B"], "voter_group": "citizens"}, headers=enrolled
    )
    assert assert_problem(wrong, 403)["code"] == "not-eligible"
    off_roll = await api.client.put(
        url, json={"project_ids": ["B"]}, headers=headers_for(auth, role, outsider)
    )
    assert assert_problem(off_roll, 403)["code"] == "not-a-voter"

import asyncio
import csv
from collections import Counter

import httpx

from tests.conftest import SHARED_DIR, assert_problem, require_shared
from tests.evaluation.conftest import EUNPYEONG, GANGBUK, Auth, Evaluation

PLATFORMS = SHARED_DIR / "data" / "seoul_2017" / "civic_platforms.csv"
STAFF = ("city_officer", "secretariat", "evaluator", "auditor", "admin")


async def test_city_officers_add_targets_as_references(api: Evaluation, auth: Auth) -> None:
    cycle_id = await api.cycle()
    body = {"organization_id": 7, "district_code": EUNPYEONG, "round": 1, "grant_id": 42}
    url = f"/evaluation/cycles/{cycle_id}/targets"
    assert_problem(await api.client.post(url, json=body), 401)
    assert_problem(await api.client.post(url, json=body, headers=auth("evaluator")), 403)
    assert_problem(await api.client.post(url, json=body, headers=auth("district_officer", EUNPYEONG)), 403)
    created = await api.client.post(url, json=body, headers=api.city)
    assert created.status_code == 201, created.text
    target = created.json()
    assert {k: target[k] for k in ("organization_id", "district_code", "round", "grant_id", "status")} == {
        "organization_id": 7,
        "district_code": EUNPYEONG,
        "round": 1,
        "grant_id": 42,
        "status": "configuring",
    }
    assert target["weights"] == {"common": 0, "specific": 0, "total": 0}
    assert target["created_at"].endswith("+09:00")


async def test_staff_read_targets_citizens_and_anonymous_do_not(api: Evaluation, auth: Auth) -> None:
    cycle_id = await api.cycle()
    target = await api.target(cycle_id)
    for role in STAFF:
        response = await api.client.get(f"/evaluation/targets/{target['id']}", headers=auth(role))
        assert response.status_code == 200, (role, response.text)
    assert_problem(await api.client.get(f"/evaluation/targets/{target['id']}"), 401)
    assert_problem(await api.client.get(f"/evaluation/targets/{target['id']}", headers=auth("citizen")), 403)
    listing = f"/evaluation/cycles/{cycle_id}/targets"
    assert_problem(await api.client.get(listing, headers=auth("district_officer", EUNPYEONG)), 403)


async def test_targets_are_listed_by_cursor_and_round(api: Evaluation, auth: Auth) -> None:
    cycle_id = await api.cycle()
    made = [await api.target(cycle_id, round=1 + i % 2) for i in range(5)]
    url = f"/evaluation/cycles/{cycle_id}/targets"
    headers = auth("auditor")
    first = (await api.client.get(url, params={"limit": 2}, headers=headers)).json()
    second = (
        await api.client.get(url, params={"limit": 2, "cursor": first["next_cursor"]}, headers=headers)
    ).json()
    third = (
        await api.client.get(url, params={"limit": 2, "cursor": second["next_cursor"]}, headers=headers)
    ).json()
    ids = [t["id"] for page in (first, second, third) for t in page["items"]]
    assert ids == [t["id"] for t in made]
    assert third["next_cursor"] is None
    round_two = (await api.client.get(url, params={"round": 2}, headers=headers)).json()["items"]
    assert [t["id"] for t in round_two] == [made[1]["id"], made[3]["id"]]
    assert_problem(await api.client.get(url, params={"round": 3}, headers=headers), 422, "query.round")
    assert_problem(await api.client.get(url, params={"cursor": "%%%"}, headers=headers), 400, "query.cursor")


async def test_bad_target_input_names_the_field(api: Evaluation) -> None:
    cycle_id = await api.cycle()
    url = f"/evaluation/cycles/{cycle_id}/targets"
    good = {"organization_id": 7, "district_code": EUNPYEONG, "round": 1}
    cases = [
        ({**good, "district_code": "11999"}, "body.district_code"),  # five digits, not a Seoul district
        ({**good, "district_code": "1138"}, "body.district_code"),
        ({**good, "round": 0}, "body.round"),
        ({**good, "round": 3}, "body.round"),
        ({**good, "organization_id": 0}, "body.organization_id"),
        ({**good, "grant_id": 0}, "body.grant_id"),
        ({**good, "name_ko": "복사본"}, "body.name_ko"),  # councils' data is referenced, never copied
    ]
    for body, field in cases:
        assert_problem(await api.client.post(url, json=body, headers=api.city), 422, field)
    assert_problem(
        await api.client.post("/evaluation/cycles/99999/targets", json=good, headers=api.city), 404
    )
    assert (await api.client.post(url, json={**good, "round": 2}, headers=api.city)).status_code == 201


async def test_an_organisation_is_a_target_once_per_cycle(api: Evaluation) -> None:
    cycle_id, other_cycle = await api.cycle(), await api.cycle()
    await api.target(cycle_id, organization_id=7)
    body = {"organization_id": 7, "district_code": GANGBUK, "round": 2}
    again = await api.client.post(f"/evaluation/cycles/{cycle_id}/targets", json=body, headers=api.city)
    assert assert_problem(again, 409, "body.organization_id")["code"] == "target-exists"
    await api.target(other_cycle, organization_id=7)


async def test_racing_additions_of_one_organisation_leave_one_target(committing: Evaluation) -> None:
    api = committing
    cycle_id = await api.cycle()
    body = {"organization_id": 4242, "district_code": EUNPYEONG, "round": 1}
    url = f"/evaluation/cycles/{cycle_id}/targets"
    responses: list[httpx.Response] = await asyncio.gather(
        *[api.client.post(url, json=body, headers=api.city) for _ in range(8)]
    )
    assert Counter(r.status_code for r in responses) == {201: 1, 409: 7}
    for response in responses:
        if response.status_code == 409:
            assert_problem(response, 409, "body.organization_id")
    listed = await api.client.get(url, headers=api.city)
    assert len(listed.json()["items"]) == 1


async def test_the_nine_2017_platforms_become_targets_in_their_chosen_rounds(
    api: Evaluation, auth: Auth
) -> None:
    """Seed 004: 은평, 강북, 동대문 chose round 1; the six others round 2."""
    rows = list(csv.DictReader(require_shared(PLATFORMS).read_text(encoding="utf-8").splitlines()))
    cycle_id = await api.cycle()
    for organization_id, row in enumerate(rows, start=1):  # stand-ins for the consortia's councils ids
        await api.target(
            cycle_id,
            round=int(row["evaluation_round"]),
            district=row["district_code"],
            organization_id=organization_id,
        )
    url = f"/evaluation/cycles/{cycle_id}/targets"
    by_round: dict[int, set[str]] = {}
    for round in (1, 2):
        listed = await api.client.get(url, params={"round": round}, headers=auth("auditor"))
        by_round[round] = {t["district_code"] for t in listed.json()["items"]}
    assert by_round[1] == {"11380", "11305", "11230"}
    assert len(by_round[2]) == 6 and not by_round[1] & by_round[2]

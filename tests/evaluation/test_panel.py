"""The panel of a cycle's round: appointment by city officers, replacement with a reason, staff reads."""

import asyncio
from collections import Counter

import httpx
import pytest

from tests.conftest import assert_problem
from tests.evaluation.conftest import Auth, Evaluation
from tests.evaluation.panel import scene


async def test_a_panel_of_eight_officials_and_experts_is_appointed_and_read_by_staff(
    api: Evaluation, auth: Auth
) -> None:
    s = await scene(api)
    subjects = [f"official-{i}" for i in range(3)] + [f"expert-{i}" for i in range(5)]
    for subject in subjects:
        await s.appoint(subject)
    first = s.members["expert-0"]
    assert (first["name_ko"], first["rater_type"], first["active"]) == ("위원 expert-0", "expert", True)
    url = f"/evaluation/cycles/{s.cycle_id}/rounds/1/panel"
    seen: list[str] = []
    cursor = None
    while True:
        page = await api.client.get(
            url, params={"limit": 3, **({"cursor": cursor} if cursor else {})}, headers=auth("auditor")
        )
        assert page.status_code == 200, page.text
        seen += [m["subject"] for m in page.json()["items"]]
        if not (cursor := page.json()["next_cursor"]):
            break
    assert seen == subjects
    counts = Counter(s.members[x]["rater_type"] for x in subjects)
    assert counts == {"official": 3, "expert": 5}
    for role in ("city_officer", "secretariat", "evaluator", "auditor"):
        assert (await api.client.get(url, headers=auth(role))).status_code == 200
    assert_problem(await api.client.get(url, headers=s.agency()), 403)
    assert_problem(await api.client.get(url, headers=auth("citizen")), 403)
    assert_problem(await api.client.get(url), 401)
    assert (await api.client.get(f"/evaluation/cycles/{s.cycle_id}/rounds/2/panel", headers=api.city)).json()[
        "items"
    ] == []


async def test_only_city_officers_appoint_and_bad_input_names_the_field(api: Evaluation, auth: Auth) -> None:
    cycle_id = await api.cycle()
    url = f"/evaluation/cycles/{cycle_id}/rounds/1/panel"
    good = {"subject": "expert-a", "name_ko": "김평가", "rater_type": "expert"}
    for role in ("evaluator", "auditor", "secretariat"):
        assert_problem(await api.client.post(url, json=good, headers=auth(role)), 403)
    tie = {"organization_id": 5, "reason": "이사"}
    cases = [
        ({**good, "rater_type": "citizen"}, "body.rater_type"),
        ({**good, "subject": "  "}, "body.subject"),
        ({**good, "name_ko": ""}, "body.name_ko"),
        ({**good, "ties": [{"organization_id": 0, "reason": "x"}]}, "body.ties.0.organization_id"),
        ({**good, "ties": [{"organization_id": 5, "reason": " "}]}, "body.ties.0.reason"),
        ({**good, "ties": [tie, tie]}, "body.ties.1.organization_id"),
    ]
    for body, field in cases:
        assert_problem(await api.client.post(url, json=body, headers=api.city), 422, field)
    assert_problem(
        await api.client.post(f"/evaluation/cycles/{cycle_id}/rounds/3/panel", json=good, headers=api.city),
        422,
        "path.round",
    )
    assert_problem(
        await api.client.post("/evaluation/cycles/99999/rounds/1/panel", json=good, headers=api.city), 404
    )
    assert (await api.client.post(url, json=good, headers=api.city)).status_code == 201
    again = await api.client.post(url, json={**good, "name_ko": "다른 이름"}, headers=api.city)
    assert assert_problem(again, 409, "body.subject")["code"] == "panel-member-exists"
    # The same rater may sit on the other round's panel.
    other = f"/evaluation/cycles/{cycle_id}/rounds/2/panel"
    assert (await api.client.post(other, json=good, headers=api.city)).status_code == 201


async def test_a_replacement_needs_a_reason_and_keeps_both_on_record(api: Evaluation, auth: Auth) -> None:
    s = await scene(api)
    old = await s.appoint("expert-old", ties=[77])
    url = f"/evaluation/panel-members/{old['id']}/replace"
    new = {"subject": "expert-new", "name_ko": "박교체", "rater_type": "expert"}
    assert_problem(await api.client.post(url, json=new, headers=api.city), 422, "body.reason")
    assert_problem(
        await api.client.post(url, json={**new, "reason": "  "}, headers=api.city), 422, "body.reason"
    )
    assert_problem(await api.client.post(url, json={**new, "reason": "사임"}, headers=auth("evaluator")), 403)
    replaced = await api.client.post(url, json={**new, "reason": "개인 사정으로 사임"}, headers=api.city)
    assert replaced.status_code == 201, replaced.text
    body = replaced.json()
    assert (body["replaced_member_id"], body["replaced_reason"], body["active"]) == (
        old["id"],
        "개인 사정으로 사임",
        True,
    )
    before = await api.client.get(f"/evaluation/panel-members/{old['id']}", headers=auth("auditor"))
    assert (before.json()["active"], before.json()["replaced_by_id"]) == (False, body["id"])
    assert [t["organization_id"] for t in before.json()["ties"]] == [77]
    again = await api.client.post(url, json={**new, "subject": "expert-3", "reason": "또"}, headers=api.city)
    assert assert_problem(again, 409, "path.member_id")["code"] == "panel-member-inactive"
    history = await api.client.get(
        "/evaluation/history",
        params={"table": "panel_members", "record_id": str(old["id"])},
        headers=auth("auditor"),
    )
    assert history.status_code == 200, history.text
    updates = [h for h in history.json()["items"] if h["action"] == "update"]
    assert updates[-1]["reason"] == "개인 사정으로 사임" and updates[-1]["after"]["active"] is False
    assert_problem(await api.client.get("/evaluation/panel-members/999999", headers=api.city), 404)


async def test_ties_are_declared_and_removed_by_city_officers(api: Evaluation, auth: Auth) -> None:
    s = await scene(api)
    member = await s.appoint("expert-t")
    url = f"/evaluation/panel-members/{member['id']}/ties"
    tie = {"organization_id": 31, "reason": "자문위원 (2016–2017)"}
    assert_problem(await api.client.post(url, json=tie, headers=auth("evaluator")), 403)
    added = await api.client.post(url, json=tie, headers=api.city)
    assert added.status_code == 201 and added.json()["ties"][0]["reason"] == "자문위원 (2016–2017)"
    assert assert_problem(await api.client.post(url, json=tie, headers=api.city), 409, "body.organization_id")
    removed = await api.client.delete(f"{url}/31", headers=api.city)
    assert removed.status_code == 200 and removed.json()["ties"] == []
    assert_problem(await api.client.delete(f"{url}/31", headers=api.city), 404, "path.organization_id")


@pytest.mark.parametrize("attempts", [8])
async def test_racing_appointments_of_one_subject_leave_one_member(
    committing: Evaluation, attempts: int
) -> None:
    api = committing
    cycle_id = await api.cycle()
    url = f"/evaluation/cycles/{cycle_id}/rounds/1/panel"
    body = {"subject": "expert-race", "name_ko": "경합", "rater_type": "expert"}
    responses: list[httpx.Response] = await asyncio.gather(
        *[api.client.post(url, json=body, headers=api.city) for _ in range(attempts)]
    )
    assert Counter(r.status_code for r in responses) == {201: 1, 409: attempts - 1}
    listed = await api.client.get(url, headers=api.city)
    assert [m["subject"] for m in listed.json()["items"]] == ["expert-race"]

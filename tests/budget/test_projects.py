"""Funded projects after selection: created once from the published outcome; milestones, weights, timeline."""

import asyncio
from typing import Any

from tests.budget.conftest import Budget, create_election
from tests.budget.funded import funded, published_election, running
from tests.conftest import assert_problem


async def test_a_published_elections_selected_projects_become_funded_projects_once(api: Budget) -> None:
    election = await published_election(api)
    url = f"/budget/elections/{election['id']}/projects"
    first = await api.client.post(url, json={}, headers=api.city)
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["created"] == 3
    projects = {p["election_project_id"]: p for p in body["items"]}
    assert sorted(projects) == ["A", "C", "D"]
    a = projects["A"]
    assert a["district_code"] == "11110" and a["title_ko"] == "도서관" and a["status"] == "planned"
    assert a["budget_krw"] == a["approved_budget_krw"] == 600_000 and isinstance(a["budget_krw"], int)
    again = await api.client.post(url, json={}, headers=api.city)
    assert again.status_code == 200 and again.json()["created"] == 0
    assert [p["id"] for p in again.json()["items"]] == [p["id"] for p in body["items"]]
    detail = (await api.client.get(f"/budget/projects/{a['id']}")).json()  # anonymous
    assert [(line["name_ko"], line["amount_krw"]) for line in detail["lines"]] == [("사업비", 600_000)]
    assert detail["spent_krw"] == 0 and detail["remaining_krw"] == 600_000 and detail["progress"] == 0
    listed = (await api.client.get("/budget/projects", params={"election_id": election["id"]})).json()
    assert [p["id"] for p in listed["items"]] == [p["id"] for p in body["items"]]


async def test_budget_lines_must_add_up_to_the_cost(api: Budget) -> None:
    election = await published_election(api)
    url = f"/budget/elections/{election['id']}/projects"
    lines = {"A": [{"name_ko": "공사비", "amount_krw": 500_000}, {"name_ko": "설계비", "amount_krw": 99_999}]}
    problem = assert_problem(await api.client.post(url, json={"lines": lines}, headers=api.city), 422)
    assert problem["code"] == "lines-do-not-add-up" and problem["errors"][0]["field"] == "body.lines.A"
    assert "500,000 + 99,999 = 599,999" in problem["detail"]
    unknown = {"B": [{"name_ko": "공사비", "amount_krw": 500_000}]}
    assert_problem(await api.client.post(url, json={"lines": unknown}, headers=api.city), 422, "body.lines.B")
    lines["A"][1]["amount_krw"] = 100_000
    created = await api.ok("POST", url, api.city, json={"lines": lines})
    a = next(p for p in created["items"] if p["election_project_id"] == "A")
    detail = (await api.client.get(f"/budget/projects/{a['id']}")).json()
    assert [line["amount_krw"] for line in detail["lines"]] == [500_000, 100_000] and detail[
        "budget_krw"
    ] == 600_000


async def test_projects_need_a_published_district_election_and_a_city_officer(api: Budget) -> None:
    envelope = await api.envelope(1_000_000)
    open_election = await create_election(api, envelope_id=envelope["id"], budget_krw=None)
    url = f"/budget/elections/{open_election['id']}/projects"
    assert assert_problem(await api.client.post(url, json={}, headers=api.city), 409)["code"] == (
        "election-not-published"
    )
    assert_problem(await api.client.post(url, json={}, headers=api.officer), 403)
    assert_problem(await api.client.post(url, json={}), 401)
    city_wide = await create_election(api)  # no envelope: no district
    await api.ok("POST", f"/budget/elections/{city_wide['id']}/close", api.city)
    await api.ok("POST", f"/budget/elections/{city_wide['id']}/publish", api.city)
    problem = assert_problem(
        await api.client.post(f"/budget/elections/{city_wide['id']}/projects", json={}, headers=api.city), 422
    )
    assert (
        problem["code"] == "election-without-district" and problem["errors"][0]["field"] == "path.election_id"
    )
    assert_problem(await api.client.post("/budget/elections/999999/projects", json={}, headers=api.city), 404)


async def milestone(api: Budget, project_id: int, weight: int, headers: dict[str, str] | None = None) -> Any:
    body = {"title_ko": f"단계 {weight}", "due_on": "2018-09-30", "weight": weight}
    return await api.client.post(
        f"/budget/projects/{project_id}/milestones", json=body, headers=headers or api.officer
    )


async def report(api: Budget, project_id: int, milestone_id: int, status: str, **body: Any) -> Any:
    url = f"/budget/projects/{project_id}/milestones/{milestone_id}/status"
    return await api.client.post(url, json={"status": status, **body}, headers=api.officer)


async def test_weights_sum_to_100_before_progress_is_reported(api: Budget) -> None:
    project = (await funded(api))["A"]
    pid = project["id"]
    await running(api, pid)
    first = (await milestone(api, pid, 60)).json()
    second = (await milestone(api, pid, 39)).json()  # 99
    problem = assert_problem(await report(api, pid, first["id"], "done"), 422, "path.milestone_id")
    assert problem["code"] == "weights-incomplete" and problem["weights_total"] == 99
    over = assert_problem(await milestone(api, pid, 2), 422, "body.weight")  # 101
    assert (
        over["code"] == "weights-over-100"
        and "60 + 39" not in over["detail"]
        and "99 + 2 = 101" in over["detail"]
    )
    last = await milestone(api, pid, 1)  # exactly 100
    assert last.status_code == 201, last.text
    started = await report(api, pid, first["id"], "in_progress")
    assert started.status_code == 200 and started.json()["progress"] == 0
    done = (await report(api, pid, first["id"], "done", done_on="2018-06-01")).json()
    assert done["progress"] == 60 and done["weights_total"] == 100
    assert_problem(await report(api, pid, first["id"], "in_progress"), 409)
    early = await api.client.post(
        f"/budget/projects/{pid}/status", json={"status": "done"}, headers=api.officer
    )
    assert assert_problem(early, 422, "body.status")["code"] == "progress-incomplete"
    await report(api, pid, second["id"], "done")
    await report(api, pid, last.json()["id"], "done")
    finished = await api.ok("POST", f"/budget/projects/{pid}/status", api.officer, json={"status": "done"})
    assert finished["status"] == "done" and finished["progress"] == 100
    assert_problem(await milestone(api, pid, 1), 409)


async def test_only_the_projects_district_manages_it(api: Budget) -> None:
    pid = (await funded(api))["C"]["id"]
    other = api.auth("district_officer", "11140", subject="junggu-officer")
    problem = assert_problem(
        await api.client.post(
            f"/budget/projects/{pid}/status", json={"status": "in_progress"}, headers=other
        ),
        403,
    )
    assert problem["code"] == "not-your-district" and problem["district_code"] == "11110"
    assert_problem(await milestone(api, pid, 10, other), 403)
    assert_problem(await milestone(api, pid, 10, api.citizen), 403)
    korean = await api.client.post(
        f"/budget/projects/{pid}/status",
        json={"status": "in_progress"},
        headers={**other, "Accept-Language": "ko"},
    )
    assert korean.json()["title"] == "다른 자치구의 사업" and "11110 자치구" in korean.json()["detail"]


async def test_the_timeline_records_every_change_with_actor_and_progress(api: Budget) -> None:
    pid = (await funded(api))["D"]["id"]
    await running(api, pid)
    m = (await milestone(api, pid, 100)).json()
    await report(api, pid, m["id"], "done", reason="준공")
    assert_problem(
        await api.client.post(
            f"/budget/projects/{pid}/status", json={"status": "planned"}, headers=api.officer
        ),
        409,
    )
    timeline = (await api.client.get(f"/budget/projects/{pid}/timeline")).json()["items"]
    steps = [(e["kind"], e["from_status"], e["to_status"], e["progress"], e["actor"]) for e in timeline]
    assert steps == [
        ("project", None, "planned", 0, "city-officer-1"),
        ("project", "planned", "in_progress", 0, "jongno-officer"),
        ("milestone", None, "planned", 0, "jongno-officer"),
        ("milestone", "planned", "done", 100, "jongno-officer"),
    ]
    assert timeline[-1]["reason"] == "준공" and timeline[-1]["at"].endswith("+09:00")
    page = (await api.client.get(f"/budget/projects/{pid}/timeline", params={"limit": 3})).json()
    rest = (
        await api.client.get(f"/budget/projects/{pid}/timeline", params={"cursor": page["next_cursor"]})
    ).json()
    assert [e["id"] for e in page["items"] + rest["items"]] == [e["id"] for e in timeline]


async def test_racing_milestones_never_pass_100(committing: Budget) -> None:
    api = committing
    pid = (await funded(api))["A"]["id"]
    responses = await asyncio.gather(*(milestone(api, pid, 30) for _ in range(6)))
    assert sorted(r.status_code for r in responses) == [201] * 3 + [422] * 3, [r.text for r in responses]
    assert (await api.client.get(f"/budget/projects/{pid}")).json()["weights_total"] == 90

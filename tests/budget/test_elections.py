import asyncio
import hashlib
import hmac
import random
from typing import Any

import asyncpg

from shared.settings import plain_url
from tests.budget.conftest import PROJECTS, Auth, Budget, create_election, window
from tests.conftest import Database, assert_problem


async def cast(api: Budget, election_id: int, headers: dict[str, str], **body: Any) -> Any:
    return await api.client.put(f"/budget/elections/{election_id}/ballot", json=body, headers=headers)


async def test_a_citizen_casts_and_replaces_a_ballot(api: Budget, auth: Auth) -> None:
    election = await create_election(api, ballot={"type": "approval", "max_length": 3})
    assert election["status"] == "open" and [p["project_id"] for p in election["projects"]] == list("ABCD")
    assert election["voter_groups"] == [{"code": "citizens", "name_ko": "시민", "weight": 1, "open": True}]
    assert election["opens_at"].endswith("+09:00") and election["budget"] == 1_000_000
    eid = election["id"]
    first = await cast(api, eid, api.citizen, project_ids=["C", "A"])
    assert first.status_code == 200, first.text
    assert first.json()["project_ids"] == ["A", "C"] and first.json()["revision"] == 1
    second = (await cast(api, eid, api.citizen, project_ids=["D"])).json()
    assert second["project_ids"] == ["D"] and second["revision"] == 2 and second["voter_group"] == "citizens"
    mine = await api.client.get(f"/budget/elections/{eid}/ballot", headers=api.citizen)
    assert mine.json()["project_ids"] == ["D"]
    other = auth("citizen", subject="citizen-2")
    assert_problem(await api.client.get(f"/budget/elections/{eid}/ballot", headers=other), 404)


async def test_bad_ballots_get_precise_problems(api: Budget, auth: Auth) -> None:
    eid = (await create_election(api, ballot={"type": "approval", "min_length": 1, "max_length": 2}))["id"]
    cases = [
        ({"project_ids": ["A", "B", "C"]}, "too-many-projects", "body.project_ids"),
        ({"project_ids": []}, "too-few-projects", "body.project_ids"),
        ({"project_ids": ["A", "Z"]}, "unknown-project", "body.project_ids"),
        ({"project_ids": ["A", "A"]}, "duplicate-project", "body.project_ids"),
        ({"project_ids": ["A"], "points": [1]}, "points-mismatch", "body.points"),
        ({"project_ids": ["A"], "voter_group": "nobody"}, "unknown-voter-group", "body.voter_group"),
    ]
    for body, code, field in cases:
        problem = assert_problem(await cast(api, eid, api.citizen, **body), 422, field=field)
        assert problem["code"] == code, (body, problem)
    assert (
        "no project Z" in assert_problem(await cast(api, eid, api.citizen, project_ids=["Z"]), 422)["detail"]
    )
    assert_problem(await cast(api, eid, api.citizen, project_ids="A"), 422, field="body.project_ids")
    assert_problem(await cast(api, eid, {}, project_ids=["A"]), 401)
    assert_problem(await cast(api, eid, api.city, project_ids=["A"]), 403)
    assert_problem(await cast(api, 999_999, api.citizen, project_ids=["A"]), 404, field="path.election_id")
    assert_problem(await api.client.get(f"/budget/elections/{eid}/ballot", headers=api.citizen), 404)


async def test_knapsack_and_cumulative_limits(api: Budget) -> None:
    knapsack = (await create_election(api, ballot={"type": "knapsack"}))["id"]
    assert (
        await cast(api, knapsack, api.citizen, project_ids=["A", "C", "D"])
    ).status_code == 200  # 1,000,000
    problem = assert_problem(await cast(api, knapsack, api.citizen, project_ids=["A", "B"]), 422)
    assert problem["code"] == "over-budget" and "1,100,000" in problem["detail"]
    capped = (await create_election(api, ballot={"type": "approval", "max_total_cost_krw": 700_000}))["id"]
    assert_problem(await cast(api, capped, api.citizen, project_ids=["A", "D", "C"]), 422, "body.project_ids")
    cumulative = (await create_election(api, ballot={"type": "cumulative", "max_points": 10}))["id"]
    ok = await cast(api, cumulative, api.citizen, project_ids=["B", "A"], points=[3, 7])
    assert ok.json()["project_ids"] == ["A", "B"] and ok.json()["points"] == [7, 3]
    for body, code in (
        ({"project_ids": ["A", "B"], "points": [6, 5]}, "too-many-points"),
        ({"project_ids": ["A", "B"], "points": [6]}, "points-mismatch"),
        ({"project_ids": ["A"]}, "points-mismatch"),
        ({"project_ids": ["A"], "points": [0]}, "points-mismatch"),
    ):
        problem = assert_problem(await cast(api, cumulative, api.citizen, **body), 422, field="body.points")
        assert problem["code"] == code
    body = {"name_ko": "x", "budget_krw": 1, "projects": [], **window(), "ballot": {"type": "cumulative"}}
    assert_problem(await api.client.post("/budget/elections", json=body, headers=api.city), 422)


async def test_closed_and_future_elections_refuse_ballots(api: Budget) -> None:
    past = (await create_election(api, **window(hours_before=2, hours_after=-1)))["id"]
    problem = assert_problem(await cast(api, past, api.citizen, project_ids=["A"]), 409)
    assert problem["code"] == "election-closed"
    future = (await create_election(api, **window(hours_before=-1, hours_after=2)))["id"]
    assert (
        assert_problem(await cast(api, future, api.citizen, project_ids=["A"]), 409)["code"]
        == "election-not-open"
    )
    open_now = (await create_election(api))["id"]
    assert (await cast(api, open_now, api.citizen, project_ids=["A"])).status_code == 200
    closed = await api.ok("POST", f"/budget/elections/{open_now}/close", api.city)
    assert closed["status"] == "closed"
    assert (
        assert_problem(await cast(api, open_now, api.citizen, project_ids=["B"]), 409)["code"]
        == "election-closed"
    )
    assert_problem(await api.client.post(f"/budget/elections/{open_now}/close", headers=api.city), 409)


async def test_weighted_voter_groups_and_the_voter_roll(api: Budget, auth: Auth) -> None:
    groups = [
        {"code": "citizens", "name_ko": "시민 투표", "weight": 50},
        {"code": "committee", "name_ko": "시민참여예산위원회", "weight": 40, "open": False},
        {"code": "school", "name_ko": "예산학교", "weight": 10, "open": False},
    ]
    projects = [
        {"project_id": "A", "name": "a", "cost_krw": 600_000},
        {"project_id": "B", "name": "b", "cost_krw": 600_000},
    ]
    eid = (await create_election(api, voter_groups=groups, projects=projects))["id"]
    roll = {"voter_group": "committee", "subjects": ["member-1"]}
    assert (await api.ok("POST", f"/budget/elections/{eid}/voter-roll", api.city, json=roll))["added"] == 1
    citizens = [auth("citizen", subject=f"c{i}") for i in range(4)]
    for headers, choice in zip(citizens, ["A", "A", "A", "B"], strict=True):
        assert (await cast(api, eid, headers, project_ids=[choice])).json()["voter_group"] == "citizens"
    member = auth("citizen", subject="member-1")
    assert (await cast(api, eid, member, project_ids=["B"])).json()["voter_group"] == "committee"
    assert_problem(await cast(api, eid, member, project_ids=["B"], voter_group="citizens"), 403)
    problem = assert_problem(await cast(api, eid, citizens[0], project_ids=["A"], voter_group="school"), 403)
    assert problem["code"] == "not-eligible"
    # Raw counts favour A (3 to 2); the weights favour B: 50·1/4 + 40·1/1 = 52.5 against 50·3/4 = 37.5.
    outcome = (await api.client.get(f"/budget/elections/{eid}/outcome", headers=api.city)).json()
    assert outcome["selected"] == ["B"], outcome
    scores = {p["project_id"]: (p["votes"], p["score"]) for p in outcome["projects"]}
    assert scores == {"A": (3, "37.5"), "B": (2, "52.5")}
    mes = (await api.client.get(f"/budget/elections/{eid}/outcome?rule=mes-add1", headers=api.city)).json()
    assert mes["selected"] == ["B"]


async def test_results_are_public_only_once_published(api: Budget, auth: Auth) -> None:
    election = await create_election(api, ballot={"type": "approval", "max_length": 2})
    eid = election["id"]
    for i, ballot in enumerate([["A"], ["A", "B"], ["B", "C"], ["C", "D"], ["C"]]):
        assert (await cast(api, eid, auth("citizen", subject=f"v{i}"), project_ids=ballot)).status_code == 200
    url = f"/budget/elections/{eid}/outcome"
    assert assert_problem(await api.client.get(url), 403)["code"] == "results-not-published"
    assert_problem(await api.client.get(url, headers=api.citizen), 403)
    assert_problem(await api.client.get(f"/budget/elections/{eid}/export.pb"), 403)
    outcome = (await api.client.get(url, headers=auth("auditor"))).json()
    # C has 3 votes; A and B 2 each, the tie broken by cost (B is cheaper); then A no longer fits; D does.
    assert outcome["selected"] == ["C", "B", "D"] and outcome["n_ballots"] == 5
    why = {p["project_id"]: p["explanation"] for p in outcome["projects"]}
    assert why["A"].startswith("skipped") and outcome["tie_break"] == ["score_desc", "cost_asc", "file_order"]
    again = (await api.client.get(url, headers=api.city)).json()
    assert again["id"] == outcome["id"] and again["ballot_digest"] == outcome["ballot_digest"]
    other_rule = (await api.client.get(url + "?rule=greedy-no-skip", headers=api.city)).json()
    assert other_rule["id"] != outcome["id"] and other_rule["selected"] == ["C", "B"]
    assert_problem(
        await api.client.get(url + "?rule=greedy-threshold", headers=api.city), 422, "query.threshold"
    )
    above = (await api.client.get(url + "?rule=greedy-threshold&threshold=3", headers=api.city)).json()
    assert above["selected"] == ["C"] and above["params"] == {"threshold": 3}
    assert_problem(await api.client.get(url + "?rule=borda", headers=api.city), 422, "query.rule")
    assert_problem(await api.client.get(url + "?tie_break=luck", headers=api.city), 422, "query.tie_break")
    publish = f"/budget/elections/{eid}/publish"
    assert assert_problem(await api.client.post(publish, headers=api.city), 409)["code"] == "election-open"
    assert_problem(await api.client.post(publish, headers=api.officer), 403)
    await api.ok("POST", f"/budget/elections/{eid}/close", api.city)
    published = await api.ok("POST", publish, api.city)
    assert published["status"] == "published"
    assert (await api.client.get(url)).json()["selected"] == ["C", "B", "D"]
    assert_problem(await api.client.post(publish, headers=api.city), 409)


async def test_a_shortlist_election_decides_its_proposals(api: Budget, auth: Auth) -> None:
    envelope = await api.envelope(1_000_000)
    ids = []
    for amount in (600_000, 400_000, 300_000):  # 1,300,000: exactly the second screening's cap
        pid = await api.accepted(envelope, amount)
        assert (await api.shortlist(envelope["id"], 1, pid)).status_code == 200
        await api.through_deliberation(pid)
        await api.ok("POST", f"/budget/proposals/{pid}/revision", api.citizen, json={"amount_krw": amount})
        assert (await api.shortlist(envelope["id"], 2, pid)).status_code == 200
        ids.append(pid)
    election = await create_election(
        api, envelope_id=envelope["id"], from_shortlist=True, projects=[], budget_krw=None
    )
    assert [p["proposal_id"] for p in election["projects"]] == ids and election["budget"] == 1_000_000
    votes = [[ids[1]], [ids[1], ids[2]], [ids[0]]]
    for i, ballot in enumerate(votes):
        response = await cast(
            api, election["id"], auth("citizen", subject=f"s{i}"), project_ids=[str(p) for p in ballot]
        )
        assert response.status_code == 200, response.text
    await api.ok("POST", f"/budget/elections/{election['id']}/close", api.city)
    await api.ok("POST", f"/budget/elections/{election['id']}/publish", api.city)
    statuses = [(await api.client.get(f"/budget/proposals/{pid}")).json() for pid in ids]
    assert [p["status"] for p in statuses] == ["not_selected", "selected", "selected"]
    assert statuses[1]["transitions"][-1]["reason"].startswith(f"election {election['id']}")


async def test_racing_casts_leave_one_ballot_per_voter(
    committing: Budget, auth: Auth, committed_database: Database, budget_settings: Any
) -> None:
    api = committing
    eid = (await create_election(api, ballot={"type": "approval", "max_length": 3}))["id"]
    voter = auth("citizen", subject="racing-voter")
    choices = [sorted(random.sample("ABCD", random.randint(1, 3))) for _ in range(20)]
    responses = await asyncio.gather(*(cast(api, eid, voter, project_ids=c) for c in choices))
    assert [r.status_code for r in responses] == [200] * 20, [r.text for r in responses]
    assert sorted(r.json()["revision"] for r in responses) == list(range(1, 21))
    conn = await asyncpg.connect(plain_url(committed_database.service_urls["budget"]))
    try:
        rows = await conn.fetch("SELECT * FROM ballots WHERE election_id = $1", eid)
        assert len(rows) == 1 and rows[0]["revision"] == 20
        last = next(r.json() for r in responses if r.json()["revision"] == 20)
        assert list(rows[0]["project_ids"]) == last["project_ids"]
        secret = budget_settings.voter_hash_secret.get_secret_value().encode()
        assert (
            rows[0]["voter_hash"] == hmac.new(secret, f"{eid}:racing-voter".encode(), hashlib.sha256).digest()
        )
        assert "racing-voter" not in repr(dict(rows[0]))
        # The database refuses what the API would: an unknown project, and a ballot after the close.
        bad_hash = b"x" * 32
        try:
            await conn.execute(
                "INSERT INTO ballots (election_id, voter_hash, voter_group, project_ids)"
                " VALUES ($1, $2, 'citizens', $3)",
                eid,
                bad_hash,
                ["Z"],
            )
            raise AssertionError("an unknown project got in")
        except asyncpg.RaiseError as exc:
            assert "has no project Z" in str(exc)
        await api.ok("POST", f"/budget/elections/{eid}/close", api.city)
        try:
            await conn.execute("UPDATE ballots SET project_ids = '{A}' WHERE election_id = $1", eid)
            raise AssertionError("a ballot changed after the close")
        except asyncpg.RaiseError as exc:
            assert "not open" in str(exc)
        outcome = (await api.client.get(f"/budget/elections/{eid}/outcome", headers=api.city)).json()
        try:
            await conn.execute("UPDATE outcomes SET selected = '{}' WHERE id = $1", outcome["id"])
            raise AssertionError("an outcome changed")
        except asyncpg.RaiseError as exc:
            assert "immutable" in str(exc)
    finally:
        await conn.close()
    mine = (await api.client.get(f"/budget/elections/{eid}/ballot", headers=voter)).json()
    assert mine["revision"] == 20


async def test_one_election_per_envelope(api: Budget) -> None:
    """An envelope's election is its final vote (screenings are shortlists, not elections): there is one."""
    envelope = await api.envelope(1_000_000)
    first = await create_election(api, envelope_id=envelope["id"], budget_krw=None)
    assert first["envelope_id"] == envelope["id"] and first["budget"] == 1_000_000
    for fields in ({}, {"from_shortlist": True, "projects": []}):
        response = await api.client.post(
            "/budget/elections",
            json={
                "name_ko": "다시",
                "envelope_id": envelope["id"],
                "projects": PROJECTS,
                **window(),
                **fields,
            },
            headers=api.city,
        )
        problem = assert_problem(response, 409, field="body.envelope_id")
        assert problem["code"] == "envelope-has-election"
        assert problem["detail"].startswith(f"envelope {envelope['id']} already has election {first['id']}")
    other = await api.envelope(1_000_000, track="governance")
    assert (await create_election(api, envelope_id=other["id"]))["envelope_id"] == other["id"]
    unknown = await api.client.post(
        "/budget/elections",
        json={"name_ko": "없음", "envelope_id": 999_999, "projects": PROJECTS, **window()},
        headers=api.city,
    )
    assert assert_problem(unknown, 404, field="body.envelope_id")["code"] == "envelope-not-found"
    without = [await create_election(api) for _ in range(2)]
    assert [e["envelope_id"] for e in without] == [None, None]


async def test_racing_elections_for_one_envelope_leave_one(
    committing: Budget, committed_database: Database
) -> None:
    api = committing
    envelope = await api.envelope(1_000_000)
    body = {"name_ko": "경합", "envelope_id": envelope["id"], "projects": PROJECTS, **window()}
    responses = await asyncio.gather(
        *(api.client.post("/budget/elections", json=body, headers=api.city) for _ in range(10))
    )
    assert sorted(r.status_code for r in responses) == [201] + [409] * 9, [r.text for r in responses]
    for response in responses:
        if response.status_code == 409:
            problem = assert_problem(response, 409, field="body.envelope_id")
            assert problem["code"] == "envelope-has-election"
    conn = await asyncpg.connect(plain_url(committed_database.service_urls["budget"]))
    try:
        assert (
            await conn.fetchval("SELECT count(*) FROM elections WHERE envelope_id = $1", envelope["id"]) == 1
        )
        # A creation that passed the service's check waits on the index for an uncommitted election, and
        # gets the same problem once that commits.
        later = await api.envelope(1_000_000)
        insert = (
            "INSERT INTO elections (envelope_id, name_ko, source, ballot_type, budget, opens_at, closes_at,"
            " created_by) VALUES ($1, '직접', 'native', 'approval', 1, now(), now(), 'test') RETURNING id"
        )
        transaction = conn.transaction()
        await transaction.start()
        direct = await conn.fetchval(insert, later["id"])
        body["envelope_id"] = later["id"]
        racing = asyncio.create_task(api.client.post("/budget/elections", json=body, headers=api.city))
        for _ in range(200):
            waiting = await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if waiting or racing.done():
                break
            await asyncio.sleep(0.02)
        assert waiting == 1, (await racing).text if racing.done() else "the creation never waited"
        await transaction.commit()
        problem = assert_problem(await racing, 409, field="body.envelope_id")
        assert problem["code"] == "envelope-has-election"
        assert problem["detail"].startswith("this envelope already has an election")
        assert await conn.fetchval("SELECT id FROM elections WHERE envelope_id = $1", later["id"]) == direct
        # Imported elections have no envelope: any number of them.
        for _ in range(2):
            await conn.execute(insert.replace("$1", "NULL"))
        try:
            await conn.execute(insert, later["id"])
            raise AssertionError("a second election for one envelope got in")
        except asyncpg.UniqueViolationError as exc:
            assert exc.constraint_name == "uq_elections_envelope_id"
    finally:
        await conn.close()

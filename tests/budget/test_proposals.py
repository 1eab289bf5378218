import asyncio
from typing import Any

import asyncpg
import httpx

from shared.settings import plain_url
from tests.budget.conftest import DISTRICT, Auth, Budget
from tests.conftest import Database, assert_problem


async def test_funding_types_are_data(budget: httpx.AsyncClient) -> None:
    types = {t["code"]: t for t in (await budget.get("/budget/funding-types")).json()}
    assert types["general"]["district_grant_krw"] == 500_000_000
    assert types["merged"]["max_total_krw"] == 1_000_000_000
    assert types["merged"]["max_integration_krw"] == 200_000_000
    assert types["separate"]["innovation_plan_krw"] == 300_000_000
    assert {t["neighbourhood_plan_krw"] for t in types.values()} == {50_000_000}


async def test_envelopes_per_district_and_track(api: Budget, auth: Auth) -> None:
    cycle_id = await api.cycle()
    url = f"/budget/cycles/{cycle_id}/envelopes"
    body = {
        "district_code": DISTRICT,
        "track": "governance",
        "amount_krw": 500_000_000,
        "funding_type": "separate",
    }
    created = await api.ok("POST", url, api.city, json=body)
    assert created["amount_krw"] == 500_000_000 and created["funding_type"] == "separate"
    await api.ok("POST", url, api.city, json={**body, "track": "general"})
    await api.ok("POST", url, api.city, json={"track": "governance", "amount_krw": 10_000_000_000})
    assert_problem(await api.client.post(url, json=body, headers=api.city), 409)
    city_twice = {"track": "governance", "amount_krw": 1}
    assert_problem(await api.client.post(url, json=city_twice, headers=api.city), 409)
    listed = (await api.client.get(url)).json()
    assert [(e["district_code"], e["track"]) for e in listed] == [
        (None, "governance"),
        (DISTRICT, "general"),
        (DISTRICT, "governance"),
    ]
    bad = {**body, "district_code": "11111"}
    assert_problem(await api.client.post(url, json=bad, headers=api.city), 422, field="body.district_code")
    floats = {**body, "amount_krw": 1.5}
    assert_problem(await api.client.post(url, json=floats, headers=api.city), 422, field="body.amount_krw")
    unknown = {**body, "track": "general", "district_code": "11140", "funding_type": "nope"}
    assert_problem(await api.client.post(url, json=unknown, headers=api.city), 404, field="body.funding_type")
    officer = auth("district_officer", DISTRICT)
    assert_problem(await api.client.post(url, json=body, headers=officer), 403)
    assert_problem(await api.client.get("/budget/cycles/999999/envelopes"), 404)


async def test_a_proposal_goes_the_whole_way_and_every_step_is_recorded(api: Budget) -> None:
    envelope = await api.envelope(1_000_000)
    proposal = await api.proposal(envelope, 600_000)
    assert proposal["status"] == "submitted" and proposal["envelope_id"] == envelope["id"]
    pid = proposal["id"]
    reviewed = await api.accept(pid)
    assert reviewed["status"] == "accepted" and reviewed["review"]["decision"] == "accepted"
    assert (await api.shortlist(envelope["id"], 1, pid)).status_code == 200
    await api.through_deliberation(pid)
    revised = await api.ok(
        "POST", f"/budget/proposals/{pid}/revision", api.citizen, json={"amount_krw": 550_000, "note": "축소"}
    )
    assert revised["status"] == "revised" and revised["amount_krw"] == 550_000
    assert revised["requested_krw"] == 600_000
    screening = (await api.shortlist(envelope["id"], 2, pid)).json()
    assert screening["total_krw"] == 550_000 and screening["cap_krw"] == 1_300_000
    detail = (await api.client.get(f"/budget/proposals/{pid}")).json()
    steps = [(t["from_status"], t["to_status"]) for t in detail["transitions"]]
    assert steps == [
        (None, "submitted"),
        ("submitted", "accepted"),
        ("accepted", "shortlisted_1"),
        ("shortlisted_1", "governance_school"),
        ("governance_school", "intensive_workshop"),
        ("intensive_workshop", "coaching_forum"),
        ("coaching_forum", "revised"),
        ("revised", "shortlisted_2"),
    ]
    by_actor = {(t["to_status"], t["actor"], t["actor_role"]) for t in detail["transitions"]}
    assert ("accepted", "jongno-officer", "district_officer") in by_actor
    assert ("shortlisted_1", "city-officer-1", "city_officer") in by_actor
    assert ("revised", "citizen-1", "citizen") in by_actor
    assert next(t for t in detail["transitions"] if t["to_status"] == "revised")["reason"] == "축소"
    assert detail["transitions"][0]["at"].endswith("+09:00")


async def test_a_rejection_needs_the_reason_of_each_failed_criterion(api: Budget) -> None:
    envelope = await api.envelope()
    pid = (await api.proposal(envelope, 100_000))["id"]
    url = f"/budget/proposals/{pid}/review"
    body = {"legal_valid": True, "already_funded": True, "feasible": False}
    response = await api.client.post(url, json=body, headers=api.officer)
    problem = assert_problem(response, 422, field="body.funded_note")
    assert "body.feasibility_note" in [e["field"] for e in problem["errors"]]
    body |= {"funded_note": "2018 구 예산으로 이미 반영", "feasibility_note": "부지 없음"}
    rejected = await api.ok("POST", url, api.officer, json=body)
    assert rejected["status"] == "rejected" and rejected["review"]["decision"] == "rejected"
    assert rejected["transitions"][-1]["reason"] == "2018 구 예산으로 이미 반영; 부지 없음"
    problem = assert_problem(await api.client.post(url, json=body, headers=api.officer), 409)
    assert problem["code"] == "invalid-transition" and problem["status"] == 409
    assert "is rejected" in problem["detail"]


async def test_invalid_transitions_name_the_state(api: Budget) -> None:
    envelope = await api.envelope()
    pid = (await api.proposal(envelope, 100_000))["id"]
    problem = assert_problem(await api.shortlist(envelope["id"], 1, pid), 409)
    assert problem["detail"].startswith(f"proposal {pid} is submitted;") and problem["status"] == 409
    await api.accept(pid)
    stage = {"stage": "governance_school"}
    response = await api.client.post(f"/budget/proposals/{pid}/stage", json=stage, headers=api.officer)
    assert "is accepted" in assert_problem(response, 409)["detail"]
    assert (await api.shortlist(envelope["id"], 1, pid)).status_code == 200
    skip = {"stage": "coaching_forum"}
    response = await api.client.post(f"/budget/proposals/{pid}/stage", json=skip, headers=api.officer)
    assert "is shortlisted_1" in assert_problem(response, 409)["detail"]
    response = await api.client.post(
        f"/budget/proposals/{pid}/revision", json={"amount_krw": 1}, headers=api.citizen
    )
    assert_problem(response, 409)
    assert_problem(await api.shortlist(envelope["id"], 2, pid), 409)
    unknown = {"stage": "picnic"}
    response = await api.client.post(f"/budget/proposals/{pid}/stage", json=unknown, headers=api.officer)
    assert_problem(response, 422, field="body.stage")
    assert_problem(await api.client.get("/budget/proposals/999999"), 404, field="path.proposal_id")


async def test_the_database_refuses_a_skipped_step(database: Database) -> None:
    conn = await asyncpg.connect(plain_url(database.service_urls["budget"]))
    try:
        async with conn.transaction():
            cycle = await conn.fetchval(
                "INSERT INTO cycles (name_ko, fiscal_year, created_by) VALUES ('x', 2018, 't') RETURNING id"
            )
            envelope = await conn.fetchval(
                "INSERT INTO envelopes (cycle_id, district_code, track, amount_krw, created_by)"
                " VALUES ($1, '11110', 'general', 100, 't') RETURNING id",
                cycle,
            )
            proposal = await conn.fetchval(
                "INSERT INTO proposals (cycle_id, envelope_id, district_code, track, channel, title_ko,"
                " requested_krw, amount_krw, status, submitted_by)"
                " VALUES ($1, $2, '11110', 'general', 'online', 'x', 10, 10, 'submitted', 't') RETURNING id",
                cycle,
                envelope,
            )
            try:
                await conn.execute("UPDATE proposals SET status = 'selected' WHERE id = $1", proposal)
                raise AssertionError("the trigger let a proposal skip to selected")
            except asyncpg.RaiseError as exc:
                assert exc.sqlstate == "P0001" and "from submitted to selected" in str(exc)
            raise asyncio.CancelledError  # roll the transaction back
    except asyncio.CancelledError:
        pass
    finally:
        await conn.close()


async def test_first_screening_cap_at_below_and_above_170_percent(api: Budget) -> None:
    envelope = await api.envelope(1_000_000)
    eid = envelope["id"]
    first = await api.accepted(envelope, 1_000_000)
    second = await api.accepted(envelope, 699_999)
    assert (await api.shortlist(eid, 1, first)).status_code == 200
    screening = (await api.shortlist(eid, 1, second)).json()
    assert screening["total_krw"] == 1_699_999 and screening["remaining_krw"] == 1  # 1 KRW under
    over = await api.accepted(envelope, 2)
    problem = assert_problem(await api.shortlist(eid, 1, over), 422, field="body.proposal_id")
    assert problem["code"] == "shortlist-cap-exceeded" and problem["cap_krw"] == 1_700_000
    assert problem["total_krw"] == 1_700_001  # 1 KRW over
    exact = await api.accepted(envelope, 1)
    screening = (await api.shortlist(eid, 1, exact)).json()
    assert screening["total_krw"] == 1_700_000 == screening["cap_krw"]  # exactly 170 %
    assert [e["proposal_id"] for e in screening["entries"]] == [first, second, exact]
    assert (await api.client.get(f"/budget/proposals/{over}")).json()["status"] == "accepted"


async def test_the_cap_uses_exact_integer_arithmetic(api: Budget) -> None:
    envelope = await api.envelope(1_000_001)  # 170 % is 1,700,001.7 KRW
    fits = await api.accepted(envelope, 1_700_001)
    assert (await api.shortlist(envelope["id"], 1, fits)).json()["cap_krw"] == 1_700_001
    envelope = await api.envelope(1_000_001)
    too_much = await api.accepted(envelope, 1_700_002)
    assert_problem(await api.shortlist(envelope["id"], 1, too_much), 422)


async def _revised(api: Budget, envelope: dict[str, Any], amount: int) -> int:
    pid = await api.accepted(envelope, 100_000)
    assert (await api.shortlist(envelope["id"], 1, pid)).status_code == 200
    await api.through_deliberation(pid)
    await api.ok("POST", f"/budget/proposals/{pid}/revision", api.officer, json={"amount_krw": amount})
    return pid


async def test_second_screening_cap_is_130_percent(api: Budget) -> None:
    envelope = await api.envelope(1_000_000)
    a = await _revised(api, envelope, 700_000)
    b = await _revised(api, envelope, 600_001)
    c = await _revised(api, envelope, 600_000)
    assert (await api.shortlist(envelope["id"], 2, a)).status_code == 200
    problem = assert_problem(await api.shortlist(envelope["id"], 2, b), 422)
    assert problem["cap_krw"] == 1_300_000 and "130 %" in problem["detail"]
    assert (await api.shortlist(envelope["id"], 2, c)).json()["total_krw"] == 1_300_000


async def test_closing_a_screening_screens_out_the_rest(api: Budget) -> None:
    envelope = await api.envelope(1_000_000)
    kept = await api.accepted(envelope, 500_000)
    dropped = await api.accepted(envelope, 500_000)
    waiting = (await api.proposal(envelope, 10))["id"]
    await api.shortlist(envelope["id"], 1, kept)
    url = f"/budget/envelopes/{envelope['id']}/screenings/1/close"
    closed = await api.ok("POST", url, api.city)
    assert closed["status"] == "closed" and closed["total_krw"] == 500_000
    statuses = {
        pid: (await api.client.get(f"/budget/proposals/{pid}")).json()["status"]
        for pid in (kept, dropped, waiting)
    }
    assert statuses == {kept: "shortlisted_1", dropped: "screened_out_1", waiting: "submitted"}
    late = await api.accepted(envelope, 1)
    assert assert_problem(await api.shortlist(envelope["id"], 1, late), 409)["code"] == "screening-closed"
    assert_problem(await api.client.post(url, headers=api.city), 409)


async def test_merge_and_split_keep_their_lineage(api: Budget) -> None:
    envelope = await api.envelope(10_000_000)
    ids = []
    for amount in (1_000_000, 2_000_000, 3_000_000):
        pid = await api.accepted(envelope, amount)
        await api.shortlist(envelope["id"], 1, pid)
        await api.ok(
            "POST", f"/budget/proposals/{pid}/stage", api.officer, json={"stage": "governance_school"}
        )
        ids.append(pid)
    merged = await api.ok(
        "POST",
        "/budget/proposals/merge",
        api.officer,
        json={"proposal_ids": ids[:2], "title_ko": "통합 정원", "amount_krw": 2_500_000, "note": "유사 제안"},
    )
    assert merged["status"] == "governance_school" and merged["amount_krw"] == 2_500_000
    assert sorted(p["parent_id"] for p in merged["parents"]) == ids[:2]
    assert {p["kind"] for p in merged["parents"]} == {"merge"}
    parent = (await api.client.get(f"/budget/proposals/{ids[0]}")).json()
    assert parent["status"] == "merged" and parent["children"][0]["child_id"] == merged["id"]
    parts = [{"title_ko": "1구역", "amount_krw": 1_000_000}, {"title_ko": "2구역", "amount_krw": 2_000_000}]
    split = await api.ok("POST", f"/budget/proposals/{ids[2]}/split", api.officer, json={"parts": parts})
    assert split["status"] == "split" and len(split["children"]) == 2
    child = (await api.client.get(f"/budget/proposals/{split['children'][0]['child_id']}")).json()
    assert child["status"] == "governance_school" and child["parents"][0]["parent_id"] == ids[2]
    assert child["transitions"][0]["from_status"] is None
    # The children carry on through the stages; a merged parent cannot.
    await api.ok(
        "POST", f"/budget/proposals/{merged['id']}/stage", api.officer, json={"stage": "intensive_workshop"}
    )
    again = {"proposal_ids": [ids[0], merged["id"]], "title_ko": "x", "amount_krw": 1}
    assert (
        "is merged"
        in assert_problem(
            await api.client.post("/budget/proposals/merge", json=again, headers=api.officer), 409
        )["detail"]
    )
    mixed = {"proposal_ids": [merged["id"], child["id"]], "title_ko": "x", "amount_krw": 1}
    response = await api.client.post("/budget/proposals/merge", json=mixed, headers=api.officer)
    assert_problem(response, 422, field="body.proposal_ids")


async def test_who_may_do_what(api: Budget, auth: Auth) -> None:
    envelope = await api.envelope()
    pid = (await api.proposal(envelope, 100))["id"]
    review = {"legal_valid": True, "already_funded": False, "feasible": True}
    other = auth("district_officer", "11140")
    for headers, status in ((None, 401), (api.citizen, 403), (other, 403)):
        response = await api.client.post(f"/budget/proposals/{pid}/review", json=review, headers=headers)
        assert_problem(response, status)
    await api.accept(pid)
    for headers in (api.citizen, api.officer):
        response = await api.client.post(
            f"/budget/envelopes/{envelope['id']}/screenings/1/shortlist",
            json={"proposal_id": pid},
            headers=headers,
        )
        assert_problem(response, 403)
    body = {"district_code": "11140", "track": "general", "title_ko": "x", "requested_krw": 1}
    url = f"/budget/cycles/{envelope['cycle_id']}/proposals"
    assert_problem(await api.client.post(url, json=body, headers=api.officer), 403)
    assert_problem(
        await api.client.post(url, json=body, headers=api.citizen), 422, field="body.district_code"
    )
    assert_problem(await api.client.post(url, json=body), 401)
    listed = (await api.client.get(url, params={"status": "accepted", "limit": 1})).json()
    assert [p["id"] for p in listed["items"]] == [pid]


async def test_racing_shortlist_additions_never_pass_the_cap(committing: Budget) -> None:
    api = committing
    envelope = await api.envelope(1_000_000)  # cap 1,700,000
    ids = [await api.accepted(envelope, 300_000) for _ in range(10)]
    responses = await asyncio.gather(*(api.shortlist(envelope["id"], 1, pid) for pid in ids))
    assert sorted(r.status_code for r in responses) == [200] * 5 + [422] * 5, [r.text for r in responses]
    screening = (await api.client.get(f"/budget/envelopes/{envelope['id']}/screenings/1")).json()
    assert screening["total_krw"] == 1_500_000 and len(screening["entries"]) == 5

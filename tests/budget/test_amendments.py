"""Amendments [seed 002]: under 10 % the district council decides, 10 % or more or a transfer the city.

The councils service is reached over HTTP; here an httpx transport stands in for it (the real councils
process: tests/e2e/test_amendments_councils.py). Its answers are the shape of `GET /councils/decisions/{id}`.
"""

import asyncio
from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx
import pytest

from services.budget.amendments.council_check import judge
from services.budget.amendments.recheck import CouncilRecheck
from services.budget.amendments.rule import route, under_ten_percent
from shared.service_client import CallPolicy, ServiceClient
from tests.budget.conftest import Budget
from tests.budget.funded import funded, running
from tests.conftest import ServiceHarness, assert_problem

# --- the pure rule, at its edges ---


@pytest.mark.parametrize(
    ("change", "council"),
    [
        (999_999, True),  # 9.99999 %
        (1_000_000, False),  # exactly 10 %
        (1_000_001, False),
        (-999_999, True),
        (-1_000_000, False),
        (0, True),
    ],
)
def test_the_ten_percent_line_is_exact(change: int, council: bool) -> None:
    assert under_ten_percent(change, 10_000_000) is council
    assert (route({1: 10_000_000}, {1: 10_000_000 + change}).route == "council") is council


def test_ten_percent_of_an_odd_budget_needs_no_rounding() -> None:
    # 10 % of 333 is 33.3: 33 is under, 34 is not, with no division made.
    assert under_ten_percent(33, 333) and not under_ten_percent(34, 333)


def test_any_transfer_between_items_goes_to_the_city() -> None:
    routing = route({1: 5_000_000, 2: 5_000_000}, {1: 5_000_001, 2: 4_999_999})
    assert routing.transfer and routing.route == "city" and routing.change_krw == 0
    new_line = route({1: 5_000_000}, {1: 4_900_000, 2: 100_000})  # money moved to a new item
    assert new_line.transfer and new_line.route == "city"
    both_up = route({1: 5_000_000, 2: 5_000_000}, {1: 5_100_000, 2: 5_100_000})
    assert not both_up.transfer and both_up.route == "council"


def test_changes_are_cumulative_since_the_last_city_approval() -> None:
    approved = {1: 10_000_000}
    first = route(approved, {1: 10_600_000})  # 6 %
    second = route(approved, {1: 11_200_000})  # 6 % more: 12 % since the approval
    assert first.route == "council" and second.route == "city" and second.change_krw == 1_200_000


@pytest.mark.parametrize(
    ("result", "district", "decided_on", "verdict"),
    [
        ("pass", "11110", date(2018, 5, 1), "passed"),
        ("pass", "11110", date(2018, 5, 2), "refused"),  # after the request
        ("fail", "11110", date(2018, 5, 1), "refused"),
        ("pass", "11140", date(2018, 5, 1), "refused"),  # another district's council
        ("pass", None, date(2018, 5, 1), "refused"),  # a city-level body
        ("pending", "11110", date(2018, 5, 1), "unanswered"),
    ],
)
def test_a_decision_allows_an_amendment_only_if_it_passed_in_the_district_by_the_request(
    result: str, district: str | None, decided_on: date, verdict: str
) -> None:
    assert judge(7, result, district, decided_on, "11110", date(2018, 5, 1)).verdict == verdict


@pytest.mark.parametrize(
    ("body", "result", "verdict"),
    [
        ("district_council", "pass", "passed"),
        ("subcommittee", "pass", "refused"),  # a 분과 of the council is not the council
        ("steering_committee", "pass", "refused"),
        ("city_council", "pass", "refused"),
        ("tft", "pending", "refused"),  # never a council's decision, voted or not
    ],
)
def test_only_a_district_governance_council_decides(body: str, result: str, verdict: str) -> None:
    check = judge(7, result, "11110", date(2018, 5, 1), "11110", date(2018, 5, 1), body=(body, "분과"))
    assert check.verdict == verdict
    if verdict == "refused":
        assert check.note == f"decision 7 was taken by 분과 ({body}), not by a district governance council"


# --- the state machine, through the API ---

DECISIONS: dict[int, dict[str, Any]] = {}


def decision(
    decision_id: int,
    result: str,
    district: str = "11110",
    on: str = "2017-01-01",
    body: str = "district_council",
) -> None:
    DECISIONS[decision_id] = {
        "id": decision_id,
        "title": "사업 예산 변경",
        "classification": "motion",
        "body_id": 1,
        "body_name_ko": "종로구 협치회의",
        "body_classification": body,
        "district_code": district,
        "meeting_id": 1,
        "date": on,
        "passed": result == "pass",
        "result": result,
        "explanation": "",
    }


def councils_up(request: httpx.Request) -> httpx.Response:
    decision_id = int(request.url.path.rsplit("/", 1)[-1])
    if decision_id not in DECISIONS:
        return httpx.Response(404, json={"code": "motion-not-found"})
    return httpx.Response(200, json=DECISIONS[decision_id])


def councils_down(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


class Councils:
    def __init__(self, harness: ServiceHarness) -> None:
        self.state = harness.app.state

    def up(self) -> None:
        self.state.councils_transport = httpx.MockTransport(councils_up)

    def down(self) -> None:
        self.state.councils_transport = httpx.MockTransport(councils_down)


@pytest.fixture
def councils_service(budget_harness: ServiceHarness) -> Iterator[Councils]:
    councils = Councils(budget_harness)
    councils.up()
    DECISIONS.clear()
    yield councils
    del budget_harness.app.state.councils_transport


async def lines_of(api: Budget, project_id: int) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = (await api.client.get(f"/budget/projects/{project_id}")).json()["lines"]
    return lines


async def amend(api: Budget, project_id: int, lines: list[dict[str, Any]], **body: Any) -> httpx.Response:
    payload = {"lines": lines, "reason_ko": "자재비 인상", **body}
    return await api.client.post(
        f"/budget/projects/{project_id}/amendments", json=payload, headers=api.officer
    )


async def running_a(api: Budget) -> tuple[int, int]:
    """Project A (600,000 KRW, one line) in progress: its id and its line's id."""
    pid = (await funded(api))["A"]["id"]
    await running(api, pid)
    return pid, (await lines_of(api, pid))[0]["id"]


async def test_a_small_change_is_decided_by_the_cited_council_decision(
    api: Budget, councils_service: Councils
) -> None:
    decision(7, "pass")
    pid, line = await running_a(api)
    response = await amend(api, pid, [{"line_id": line, "amount_krw": 659_999}], council_decision_id=7)
    assert response.status_code == 201, response.text
    amendment = response.json()
    assert amendment["route"] == "council" and amendment["status"] == "council_approved"
    assert amendment["rule"].startswith("10 × |+59,999| = 599,990 < 600,000")
    assert amendment["council_check_note"] == "decision 7 passed on 2017-01-01 in district 11110"
    project = (await api.client.get(f"/budget/projects/{pid}")).json()
    assert project["budget_krw"] == 659_999 and project["approved_budget_krw"] == 600_000
    # One won more is 60,000 since the last city approval: exactly 10 %, so the city decides.
    second = (await amend(api, pid, [{"line_id": line, "amount_krw": 660_000}], council_decision_id=7)).json()
    assert second["route"] == "city" and second["status"] == "requested" and second["change_krw"] == 60_000
    assert second["rule"].startswith("10 × |+60,000| = 600,000 ≥ 600,000")
    url = f"/budget/amendments/{second['id']}/decision"
    assert_problem(
        await api.client.post(url, json={"decision": "approved", "reason_ko": "승인"}, headers=api.officer),
        403,
    )
    assert_problem(
        await api.client.post(url, json={"decision": "approved"}, headers=api.city), 422, "body.reason_ko"
    )
    approved = await api.ok(
        "POST", url, api.city, json={"decision": "approved", "reason_ko": "시 사전 협의 완료"}
    )
    assert approved["status"] == "approved" and approved["decided_by"] == "city-officer-1"
    project = (await api.client.get(f"/budget/projects/{pid}")).json()
    assert project["budget_krw"] == project["approved_budget_krw"] == 660_000
    assert project["lines"][0]["approved_amount_krw"] == 660_000  # the new baseline
    assert_problem(
        await api.client.post(url, json={"decision": "rejected", "reason_ko": "x"}, headers=api.city), 409
    )
    timeline = (await api.client.get(f"/budget/projects/{pid}/timeline")).json()["items"]
    steps = [(e["kind"], e["from_status"], e["to_status"]) for e in timeline if e["kind"] == "amendment"]
    assert steps == [
        ("amendment", None, "pending_council"),
        ("amendment", "pending_council", "council_approved"),
        ("amendment", None, "requested"),
        ("amendment", "requested", "approved"),
    ]


async def test_twenty_percent_cannot_be_split_into_two_small_changes(
    api: Budget, councils_service: Councils
) -> None:
    decision(7, "pass")
    pid, line = await running_a(api)
    first = (await amend(api, pid, [{"line_id": line, "amount_krw": 659_000}], council_decision_id=7)).json()
    assert first["status"] == "council_approved"
    second = (await amend(api, pid, [{"line_id": line, "amount_krw": 718_000}], council_decision_id=7)).json()
    assert second["route"] == "city" and second["change_krw"] == 118_000 and second["baseline_krw"] == 600_000


async def test_councils_down_leaves_the_amendment_pending_until_checked_again(
    api: Budget, councils_service: Councils
) -> None:
    decision(8, "pass")
    pid, line = await running_a(api)
    councils_service.down()
    pending = (
        await amend(api, pid, [{"line_id": line, "amount_krw": 630_000}], council_decision_id=8)
    ).json()
    assert pending["status"] == "pending_council" and "did not answer" in pending["council_check_note"]
    assert (await api.client.get(f"/budget/projects/{pid}")).json()[
        "budget_krw"
    ] == 600_000  # never approved blind
    blocked = await amend(api, pid, [{"line_id": line, "amount_krw": 610_000}], council_decision_id=8)
    assert assert_problem(blocked, 409)["code"] == "amendment-open"
    recheck = f"/budget/amendments/{pending['id']}/council-check"
    still = await api.ok("POST", recheck, api.officer)
    assert still["status"] == "pending_council"
    councils_service.up()
    done = await api.ok("POST", recheck, api.officer)
    assert done["status"] == "council_approved"
    assert (await api.client.get(f"/budget/projects/{pid}")).json()["budget_krw"] == 630_000
    assert assert_problem(await api.client.post(recheck, headers=api.officer), 409)["code"] == (
        "invalid-amendment-transition"
    )


@pytest.mark.parametrize(
    ("result", "district", "on", "note"),
    [
        ("fail", "11110", "2017-01-01", "did not pass"),
        ("pass", "11140", "2017-01-01", "of district 11140, not 11110"),
        ("pass", "11110", "2999-01-01", "after the request"),
        ("pass", "subcommittee", "2017-01-01", "not by a district governance council"),
    ],
)
async def test_a_decision_that_does_not_allow_it_refuses_the_amendment(
    api: Budget, councils_service: Councils, result: str, district: str, on: str, note: str
) -> None:
    if district == "subcommittee":
        decision(9, result, "11110", on, body="subcommittee")
    else:
        decision(9, result, district, on)
    pid, line = await running_a(api)
    refused = (
        await amend(api, pid, [{"line_id": line, "amount_krw": 630_000}], council_decision_id=9)
    ).json()
    assert refused["status"] == "council_refused" and note in refused["decision_reason"]
    assert (await api.client.get(f"/budget/projects/{pid}")).json()["budget_krw"] == 600_000
    unknown = (
        await amend(api, pid, [{"line_id": line, "amount_krw": 630_000}], council_decision_id=404)
    ).json()
    assert unknown["status"] == "council_refused" and "no decision 404" in unknown["decision_reason"]


async def test_a_transfer_goes_to_the_city_and_a_rejection_changes_nothing(
    api: Budget, councils_service: Councils
) -> None:
    lines = {
        "A": [{"name_ko": "공사비", "amount_krw": 500_000}, {"name_ko": "설계비", "amount_krw": 100_000}]
    }
    pid = (await funded(api, lines))["A"]["id"]
    await running(api, pid)
    build, design = [line["id"] for line in await lines_of(api, pid)]
    changes = [{"line_id": build, "amount_krw": 500_001}, {"line_id": design, "amount_krw": 99_999}]
    transfer = await amend(api, pid, changes, council_decision_id=7)
    assert transfer.status_code == 201 and transfer.json()["route"] == "city" and transfer.json()["transfer"]
    assert "전용" in transfer.json()["rule"] and transfer.json()["change_krw"] == 0
    url = f"/budget/amendments/{transfer.json()['id']}/decision"
    rejected = await api.ok(
        "POST", url, api.city, json={"decision": "rejected", "reason_ko": "전용 사유 부족"}
    )
    assert rejected["status"] == "rejected" and rejected["decision_reason"] == "전용 사유 부족"
    assert [line["amount_krw"] for line in await lines_of(api, pid)] == [500_000, 100_000]
    new_item = await amend(api, pid, [{"name_ko": "홍보비", "amount_krw": 10_000}], council_decision_id=7)
    assert (
        new_item.json()["route"] == "council" and not new_item.json()["transfer"]
    )  # +1.7 %, no line lowered


async def test_bad_amendments_name_their_field(api: Budget, councils_service: Councils) -> None:
    pid = (await funded(api))["C"]["id"]
    line = (await lines_of(api, pid))[0]["id"]
    planned = await amend(api, pid, [{"line_id": line, "amount_krw": 310_000}], council_decision_id=7)
    assert assert_problem(planned, 409, "path.project_id")["code"] == "project-not-running"
    await running(api, pid)
    missing = await amend(api, pid, [{"line_id": line, "amount_krw": 310_000}])
    assert assert_problem(missing, 422, "body.council_decision_id")["code"] == "council-decision-required"
    same = await amend(api, pid, [{"line_id": line, "amount_krw": 300_000}], council_decision_id=7)
    assert_problem(same, 422, "body.lines")
    assert_problem(
        await amend(api, pid, [{"line_id": 999_999, "amount_krw": 1}]), 404, "body.lines.0.line_id"
    )
    assert_problem(await amend(api, pid, [{"amount_krw": 1}]), 422)
    assert_problem(
        await amend(api, pid, [{"line_id": line, "amount_krw": 1.5}]), 422, "body.lines.0.amount_krw"
    )
    spend = {
        "line_id": line,
        "account_code": "201-01",
        "item_ko": "대관료",
        "unit_price_krw": 280_000,
        "quantity": 1,
        "amount_krw": 280_000,
        "spent_on": "2018-05-01",
        "payee": "유진인재개발원",
        "receipt_ref": "R-1",
    }
    await api.ok("POST", f"/budget/projects/{pid}/expenditures", api.officer, json=spend)
    below = await amend(api, pid, [{"line_id": line, "amount_krw": 279_999}], council_decision_id=7)
    assert assert_problem(below, 422, "body.lines.0.amount_krw")["code"] == "below-spent"
    other = api.auth("district_officer", "11140", subject="junggu-officer")
    foreign = await api.client.post(
        f"/budget/projects/{pid}/amendments",
        json={
            "lines": [{"line_id": line, "amount_krw": 310_000}],
            "reason_ko": "x",
            "council_decision_id": 7,
        },
        headers=other,
    )
    assert_problem(foreign, 403)
    assert_problem(await api.client.get("/budget/amendments/999999"), 404, "path.amendment_id")


# --- the re-check loop (amendments/recheck.py), on the test's connection ---


def recheck_loop(harness: ServiceHarness, handler: Any) -> CouncilRecheck:
    councils = ServiceClient(
        callee="councils",
        base_url="http://councils",
        policy=CallPolicy(retries=0),
        transport=httpx.MockTransport(handler),
    )
    return CouncilRecheck(harness.app.state.sessionmaker, councils, every_seconds=0, batch=5)


async def test_the_recheck_loop_settles_a_pending_amendment_once_councils_answers(
    api: Budget, councils_service: Councils, budget_harness: ServiceHarness
) -> None:
    decision(8, "pass")
    pid, line = await running_a(api)
    councils_service.down()
    pending = (
        await amend(api, pid, [{"line_id": line, "amount_krw": 630_000}], council_decision_id=8)
    ).json()
    assert pending["status"] == "pending_council"
    still_down = recheck_loop(budget_harness, councils_down)
    assert await still_down.run_once() >= 1
    again = (await api.client.get(f"/budget/amendments/{pending['id']}")).json()
    assert again["status"] == "pending_council" and "did not answer" in again["council_check_note"]
    assert again["council_checked_at"] >= pending["council_checked_at"]
    assert await recheck_loop(budget_harness, councils_up).run_once() >= 1
    done = (await api.client.get(f"/budget/amendments/{pending['id']}")).json()
    assert done["status"] == "council_approved" and done["decided_by"] == "council-decision-8"
    assert (await api.client.get(f"/budget/projects/{pid}")).json()["budget_krw"] == 630_000
    await recheck_loop(budget_harness, councils_up).run_once()  # settled: not claimed, not written again
    timeline = (await api.client.get(f"/budget/projects/{pid}/timeline")).json()["items"]
    steps = [(e["from_status"], e["to_status"], e["actor"]) for e in timeline if e["kind"] == "amendment"]
    assert steps == [
        (None, "pending_council", "jongno-officer"),
        ("pending_council", "council_approved", "service:budget-council-recheck"),
    ]
    assert timeline[-1]["reason"] == "decision 8 passed on 2017-01-01 in district 11110"


async def test_the_recheck_loop_refuses_what_the_decision_does_not_allow(
    api: Budget, councils_service: Councils, budget_harness: ServiceHarness
) -> None:
    decision(9, "pass", district="11140")
    pid, line = await running_a(api)
    councils_service.down()
    pending = (
        await amend(api, pid, [{"line_id": line, "amount_krw": 630_000}], council_decision_id=9)
    ).json()
    assert await recheck_loop(budget_harness, councils_up).run_once() >= 1
    refused = (await api.client.get(f"/budget/amendments/{pending['id']}")).json()
    assert refused["status"] == "council_refused"
    assert refused["decision_reason"] == "decision 9 is of district 11140, not 11110"
    assert (await api.client.get(f"/budget/projects/{pid}")).json()["budget_krw"] == 600_000


async def test_racing_rechecks_settle_a_pending_amendment_once(committing: Budget) -> None:
    """Three loops (three replicas) and an officer's re-check race, committing for real: one settles it."""
    api = committing
    app = api.client._transport.app  # type: ignore[attr-defined]
    decision(8, "pass")
    app.state.councils_transport = httpx.MockTransport(councils_down)
    pid, line = await running_a(api)
    pending = (
        await amend(api, pid, [{"line_id": line, "amount_krw": 630_000}], council_decision_id=8)
    ).json()
    assert pending["status"] == "pending_council"
    app.state.councils_transport = httpx.MockTransport(councils_up)
    loops = [
        CouncilRecheck(
            app.state.sessionmaker,
            ServiceClient(
                callee="councils",
                base_url="http://councils",
                policy=CallPolicy(retries=0),
                transport=httpx.MockTransport(councils_up),
            ),
            every_seconds=0,
            batch=50,
        )
        for _ in range(3)
    ]
    recheck = api.client.post(f"/budget/amendments/{pending['id']}/council-check", headers=api.officer)
    answers = await asyncio.gather(recheck, *(loop.run_once() for loop in loops))
    assert answers[0].status_code in (200, 409), answers[0].text  # 409: a loop settled it first
    done = (await api.client.get(f"/budget/amendments/{pending['id']}")).json()
    assert done["status"] == "council_approved"
    assert (await api.client.get(f"/budget/projects/{pid}")).json()["budget_krw"] == 630_000
    timeline = (await api.client.get(f"/budget/projects/{pid}/timeline")).json()["items"]
    ours = [e for e in timeline if e["kind"] == "amendment" and e["subject_id"] == pending["id"]]
    steps = [(e["from_status"], e["to_status"]) for e in ours]
    assert steps == [(None, "pending_council"), ("pending_council", "council_approved")]
    del app.state.councils_transport

"""Small amendments checked against a real councils process [seed 002, issue #10].

The decisions are recorded through the gateway in the real councils service (a district governance council
with its members, a meeting, motions with their counts). The amendments are asked of a budget process of this
test's own, whose COUNCILS_URL is a councils process of this test's own too, so that councils can be killed
and restarted without touching the session's system: a decision that passed is approved; one that failed, one
that does not exist, one of another district's council and one of a body that is not a council are refused
with the reason; councils down leaves the amendment pending; councils back, the re-check loop settles it,
once.
"""

import os
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from ops.processes import stop_processes
from tests.e2e.conftest import System, free_port, start, wait_answering

pytestmark = pytest.mark.e2e

Auth = Callable[..., dict[str, str]]
JONGNO, JUNGGU = "11110", "11140"


def ok(response: httpx.Response) -> Any:
    assert response.status_code in (200, 201), f"{response.request.url.path}: {response.text}"
    return response.json()


def meeting(gateway: httpx.Client, city: dict[str, str], body: dict[str, Any]) -> int:
    """A meeting of `body` on 2017-06-26 that its three members attend."""
    people = []
    for i in range(3):
        person = ok(gateway.post("/councils/persons", json={"name_ko": f"위원 {i}"}, headers=city))
        membership = {
            "organization_id": body["id"],
            "person_id": person["id"],
            "role": "member",
            "sector": "civil",
            "start_date": "2017-01-01",
        }
        ok(gateway.post("/councils/memberships", json=membership, headers=city))
        people.append(person)
    meeting = {
        "organization_id": body["id"],
        "kind": "plenary",
        "title": "사업 예산 변경 심의",
        "starts_at": "2017-06-26T15:00:00",
    }
    held = ok(gateway.post("/councils/meetings", json=meeting, headers=city))
    records = [{"person_id": p["id"], "status": "present"} for p in people]
    ok(gateway.put(f"/councils/meetings/{held['id']}/attendance", json={"records": records}, headers=city))
    return int(held["id"])


def motion(gateway: httpx.Client, city: dict[str, str], meeting_id: int, yes: int) -> int:
    """A motion voted at the meeting, `yes` of its three members in favour."""
    body = {"title": "사업 예산 변경의 건", "counts": {"yes": yes, "no": 3 - yes, "abstain": 0}}
    return int(ok(gateway.post(f"/councils/meetings/{meeting_id}/motions", json=body, headers=city))["id"])


def council(gateway: httpx.Client, city: dict[str, str], kind: str, district: str) -> dict[str, Any]:
    stamp = time.monotonic_ns()
    body = {"classification": kind, "name_ko": f"협치회의 {kind} {stamp}", "district_code": district}
    result: dict[str, Any] = ok(gateway.post("/councils/bodies", json=body, headers=city))
    return result


@dataclass
class Decisions:
    passed: int
    failed: int
    other_district: int
    not_a_council: int


@pytest.fixture
def decisions(gateway: httpx.Client, auth: Auth) -> Decisions:
    city = auth("city_officer", subject="e2e-amendments")
    jongno = meeting(gateway, city, council(gateway, city, "district_council", JONGNO))
    junggu = meeting(gateway, city, council(gateway, city, "district_council", JUNGGU))
    subcommittee = meeting(gateway, city, council(gateway, city, "subcommittee", JONGNO))
    return Decisions(
        passed=motion(gateway, city, jongno, yes=3),
        failed=motion(gateway, city, jongno, yes=1),
        other_district=motion(gateway, city, junggu, yes=3),
        not_a_council=motion(gateway, city, subcommittee, yes=3),
    )


def running_project(gateway: httpx.Client, auth: Auth) -> tuple[int, int]:
    """A funded project of 1,000,000 KRW in 종로구, in progress: its id and its one line's id."""
    city = auth("city_officer", subject="e2e-amendments")
    officer = auth("district_officer", JONGNO, subject="e2e-jongno-officer")
    cycle = ok(
        gateway.post("/budget/cycles", json={"name_ko": "2019 변경 e2e", "fiscal_year": 2019}, headers=city)
    )
    envelope = {"district_code": JONGNO, "track": "general", "amount_krw": 1_000_000}
    envelope_id = ok(gateway.post(f"/budget/cycles/{cycle['id']}/envelopes", json=envelope, headers=city))[
        "id"
    ]
    now = datetime.now(UTC)
    election = {
        "name_ko": "변경 e2e 투표",
        "envelope_id": envelope_id,
        "projects": [{"project_id": "P", "name": "골목 정원", "cost_krw": 1_000_000}],
        "opens_at": (now - timedelta(minutes=5)).isoformat(),
        "closes_at": (now + timedelta(hours=1)).isoformat(),
    }
    eid = ok(gateway.post("/budget/elections", json=election, headers=city))["id"]
    voter = auth("citizen", subject=f"e2e-amendments-voter-{eid}")
    ok(gateway.put(f"/budget/elections/{eid}/ballot", json={"project_ids": ["P"]}, headers=voter))
    ok(gateway.post(f"/budget/elections/{eid}/close", headers=city))
    ok(gateway.post(f"/budget/elections/{eid}/publish", headers=city))
    project = ok(gateway.post(f"/budget/elections/{eid}/projects", json={}, headers=city))["items"][0]
    body = {"status": "in_progress"}
    ok(gateway.post(f"/budget/projects/{project['id']}/status", json=body, headers=officer))
    line = ok(gateway.get(f"/budget/projects/{project['id']}", headers=officer))["lines"][0]["id"]
    return int(project["id"]), int(line)


@dataclass
class Pair:
    """A budget process and the councils process it asks, both this test's own."""

    budget_url: str
    councils_port: int
    env: dict[str, str]
    log_dir: Path
    councils: subprocess.Popen[bytes] | None = None

    def start_councils(self) -> None:
        self.councils = start("councils", self.councils_port, self.env, self.log_dir)
        wait_answering(f"http://127.0.0.1:{self.councils_port}/livez", self.councils)

    def kill_councils(self) -> None:
        assert self.councils is not None
        self.councils.kill()
        self.councils.wait(timeout=10)
        self.councils = None


@pytest.fixture
def pair(system: System, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    councils_port, budget_port = free_port(), free_port()
    env = {
        **os.environ,
        **system.env,
        "COUNCILS_URL": f"http://127.0.0.1:{councils_port}",
        "BUDGET_COUNCILS_TIMEOUT": "2",
        "BUDGET_COUNCIL_RECHECK_ENABLED": "true",
        "BUDGET_COUNCIL_RECHECK_SECONDS": "0.5",
    }
    pair = Pair(f"http://127.0.0.1:{budget_port}", councils_port, env, tmp_path_factory.mktemp("amendments"))
    pair.start_councils()
    budget = start("budget", budget_port, env, pair.log_dir)
    try:
        wait_answering(f"{pair.budget_url}/livez", budget)
        yield pair
    finally:
        stop_processes(budget, *([pair.councils] if pair.councils is not None else []))


def amend(budget: httpx.Client, officer: dict[str, str], pid: int, line: int, to: int, decision: int) -> Any:
    body = {
        "lines": [{"line_id": line, "amount_krw": to}],
        "reason_ko": "자재비 인상",
        "council_decision_id": decision,
    }
    response = budget.post(f"/budget/projects/{pid}/amendments", json=body, headers=officer)
    assert response.status_code == 201, response.text
    return response.json()


def test_a_small_amendment_is_decided_by_a_real_council_decision(
    gateway: httpx.Client, auth: Auth, decisions: Decisions, pair: Pair
) -> None:
    pid, line = running_project(gateway, auth)
    officer = auth("district_officer", JONGNO, subject="e2e-jongno-officer")
    with httpx.Client(base_url=pair.budget_url, timeout=30) as budget:
        approved = amend(budget, officer, pid, line, 1_050_000, decisions.passed)
        assert approved["status"] == "council_approved", approved
        assert approved["council_check_note"] == (
            f"decision {decisions.passed} passed on 2017-06-26 in district {JONGNO}"
        )
        refusals = {
            decisions.failed: f"decision {decisions.failed} did not pass (fail)",
            2**31 - 1: f"the councils service has no decision {2**31 - 1}",
            decisions.other_district: f"is of district {JUNGGU}, not {JONGNO}",
            decisions.not_a_council: "(subcommittee), not by a district governance council",
        }
        for decision, reason in refusals.items():
            refused = amend(budget, officer, pid, line, 1_060_000, decision)
            assert refused["status"] == "council_refused" and reason in refused["decision_reason"], refused
        project = ok(budget.get(f"/budget/projects/{pid}", headers=officer))
        assert project["budget_krw"] == 1_050_000 and project["approved_budget_krw"] == 1_000_000

        pair.kill_councils()
        pending = amend(budget, officer, pid, line, 1_070_000, decisions.passed)
        assert pending["status"] == "pending_council", pending
        assert "did not answer" in pending["council_check_note"]
        time.sleep(1.5)  # a few passes of the loop against a dead councils: still pending, nothing applied
        assert ok(budget.get(f"/budget/amendments/{pending['id']}"))["status"] == "pending_council"
        assert ok(budget.get(f"/budget/projects/{pid}", headers=officer))["budget_krw"] == 1_050_000

        pair.start_councils()
        deadline = time.monotonic() + 90  # the breaker may hold calls back for its reset time first
        settled = pending
        while settled["status"] == "pending_council" and time.monotonic() < deadline:
            time.sleep(0.5)
            settled = ok(budget.get(f"/budget/amendments/{pending['id']}"))
        assert settled["status"] == "council_approved", settled
        assert ok(budget.get(f"/budget/projects/{pid}", headers=officer))["budget_krw"] == 1_070_000

        amendments = ok(budget.get(f"/budget/projects/{pid}/amendments"))
        assert [a["status"] for a in amendments] == ["council_approved"] + ["council_refused"] * 4 + [
            "council_approved"
        ]
        timeline = ok(budget.get(f"/budget/projects/{pid}/timeline", params={"limit": 200}))["items"]
        steps = [
            (e["from_status"], e["to_status"])
            for e in timeline
            if e["kind"] == "amendment" and e["subject_id"] == pending["id"]
        ]
        assert steps == [(None, "pending_council"), ("pending_council", "council_approved")]  # once
        loop_step = [e for e in timeline if e["kind"] == "amendment" and e["subject_id"] == pending["id"]][-1]
        assert loop_step["actor"] == "service:budget-council-recheck"

"""One year, one command (`make demo-year`): the city's 2017 played through the public API, end to end.

    python -m ops.demo_year [--base-url http://127.0.0.1:8000] [--timeout 120]   # against `make run`

1. the 2017 registry and programme budget (`ops.demo`, `ops.demo_grants`);
2. 관악구's participatory-budget cycle: proposals, both screenings, the weighted vote, its outcome
   (`ops.demo_pb`);
3. each platform district's 2017 platform grant, with its city and district shares, awarded and paid;
4. expenditures on a funded project and 5. its two amendments (`ops.demo_pb`);
6. the platforms' evaluation (`ops.demo_evaluation`) with every target naming its district's grant, so that
7. each confirmation is delivered by evaluation's outbox relay to budget; the demo polls budget until every
   grant carries its result, then applies for each platform's 2018 grant: continued, increased, reduced,
   or refused when the result is stop. The amounts are checked against the delivered categories.

Every step prints what it did; any mismatch exits non-zero. Windows that 2017 closed long ago are reopened
by a city officer with a dated reason (grant policies) or extended (evaluation windows), as the other demos
do; nothing fakes the clock. Idempotent: a second run finds every record and reports what exists.
"""

import argparse
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from ops import demo, demo_evaluation, demo_pb
from ops.demo_grants import POLICIES, load_programme
from ops.demo_http import ok, role_client
from shared.auth import Role
from shared.seoul import today_seoul

M = 1_000_000
FIRST_YEAR_KRW = 80 * M
DISTRICT_SHARE_BP = {demo_pb.DISTRICT: 3000}  # 관악구 matches 30 %; the others 20 %
DEFAULT_SHARE_BP = 2000
STEPS = {"increase": 10, "reduce": -20}  # POLICIES' example steps, in percent
BUDGET_CATEGORY = {
    "continue_with_increase": "increase",
    "continue": "continue",
    "reduce": "reduce",
    "stop": "stop",
}


@dataclass
class NextYear:
    district: str
    grant_id: int
    category: str
    amount_krw: int | None  # None: refused (stop)
    expected_krw: int | None


def _say(step: str) -> None:
    print(f"\n=== {step}", flush=True)


def _policy_open(city: httpx.Client, year: int) -> None:
    """Reopen the platform policy's applications through tomorrow (Seoul) if closed, with a reason."""
    today = today_seoul()
    url = f"/budget/grant-policies/{year}/civic_platform"
    current = city.get(url)
    if current.status_code == 200:
        phase = current.json()["phases"][0]
        if phase["application_deadline"] >= today.isoformat():
            return
    policy = {k: v for k, v in POLICIES["civic_platform"].items() if k != "phases"}
    reopened = (today + timedelta(days=1)).isoformat()
    policy["phases"] = [
        {"phase": "operation", "applications_open_on": None, "application_deadline": reopened}
    ]
    policy["source"] = (
        f"{POLICIES['civic_platform']['source']}; make demo-year: {year}년 신청 기간을"
        f" {today.isoformat()}에 재현하기 위해 {reopened}까지 다시 엶 (데모)"
    )
    ok(city.put(url, json=policy))
    print(f"  {year} platform policy: applications reopened until {reopened} (reason recorded)")


def _funding(city: httpx.Client, districts: list[str], year: int) -> None:
    for code in districts:
        if city.get(f"/budget/districts/{code}/funding/{year}").status_code == 404:
            body = {"funding_type": "separate", "neighbourhoods": 0, "source": "make demo-year (예시)"}
            ok(city.put(f"/budget/districts/{code}/funding/{year}", json=body))


def _grants_of(city: httpx.Client, code: str, year: int) -> list[dict[str, Any]]:
    page = ok(city.get("/budget/grants", params={"district_code": code, "fiscal_year": year, "limit": 200}))
    return [g for g in page["items"] if g["kind"] == "civic_platform"]


def platform_grants(base_url: str, rows: list[dict[str, str]]) -> dict[str, dict[str, Any]]:
    """Step 3: each platform district's 2017 grant (city + district share), awarded and paid."""
    grants: dict[str, dict[str, Any]] = {}
    made = 0
    with role_client(base_url, Role.city_officer, "ops-demo") as city:
        for row in rows:
            code = row["district_code"]
            found = _grants_of(city, code, 2017)
            if found:
                grants[code] = found[0]
                continue
            _policy_open(city, 2017)
            share = FIRST_YEAR_KRW * DISTRICT_SHARE_BP.get(code, DEFAULT_SHARE_BP) // 10_000
            body = {
                "kind": "civic_platform",
                "district_code": code,
                "fiscal_year": 2017,
                "title_ko": f"{row['district']} 시민협력플랫폼 2017 운영",
                "amount_krw": FIRST_YEAR_KRW,
                "district_share_krw": share,
                "city_share_krw": FIRST_YEAR_KRW - share,
            }
            with role_client(base_url, Role.district_officer, f"ops-demo-{code}", code) as officer:
                grant = ok(officer.post("/budget/grants", json=body))
            ok(city.post(f"/budget/grants/{grant['id']}/award"))
            paid = {"paid_krw": grant["amount_krw"], "paid_on": "2017-03-02"}
            grants[code] = ok(city.post(f"/budget/grants/{grant['id']}/payment", json=paid))
            made += 1
    for row in rows:
        g = grants[row["district_code"]]
        print(
            f"  {row['district']}: grant {g['id']} {g['amount_krw']:,}원"
            f" = 시비 {g['city_share_krw']:,} + 구비 {g['district_share_krw']:,} ({g['status']})"
        )
        if g["city_share_krw"] + g["district_share_krw"] != g["amount_krw"]:
            raise SystemExit(f"MISMATCH: grant {g['id']}'s shares do not add up to its amount")
    print(f"  {made} grants applied for, awarded and paid now ({len(grants) - made} existed)")
    return grants


def wait_delivered(base_url: str, grants: dict[str, dict[str, Any]], timeout: float) -> None:
    """Poll budget until every grant carries its delivered evaluation result."""
    deadline = time.monotonic() + timeout
    with role_client(base_url, Role.city_officer, "ops-demo") as city:
        waiting = set(grants)
        while waiting:
            for code in sorted(waiting):
                if ok(city.get(f"/budget/grants/{grants[code]['id']}"))["evaluation_result_id"]:
                    waiting.discard(code)
            if waiting and time.monotonic() > deadline:
                raise SystemExit(
                    f"MISMATCH: no result delivered after {timeout:g} s to grants of {sorted(waiting)}"
                )
            if waiting:
                time.sleep(0.5)


def expected_amount(previous_krw: int, category: str) -> int | None:
    if category == "stop":
        return None
    step = STEPS.get(category, 0)
    return int(min(previous_krw * (100 + step) // 100, POLICIES["civic_platform"]["yearly_max_krw"]))


def next_year(base_url: str, grants: dict[str, dict[str, Any]], categories: dict[str, str]) -> list[NextYear]:
    """Step 7: apply for each platform's 2018 grant; budget prices it by the delivered result."""
    decisions = []
    with role_client(base_url, Role.city_officer, "ops-demo") as city:
        _funding(city, list(grants), 2018)
        for code, grant in grants.items():
            category = categories[code]
            expected = expected_amount(grant["amount_krw"], category)
            found = [g for g in _grants_of(city, code, 2018) if g["previous_grant_id"] == grant["id"]]
            if found:
                decisions.append(NextYear(code, grant["id"], category, found[0]["amount_krw"], expected))
                continue
            _policy_open(city, 2018)
            share = (expected or 0) * DISTRICT_SHARE_BP.get(code, DEFAULT_SHARE_BP) // 10_000
            body = {
                "kind": "civic_platform",
                "district_code": code,
                "fiscal_year": 2018,
                "title_ko": f"{grant['title_ko'].replace('2017', '2018')}",
                "district_share_krw": share,
                "previous_grant_id": grant["id"],
            }
            with role_client(base_url, Role.district_officer, f"ops-demo-{code}", code) as officer:
                answer = officer.post("/budget/grants", json=body)
            if answer.status_code == 201:
                amount = answer.json()["amount_krw"]
            elif answer.status_code in (409, 422) and answer.json().get("code") == "platform-stopped":
                amount = None
            else:
                raise SystemExit(f"MISMATCH: 2018 application for {code}: {answer.status_code} {answer.text}")
            decisions.append(NextYear(code, grant["id"], category, amount, expected))
    return decisions


LABEL = {"increase": "증액 계속", "continue": "계속", "reduce": "감액 계속", "stop": "중단"}


def play(base_url: str, shared: Path, timeout: float) -> list[NextYear]:
    """The whole year; return the next year's decisions (already checked)."""
    city_token = role_client(base_url, Role.city_officer, "ops-demo")
    _say("1. 2017 등록부 (협치회의, 플랫폼) 및 협치사업예산")
    with city_token as client:
        table, created = demo.load(client, shared)
        print(demo.render(table))
        print(f"  {created} registry records created ({'first load' if created else 'already loaded'}).")
        if table != demo.expected_table(demo.read_csv("innovation_plan_councils.csv", shared)):
            raise SystemExit("MISMATCH: the composition table differs from innovation_plan_councils.csv")
        load_programme(client, shared)
    rows = demo_evaluation.platform_rows(shared)
    with role_client(base_url, Role.city_officer, "ops-demo") as city:
        _funding(city, [r["district_code"] for r in rows], 2017)

    _say(f"2. {demo_pb.DISTRICT_KO} 시민참여예산: 제안, 1·2차 심사, 가중 투표, 결과 공표")
    pb = demo_pb.play(base_url)
    print(f"  {'played now' if pb.voted_now else 'already played: read back from the API'}")
    for screening in pb.screenings:
        print(
            f"  {screening['round']}차 심사 (한도 {screening['cap_percent']}%): {screening['total_krw']:,}원"
            f" / 한도 {screening['cap_krw']:,}원, {len(screening['entries'])}건"
        )
    weights = ", ".join(f"{g['name_ko']} {g['weight']}" for g in demo_pb.GROUPS)
    print(f"  투표 {pb.election_id} (가중치: {weights}), 예산 {demo_pb.ENVELOPE_KRW:,}원")
    for row in pb.tally:
        chosen = "선정" if row["selected"] else "미선정"
        print(f"    {row['name']}: {row['cost']:,}원, 가중 득표 {row['score']} ({row['votes']}표) {chosen}")
    print(f"  사업화: {pb.projects}")

    _say("3. 시민협력플랫폼 보조금 (시비·구비)")
    grants = platform_grants(base_url, rows)

    _say("4-5. 집행 및 예산 변경")
    print(f"  청년 공론장 운영 (사업 {pb.projects['청년 공론장 운영']}): {pb.spent_krw:,}원 집행")
    for amendment in pb.amendments:
        by = (
            f"{demo_pb.COUNCIL_NAME} 결정 {amendment['council_decision_id']}"
            if amendment["route"] == "council"
            else "시 승인"
        )
        print(
            f"  변경 {amendment['id']} ({amendment['rule']}): {amendment['budget_before_krw']:,} →"
            f" {amendment['budget_after_krw']:,}원, {amendment['status']} ({by})"
        )

    _say("6. 시민협력플랫폼 성과평가 (대상마다 보조금 지정)")
    ids = {code: int(g["id"]) for code, g in grants.items()}
    evaluation, comparison, published = demo_evaluation.load_evaluation(base_url, shared, ids)
    print(demo_evaluation.render(evaluation, comparison, published))

    _say("7. 확정 결과 전달 (evaluation → budget) 및 2018년 보조금 결정")
    wait_delivered(base_url, grants, timeout)
    by_target = {t.id: t.district_code for t in evaluation.targets}
    categories = {by_target[r["target_id"]]: BUDGET_CATEGORY[r["category"]] for r in published}
    decisions = next_year(base_url, grants, categories)
    names = {r["district_code"]: r["district"] for r in rows}
    for d in decisions:
        shown = "지원 중단 (신청 거부)" if d.amount_krw is None else f"{d.amount_krw:,}원"
        print(f"  {names[d.district]}: {LABEL[d.category]} → 2018 {shown}")
    check(pb, decisions, len(rows))
    return decisions


def check(pb: demo_pb.PbYear, decisions: list[NextYear], platforms: int) -> None:
    wrong = [d for d in decisions if d.amount_krw != d.expected_krw]
    problems = [f"{d.district}: {d.category} gave {d.amount_krw}, expected {d.expected_krw}" for d in wrong]
    for screening, percent in zip(pb.screenings, (170, 130), strict=True):
        cap = demo_pb.ENVELOPE_KRW * percent // 100
        if (screening["cap_krw"], screening["status"]) != (cap, "closed") or screening["total_krw"] > cap:
            problems.append(f"screening {screening['round']}: {screening['total_krw']:,} of {cap:,} KRW")
    chosen_cost = sum(int(row["cost"]) for row in pb.tally if row["selected"])
    if not pb.selected or chosen_cost > demo_pb.ENVELOPE_KRW or set(pb.projects) != set(pb.selected):
        problems.append(f"vote: {pb.selected} costing {chosen_cost:,} KRW, projects {pb.projects}")
    statuses = [a["status"] for a in pb.amendments]
    if statuses != ["council_approved", "approved"] or [a["route"] for a in pb.amendments] != [
        "council",
        "city",
    ]:
        problems.append(f"amendments: {statuses}")
    if pb.spent_krw != sum(price * qty for _, _, price, qty, _ in demo_pb.EXPENSES):
        problems.append(f"spent {pb.spent_krw:,} KRW")
    if len(decisions) != platforms:
        problems.append(f"{len(decisions)} next-year decisions")
    if problems:
        raise SystemExit("MISMATCH: " + "; ".join(problems))
    print(
        "\nThe year checks out: every delivered result priced its platform's 2018 grant as its category says."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--base-url", default="http://127.0.0.1:8000", help="the gateway (default: %(default)s)"
    )
    parser.add_argument("--timeout", type=float, default=120, help="seconds to wait for the deliveries")
    args = parser.parse_args()
    try:
        play(args.base_url, demo.shared_dir(), args.timeout)
    except RuntimeError as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        raise SystemExit(1) from exc


if __name__ == "__main__":
    main()

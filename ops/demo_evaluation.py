"""`make demo`, evaluation: the 2017 Civic Cooperation Platforms' evaluation (seed 004), through the API.

The 9 platform consortia of ../shared/data/seoul_2017/civic_platforms.csv become the targets of one cycle,
each naming the councils organisation (the consortium `ops.demo` loaded) and its member organisations; both
rounds get seed 004's 2017 schedule as data; common and specific indicators sum to 100 per target; a panel of
8 (4 officials, 4 experts) rates both rounds, one expert with a declared tie to a member of 은평구's
consortium, so that 제척 excludes it there; each agency submits its report and self-evaluation with a
token naming its organisation; the raters' scores are seeded (the same on every run); 은평구 appeals
once and is re-reviewed; every result is confirmed from the bands and published; then the comparison by
rater type is printed.

The windows stay 2017's. The service checks each dated action against today's Seoul date, so the demo moves
through the phases as a city officer would: it extends a window to tomorrow, with a reason, just before the
phase's first action (the extensions are recorded beside the original end). Nothing fakes the clock.
Idempotent: every record is looked up first; a second run creates nothing and reports what exists.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

from ops import demo_http
from ops.evaluation_2017 import (
    APPEAL_REASON,
    APPEALING_DISTRICT,
    BANDS,
    COMMON,
    CYCLE,
    PANEL,
    RUBRIC,
    SCHEDULE_2017,
    TIED_DISTRICT,
    TIED_MEMBER,
    TIED_RATER,
    measured_value,
    platform_rows,
    rater_score,
    self_score,
    share_of,
    specific,
)
from ops.evaluation_report import render
from shared.auth import Role
from shared.seoul import today_seoul


@dataclass
class Target:
    id: int
    district_code: str
    district: str
    organization_id: int
    round: int
    indicators: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class EvaluationDemo:
    """What the load left: the cycle, its targets, and how many records this run created."""

    cycle_id: int
    targets: list[Target]
    created: int = 0
    extensions: int = 0
    excluded: list[tuple[str, str]] = field(default_factory=list)


class Session(demo_http.Clients):
    """The city officer, each rater and each agency, and the windows as last read or extended."""

    def __init__(self, base_url: str) -> None:
        super().__init__(base_url)
        self.extensions = 0
        self.window_ends: dict[str, date] = {}  # window URL → its last day, as last read or extended

    def rater(self, subject: str) -> httpx.Client:
        role = Role.city_officer if subject.startswith("official") else Role.evaluator
        return self.client(role, subject)

    def agency(self, target: Target) -> httpx.Client:
        return self.client(Role.agency, f"agency-{target.organization_id}", target.organization_id)


def _consortium(s: Session, row: dict[str, str]) -> tuple[int, list[int]]:
    """The consortium `ops.demo` loaded into councils, and its member organisations."""
    name = f"{row['district']} 시민협력플랫폼 컨소시엄"
    found = [
        org
        for org in s.items("/councils/organizations", district=row["district_code"])
        if org["name_ko"] == name and org["classification"] == "consortium"
    ]
    if not found:
        raise RuntimeError(f"councils has no {name}: run the councils part of `make demo` first")
    members = s.items("/councils/memberships", organization_id=found[0]["id"])
    return found[0]["id"], sorted({m["member_organization_id"] for m in members if m["role"] == "member"})


def _member_named(s: Session, district_code: str, name: str) -> int:
    for org in s.items("/councils/organizations", district=district_code):
        if org["name_ko"] == name:
            return int(org["id"])
    raise RuntimeError(f"councils has no organisation {name} in {district_code}")


def set_up(s: Session, rows: list[dict[str, str]], grants: dict[str, int] | None = None) -> EvaluationDemo:
    """Cycle, windows, targets with their member organisations, rubric, indicators, settings, opening.

    `grants` (district code → budget grant id) makes each target name the grant it evaluates, so that its
    confirmed result is delivered to that grant (`make demo-year`)."""
    cycle = next((c for c in s.items("/evaluation/cycles") if c["name_ko"] == CYCLE["name_ko"]), None)
    cycle = cycle or s.write("POST", "/evaluation/cycles", json=CYCLE)
    cid = cycle["id"]
    for round_, phases in SCHEDULE_2017.items():
        have = {w["phase"] for w in s.get(f"/evaluation/cycles/{cid}/rounds/{round_}/windows")}
        for phase, (starts, ends) in phases.items():
            if phase not in have:
                body = {"phase": phase, "starts_on": starts, "ends_on": ends}
                s.write("POST", f"/evaluation/cycles/{cid}/rounds/{round_}/windows", json=body)
    existing = {t["organization_id"]: t for t in s.items(f"/evaluation/cycles/{cid}/targets")}
    targets = []
    for row in rows:
        org_id, members = _consortium(s, row)
        new = {
            "organization_id": org_id,
            "district_code": row["district_code"],
            "round": int(row["evaluation_round"]),
        }
        if grants:
            new["grant_id"] = grants[row["district_code"]]
        found = existing.get(org_id) or s.write("POST", f"/evaluation/cycles/{cid}/targets", json=new)
        if grants and found["grant_id"] != grants[row["district_code"]]:
            raise RuntimeError(
                f"the {row['district']} target {found['id']} names grant {found['grant_id']}, not"
                f" {grants[row['district_code']]}: it was made without grants (`make demo`); a target's grant"
                " cannot change, so play the year on a fresh database (`make run`, then `make demo-year`)"
            )
        target = Target(found["id"], row["district_code"], row["district"], org_id, found["round"])
        if found["status"] == "configuring":
            payload = {"organization_ids": members}
            s.write("PUT", f"/evaluation/targets/{target.id}/member-organizations", json=payload)
        targets.append(target)
    rubric = next(
        (r for r in s.items(f"/evaluation/cycles/{cid}/rubrics") if r["name_ko"] == RUBRIC["name_ko"]), None
    )
    rubric_id = (rubric or s.write("POST", f"/evaluation/cycles/{cid}/rubrics", json=RUBRIC))["id"]
    common = {i["name_ko"] for i in s.items(f"/evaluation/cycles/{cid}/indicators", scope="common")}
    for spec in COMMON:
        if spec["name_ko"] not in common:
            s.write("POST", f"/evaluation/cycles/{cid}/indicators", json=_with_rubric(spec, rubric_id))
    for target in targets:
        own = {i["name_ko"] for i in s.items(f"/evaluation/targets/{target.id}/indicators")}
        for spec in specific(target.district):
            if spec["name_ko"] not in own:
                body = _with_rubric(spec, rubric_id)
                s.write("POST", f"/evaluation/targets/{target.id}/indicators", json=body)
        target.indicators = list(s.items(f"/evaluation/targets/{target.id}/indicators"))
    if s.get(f"/evaluation/cycles/{cid}/result-settings")["updated_at"] is None:
        settings = {"aggregation_method": "trimmed_mean", "min_panel_size": 3, "bands": BANDS}
        s.write("PUT", f"/evaluation/cycles/{cid}/result-settings", json=settings)
    for round_ in (1, 2):
        if any(
            t["status"] == "configuring" for t in s.items(f"/evaluation/cycles/{cid}/targets", round=round_)
        ):
            s.write("POST", f"/evaluation/cycles/{cid}/rounds/{round_}/open")
    return EvaluationDemo(cid, targets)


def _with_rubric(spec: dict[str, Any], rubric_id: int) -> dict[str, Any]:
    return {**spec, "rubric_id": rubric_id} if spec["measure"] == "qualitative" else spec


def appoint_panel(s: Session, demo: EvaluationDemo) -> None:
    tied = next(t for t in demo.targets if t.district_code == TIED_DISTRICT)
    tie_org = _member_named(s, TIED_DISTRICT, TIED_MEMBER)
    for round_ in (1, 2):
        url = f"/evaluation/cycles/{demo.cycle_id}/rounds/{round_}/panel"
        have = {m["subject"] for m in s.items(url) if m["active"]}
        for subject, name, rater_type in PANEL:
            if subject in have:
                continue
            ties = []
            if subject == TIED_RATER and tied.round == round_:
                ties = [{"organization_id": tie_org, "reason": f"{TIED_MEMBER} 이사 (선언된 관계)"}]
            s.write(
                "POST",
                url,
                json={"subject": subject, "name_ko": name, "rater_type": rater_type, "ties": ties},
            )


def in_window(s: Session, demo: EvaluationDemo, round_: int, phase: str) -> None:
    """Extend the window to tomorrow (Seoul) if today is past it, as a city officer may, with a reason."""
    url = f"/evaluation/cycles/{demo.cycle_id}/rounds/{round_}/windows/{phase}"
    today = today_seoul()
    if url not in s.window_ends:
        s.window_ends[url] = date.fromisoformat(s.get(url)["ends_on"])
    if s.window_ends[url] >= today:
        return
    reason = f"make demo: 2017년 일정을 {today.isoformat()}에 재현하기 위한 연장 (데모)"
    body = {"ends_on": (today + timedelta(days=1)).isoformat(), "reason": reason}
    s.window_ends[url] = date.fromisoformat(s.write("POST", f"{url}/extensions", json=body)["ends_on"])
    s.extensions += 1


def submissions(s: Session, demo: EvaluationDemo) -> None:
    """The city's measured values, then each agency's report and self-evaluation (its own token)."""
    for target in demo.targets:
        measured = {m["indicator_id"] for m in s.get(f"/evaluation/targets/{target.id}/measurements")}
        for indicator in target.indicators:
            if indicator["measure"] != "qualitative" and indicator["id"] not in measured:
                in_window(s, demo, target.round, "quantitative_measurement")
                actual = {"actual": measured_value(indicator, share_of(target, "city", indicator, 1))}
                url = f"/evaluation/targets/{target.id}/indicators/{indicator['id']}/actual"
                s.write("PUT", url, json=actual)
        agency = s.agency(target)
        if agency.get(f"/evaluation/targets/{target.id}/report").status_code == 404:
            in_window(s, demo, target.round, "report_submission")
            report = {
                "title": f"2017 {target.district} 시민협력플랫폼 최종실적보고서",
                "reference": f"https://example.org/reports/2017-{target.district_code}.pdf",
            }
            s.write("PUT", f"/evaluation/targets/{target.id}/report", agency, json=report)
        done = {
            r["indicator_id"] for r in s.items(f"/evaluation/targets/{target.id}/self-evaluation", agency)
        }
        for indicator in target.indicators:
            if indicator["id"] not in done:
                in_window(s, demo, target.round, "report_submission")
                url = f"/evaluation/targets/{target.id}/indicators/{indicator['id']}/self-evaluation"
                s.write("PUT", url, agency, json=self_score(target, indicator))


def score(s: Session, demo: EvaluationDemo, target: Target, version: int) -> None:
    """Every rater of the target's round not recused from it fills and submits its sheet (seeded)."""
    panel = {
        m["id"]: m
        for m in s.items(f"/evaluation/cycles/{demo.cycle_id}/rounds/{target.round}/panel")
        if m["active"]
    }
    recused = {
        r["panel_member_id"]
        for r in s.items(f"/evaluation/targets/{target.id}/recusals")
        if r["status"] == "upheld"
    }
    for member_id, member in panel.items():
        if member_id in recused:
            demo.excluded.append((target.district, member["name_ko"]))
            continue
        rater = s.rater(member["subject"])
        if s.get(f"/evaluation/targets/{target.id}/scores/mine", rater)["status"] == "submitted":
            continue
        in_window(s, demo, target.round, "qualitative_interviews" if version == 1 else "re_review")
        for indicator in target.indicators:
            body = rater_score(target, member["subject"], indicator, version)
            s.write("PUT", f"/evaluation/targets/{target.id}/scores/{indicator['id']}", rater, json=body)
        s.write("POST", f"/evaluation/targets/{target.id}/scores/submit", rater)


def _result(s: Session, target: Target) -> dict[str, Any] | None:
    response = s.city.get(f"/evaluation/targets/{target.id}/result")
    return None if response.status_code == 404 else demo_http.ok(response)


def results(s: Session, demo: EvaluationDemo, target: Target) -> dict[str, Any]:
    """Move the target's result to published: compute, notify, (appeal, re-review), confirm, publish."""
    url = f"/evaluation/targets/{target.id}"
    while True:
        result = _result(s, target)
        status = result["status"] if result else None
        appeal = result.get("appeal") if result else None
        if status == "published":
            return result  # type: ignore[return-value]
        if status is None:
            s.write("POST", f"{url}/result")
        elif status == "draft":
            in_window(s, demo, target.round, "notification")
            s.write("POST", f"{url}/result/notify")
        elif status == "notified" and target.district_code == APPEALING_DISTRICT:
            in_window(s, demo, target.round, "appeal")
            s.write("POST", f"{url}/appeal", s.agency(target), json={"reason": APPEAL_REASON})
        elif status == "appealed" and appeal and appeal["re_review_opened_at"] is None:
            in_window(s, demo, target.round, "re_review")
            s.write("POST", f"{url}/re-review")
        elif status == "appealed":
            score(s, demo, target, 2)
            s.write("POST", f"{url}/result")
        elif status in ("notified", "re_reviewed"):
            in_window(s, demo, target.round, "confirmation")
            s.write("POST", f"{url}/result/confirm", json={})
        elif status == "confirmed":
            s.write("POST", f"{url}/result/publish")


def load_evaluation(
    base_url: str, base: Path, grants: dict[str, int] | None = None
) -> tuple[EvaluationDemo, dict[str, Any], list[dict[str, Any]]]:
    """Load the 2017 evaluation; return it, the cycle's comparison by rater type and the published results.

    With `grants` (district code → grant id) each target names its district's platform grant."""
    s = Session(base_url)
    try:
        demo = set_up(s, platform_rows(base), grants)
        appoint_panel(s, demo)
        submissions(s, demo)
        for target in demo.targets:
            score(s, demo, target, 1)
        published = [results(s, demo, target) for target in demo.targets]
        comparison = s.get(f"/evaluation/cycles/{demo.cycle_id}/comparison")
        demo.created, demo.extensions = s.created, s.extensions
        return demo, comparison, published
    finally:
        s.close()


def run(base_url: str, base: Path) -> None:
    print(render(*load_evaluation(base_url, base)))

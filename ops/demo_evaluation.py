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

import csv
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from shared.auth import Role, mint_token
from shared.seoul import today_seoul
from shared.settings import CommonSettings

CYCLE = {"programme": "civic_platform", "name_ko": "2017 시민협력플랫폼 1차년도 성과평가", "year": 2017}
SOURCE = "seed 004 (2017-06), 시민협력플랫폼 성과평가 추진 일정(안); data/seoul_2017/civic_platforms.csv"
# Seed 004's schedule: one date range for step V (interviews and notification), one for step VI (appeal,
# re-review, confirmation).
SCHEDULE_2017: dict[int, dict[str, tuple[str, str]]] = {
    1: {
        "report_submission": ("2017-08-25", "2017-08-31"),
        "quantitative_measurement": ("2017-09-01", "2017-09-11"),
        "qualitative_interviews": ("2017-09-12", "2017-09-22"),
        "notification": ("2017-09-12", "2017-09-22"),
        "appeal": ("2017-09-23", "2017-09-28"),
        "re_review": ("2017-09-23", "2017-09-28"),
        "confirmation": ("2017-09-23", "2017-09-28"),
    },
    2: {
        "report_submission": ("2017-09-25", "2017-09-30"),
        "quantitative_measurement": ("2017-10-01", "2017-10-11"),
        "qualitative_interviews": ("2017-10-12", "2017-10-22"),
        "notification": ("2017-10-12", "2017-10-22"),
        "appeal": ("2017-10-23", "2017-10-28"),
        "re_review": ("2017-10-23", "2017-10-28"),
        "confirmation": ("2017-10-23", "2017-10-28"),
    },
}
RUBRIC = {
    "name_ko": "5단계 평가척도",
    "levels": [
        {"label_ko": "매우 우수", "value": 5},
        {"label_ko": "우수", "value": 4},
        {"label_ko": "보통", "value": 3},
        {"label_ko": "미흡", "value": 2},
        {"label_ko": "매우 미흡", "value": 1},
        {"label_ko": "해당 없음", "not_applicable": True},
    ],
}
# Common (공통) 60 points; each target's own (개별) 40: 100 in all. The seed names no indicators; these are
# examples in its spirit, for a city officer to correct.
COMMON: list[dict[str, Any]] = [
    {"name_ko": "공론장 운영 횟수", "measure": "unit", "weight": 20, "baseline": 4, "target": 12},
    {"name_ko": "네트워크 참여 단체 수", "measure": "unit", "weight": 15, "baseline": 5, "target": 15},
    {"name_ko": "시민 참여 인원 증가율", "measure": "percentage", "weight": 10, "baseline": 0, "target": 30},
    {"name_ko": "협치 거버넌스 운영의 민주성", "measure": "qualitative", "weight": 15},
]


def specific(district: str) -> list[dict[str, Any]]:
    return [
        {"name_ko": f"{district} 의제 사업 추진 실적", "measure": "qualitative", "weight": 25},
        {"name_ko": "청년활동가 활동 지원 건수", "measure": "unit", "weight": 15, "baseline": 0, "target": 6},
    ]


# 8 raters (seed 004: 평가단 8명 내외): officials rate with a city officer's token, experts as evaluators.
PANEL = [
    ("official-kang", "강서윤", "official"),
    ("official-lee", "이도현", "official"),
    ("official-park", "박지민", "official"),
    ("official-choi", "최하은", "official"),
    ("expert-kim", "김평가", "expert"),
    ("expert-jung", "정민호", "expert"),
    ("expert-yoon", "윤소라", "expert"),
    ("expert-han", "한지우", "expert"),
]
TIED_RATER, TIED_DISTRICT, TIED_MEMBER = "expert-kim", "11380", "(사)은평상상"
APPEALING_DISTRICT = "11380"  # 은평구, round 1
APPEAL_REASON = "정량지표 실적 집계에서 3분기 공론장 2회가 빠졌습니다. 재심의를 요청합니다."
BANDS = [
    {"min_total": 90, "category": "continue_with_increase"},
    {"min_total": 70, "category": "continue"},
    {"min_total": 60, "category": "reduce"},
    {"min_total": 0, "category": "stop"},
]


def platform_rows(base: Path) -> list[dict[str, str]]:
    with (base / "data" / "seoul_2017" / "civic_platforms.csv").open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def _ok(response: httpx.Response) -> Any:
    if response.status_code not in (200, 201):
        request = response.request
        raise RuntimeError(f"{request.method} {request.url.path}: {response.status_code} {response.text}")
    return response.json() if response.content else None


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


class Session:
    """One client per token: the city officer, each rater and each agency, minted like the other demos."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.clients: dict[tuple[str, str], httpx.Client] = {}
        self.created = 0
        self.extensions = 0
        self.window_ends: dict[str, date] = {}  # window URL → its last day, as last read or extended

    def client(self, role: Role, subject: str, organization_id: int | None = None) -> httpx.Client:
        key = (role.value, subject)
        if key not in self.clients:
            token = mint_token(
                CommonSettings(),
                subject=subject,
                role=role,
                organization_id=organization_id,
                name="make demo",
            )
            self.clients[key] = httpx.Client(
                base_url=self.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
            )
        return self.clients[key]

    @property
    def city(self) -> httpx.Client:
        return self.client(Role.city_officer, "ops-demo")

    def rater(self, subject: str) -> httpx.Client:
        role = Role.city_officer if subject.startswith("official") else Role.evaluator
        return self.client(role, subject)

    def agency(self, target: Target) -> httpx.Client:
        return self.client(Role.agency, f"agency-{target.organization_id}", target.organization_id)

    def get(self, path: str, client: httpx.Client | None = None, **params: Any) -> Any:
        return _ok((client or self.city).get(path, params=params))

    def write(self, method: str, path: str, client: httpx.Client | None = None, **kwargs: Any) -> Any:
        self.created += 1
        return _ok((client or self.city).request(method, path, **kwargs))

    def items(self, path: str, client: httpx.Client | None = None, **params: Any) -> Iterator[dict[str, Any]]:
        cursor = None
        while True:
            query = {"limit": 200, **params, **({"cursor": cursor} if cursor else {})}
            page = self.get(path, client, **query)
            yield from page["items"]
            cursor = page.get("next_cursor")
            if not cursor:
                return

    def close(self) -> None:
        for client in self.clients.values():
            client.close()


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


# The seeded scores: a target's quality (0..1) is drawn once per district; each rater's score of an indicator
# adds its own noise, experts a little stricter; the agency claims a little less than the panel sees (seed 001
# found the self scores lowest). String seeds make every run draw the same.
def quality(target: Target) -> float:
    return random.Random(f"quality|{target.district_code}").uniform(0.6, 0.95)  # noqa: S311 - demo data


def _share(target: Target, who: str, indicator: dict[str, Any], version: int) -> float:
    rng = random.Random(f"{target.district_code}|{who}|{indicator['name_ko']}|v{version}")  # noqa: S311
    bias = {"expert": -0.03, "self": -0.08}.get(who.split("-")[0], 0.0)
    if version == 2 and indicator["name_ko"] == "공론장 운영 횟수":
        bias += 0.1  # the appeal's two missing forums, counted at the re-review
    return min(1.0, max(0.0, quality(target) + bias + rng.gauss(0, 0.07)))


def _level(share: float) -> int:
    """Rubric position, 1 = 매우 우수 (5) … 5 = 매우 미흡 (1)."""
    return 6 - min(5, max(1, round(share * 5)))


def rater_score(target: Target, subject: str, indicator: dict[str, Any], version: int) -> dict[str, Any]:
    share = _share(target, subject, indicator, version)
    if indicator["measure"] == "qualitative":
        return {"level": _level(share)}
    return {"points": str(Decimal(round(share * indicator["weight"] * 2)) / 2)}


def _value(indicator: dict[str, Any], share: float) -> str:
    baseline, goal = Decimal(indicator["baseline"]), Decimal(indicator["target"])
    return str((baseline + (goal - baseline) * Decimal(str(round(share, 2)))).quantize(Decimal(1)))


def self_score(target: Target, indicator: dict[str, Any]) -> dict[str, Any]:
    share = _share(target, "self", indicator, 1)
    if indicator["measure"] == "qualitative":
        return {"level": _level(share)}
    return {"value": _value(indicator, share)}


def submissions(s: Session, demo: EvaluationDemo) -> None:
    """The city's measured values, then each agency's report and self-evaluation (its own token)."""
    for target in demo.targets:
        measured = {m["indicator_id"] for m in s.get(f"/evaluation/targets/{target.id}/measurements")}
        for indicator in target.indicators:
            if indicator["measure"] != "qualitative" and indicator["id"] not in measured:
                in_window(s, demo, target.round, "quantitative_measurement")
                actual = {"actual": _value(indicator, _share(target, "city", indicator, 1))}
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
    return None if response.status_code == 404 else _ok(response)


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


def render(demo: EvaluationDemo, comparison: dict[str, Any], published: list[dict[str, Any]]) -> str:
    by_id = {t.id: t for t in demo.targets}
    lines = [f"\n2017 시민협력플랫폼 성과평가 (주기 {demo.cycle_id}, API에서 읽음)"]
    for result in published:
        target = by_id[result["target_id"]]
        appealed = " (이의 제기 → 재심의)" if result["review_version"] == 2 else ""
        lines.append(
            f"  {target.district} {target.round}차: {result['total_display']}점"
            f" {result['category_ko']}{appealed}"
        )
    for district, rater in sorted(set(demo.excluded)):
        lines.append(f"  제척: {rater} 위원은 {district} 평가에서 제외 (선언된 관계)")
    lines.append("평가 주체별 비교 (대상 평균 총점, 자체·공무원·전문가)")
    for kind, label in (("self", "자체"), ("official", "공무원"), ("expert", "전문가")):
        total = comparison["totals"].get(kind) or {}
        lines.append(f"  {label}: {total.get('points')} (n={total.get('n')})")
    for key, diff in comparison["differences"].items():
        lines.append(f"  {key}: {diff.get('points')}")
    lines.append(f"  자체 평가가 가장 낮음 (seed 001의 발견): {comparison['self_lowest']}")
    for rel in comparison["reliability"]:
        iccs = ", ".join(f"{i['type']}={i['value']:.3f}" for i in rel["icc"])
        alpha = "없음" if rel["alpha_interval"] is None else f"{rel['alpha_interval']:.3f}"
        lines.append(
            f"  {rel['round']}차 신뢰도: 평가위원 {rel['raters']}명, Krippendorff α={alpha}"
            f" ({rel['units']} units); ICC ({rel['icc_units']} units): {iccs or '없음'}"
        )
    lines.append(
        f"{demo.created} evaluation records written, {demo.extensions} windows extended"
        f" ({'first load' if demo.created else 'already loaded'})."
    )
    return "\n".join(lines)


def run(base_url: str, base: Path) -> None:
    print(render(*load_evaluation(base_url, base)))

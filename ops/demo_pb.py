"""`make demo-year`, the participatory-budget part: one district's cycle, from proposals to spending.

Through the public API, as the roles that do each step: citizens submit proposals; the department reviews
them (one is refused as already funded); the public-private budget council shortlists at most 170 % of the
envelope (서면심사), the shortlist goes through the three deliberation stages and is revised; the second
screening keeps at most 130 % (심층심사); a weighted vote (citizens 50, committee 40, budget school 10;
every ballot cast by its voter's own token) is closed and published, which selects the winners; the
winners become funded projects; the district's officer starts one and records its expenses; then a small
amendment (under 10 %) cites a passed motion of the district governance council itself (its
`district_council` body; fictional, labelled members take some of its unnamed seats so that they can be
marked present), recorded in councils first, and a large one (over 10 %) waits for the city's approval.

Idempotent: the cycle, the council's meeting and the amendments are looked up by name and reused.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from ops.demo_http import items, ok, role_client
from ops.demo_projects import record_expenditures
from shared.auth import Role

DISTRICT, DISTRICT_KO = "11620", "관악구"
YEAR = 2017
ENVELOPE_KRW = 100_000_000
CYCLE_NAME = f"{YEAR}년 {DISTRICT_KO} 시민참여예산 협치형 (demo-year)"
ELECTION_NAME = f"{CYCLE_NAME} 최종 선정 투표"
# (title, requested KRW, review passes): the sum is well over 170 % of the envelope, so screening bites.
PROPOSALS: list[tuple[str, int, bool]] = [
    ("마을 공유부엌 조성", 40_000_000, True),
    ("청년 공론장 운영", 30_000_000, True),
    ("골목길 안전 지도 만들기", 35_000_000, True),
    ("어르신 디지털 배움터", 45_000_000, True),
    ("하천변 생태 놀이터", 60_000_000, True),
    ("구청 주차장 확장", 50_000_000, False),  # 이미 구 예산으로 추진 중
]
FIRST_SHORTLIST = (
    "마을 공유부엌 조성",
    "청년 공론장 운영",
    "골목길 안전 지도 만들기",
    "어르신 디지털 배움터",
)
SECOND_SHORTLIST = ("마을 공유부엌 조성", "청년 공론장 운영", "골목길 안전 지도 만들기")
REVISED = {
    "마을 공유부엌 조성": 45_000_000,
    "청년 공론장 운영": 28_000_000,
    "골목길 안전 지도 만들기": 32_000_000,
}
GROUPS = [
    {"code": "citizens", "name_ko": "온라인 시민투표", "weight": 50, "open": True},
    {"code": "committee", "name_ko": "시민참여예산위원회", "weight": 40, "open": False},
    {"code": "school", "name_ko": "예산학교 수료자", "weight": 10, "open": False},
]
# (voter subject, group, the shortlist titles chosen)
BALLOTS: list[tuple[str, str, tuple[str, ...]]] = [
    *[(f"demo-year-citizen-{i}", "citizens", ("마을 공유부엌 조성", "청년 공론장 운영")) for i in range(4)],
    *[(f"demo-year-citizen-{i}", "citizens", ("골목길 안전 지도 만들기",)) for i in range(4, 6)],
    *[
        (f"demo-year-committee-{i}", "committee", ("청년 공론장 운영", "골목길 안전 지도 만들기"))
        for i in range(3)
    ],
    ("demo-year-school-0", "school", ("마을 공유부엌 조성",)),
]
COUNCIL_NAME = f"{DISTRICT_KO} 협치회의(민관TFT)"  # ops/demo.py council_name
# The registry's seats are as of 2017-06-30 (ops/demo.py AS_OF); the fictional members sit from 2017-11-01.
SEATED_FROM, SEATS_END = "2017-11-01", "2017-10-31"
FICTIONAL_SOURCE = "make demo-year (가상 인물; 실제 협치회의 위원 명단 아님)"
REPLACED_NOTE = "make demo-year: 명단 미기재 좌석을 가상 위원으로 교체 (출석·표결 기록용)"
COUNCIL_MEMBERS = tuple(
    f"{surname}협치" for surname in ("김", "이", "박", "최", "정", "강", "조", "윤", "장", "임", "한", "오")
)
MEETING_TITLE = f"{DISTRICT_KO} 협치회의 2017년 11월 정기회의 (demo-year)"
MOTION_TITLE = "청년 공론장 운영 사업 예산 소폭 증액(5 %) 동의의 건"
SMALL_REASON = "공론장 참가자 증가에 따른 다과비 증액 (협치회의 결정)"
LARGE_REASON = "청년 공론장 권역 확대 (4개 → 6개 권역)에 따른 사업비 증액, 시 사전협의"
EXPENSES = [
    ("201-01", "청년 공론장 1차 진행비", 250_000, 4, "2017-11-04"),
    ("201-01", "공론장 자료집 인쇄", 12_000, 150, "2017-11-10"),
    ("201-01", "퍼실리테이터 수당", 200_000, 6, "2017-11-18"),
]


@dataclass
class PbYear:
    election_id: int
    selected: list[str]
    projects: dict[str, int]  # title → funded project id
    spent_krw: int
    decision_id: int
    amendments: list[dict[str, Any]] = field(default_factory=list)
    screenings: list[dict[str, Any]] = field(default_factory=list)
    tally: list[dict[str, Any]] = field(default_factory=list)  # the outcome's projects, with their names
    voted_now: bool = False  # False: a second run, which read the cycle back


class Actors:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.city = role_client(base_url, Role.city_officer, "ops-demo")
        self.officer = role_client(base_url, Role.district_officer, "ops-demo-gwanak", DISTRICT)
        self.voters: dict[str, httpx.Client] = {}

    def voter(self, subject: str) -> httpx.Client:
        if subject not in self.voters:
            self.voters[subject] = role_client(self.base_url, Role.citizen, subject)
        return self.voters[subject]

    def close(self) -> None:
        for client in (self.city, self.officer, *self.voters.values()):
            client.close()


def _items(client: httpx.Client, path: str, **params: Any) -> list[dict[str, Any]]:
    return list(items(client, path, **params))


def _cycle(a: Actors) -> tuple[dict[str, Any], bool]:
    for cycle in _items(a.city, "/budget/cycles"):
        if cycle["name_ko"] == CYCLE_NAME:
            return cycle, False
    return ok(a.city.post("/budget/cycles", json={"name_ko": CYCLE_NAME, "fiscal_year": YEAR})), True


def _screen(
    a: Actors, envelope_id: int, round_: int, titles: tuple[str, ...], by_title: dict[str, Any]
) -> Any:
    url = f"/budget/envelopes/{envelope_id}/screenings/{round_}"
    for title in titles:
        body = {"proposal_id": by_title[title]["id"], "note": f"{round_}차 심사 통과"}
        ok(a.city.post(f"{url}/shortlist", json=body))
    over = next(t for t in by_title if t not in titles and by_title[t]["status"] != "rejected")
    refused = a.city.post(f"{url}/shortlist", json={"proposal_id": by_title[over]["id"]})
    if refused.status_code != 422:
        raise RuntimeError(f"screening {round_}: adding {over} past the cap answered {refused.status_code}")
    return ok(a.city.post(f"{url}/close"))


def _proposals_to_vote(a: Actors, cycle_id: int, envelope_id: int) -> tuple[int, list[dict[str, Any]]]:
    by_title: dict[str, Any] = {}
    for number, (title, requested, passes) in enumerate(PROPOSALS):
        proposer = a.voter(f"demo-year-proposer-{number}")
        body = {
            "district_code": DISTRICT,
            "track": "governance",
            "title_ko": title,
            "requested_krw": requested,
        }
        by_title[title] = ok(proposer.post(f"/budget/cycles/{cycle_id}/proposals", json=body))
        review: dict[str, Any] = {"legal_valid": True, "already_funded": not passes, "feasible": True}
        if not passes:
            review["funded_note"] = "2017년 구 자체 예산으로 이미 추진 중인 사업입니다."
        review["department"] = "관악구 협치지원관"
        by_title[title] = ok(a.officer.post(f"/budget/proposals/{by_title[title]['id']}/review", json=review))
    screenings = [_screen(a, envelope_id, 1, FIRST_SHORTLIST, by_title)]
    for title in FIRST_SHORTLIST:
        pid = by_title[title]["id"]
        for stage in ("governance_school", "intensive_workshop", "coaching_forum"):
            ok(a.officer.post(f"/budget/proposals/{pid}/stage", json={"stage": stage}))
        amount = REVISED.get(title, by_title[title]["amount_krw"])
        ok(a.officer.post(f"/budget/proposals/{pid}/revision", json={"amount_krw": amount}))
        by_title[title]["status"] = "revised"
    screenings.append(_screen(a, envelope_id, 2, SECOND_SHORTLIST, by_title))
    now = datetime.now(UTC)
    election = ok(
        a.city.post(
            "/budget/elections",
            json={
                "name_ko": ELECTION_NAME,
                "envelope_id": envelope_id,
                "from_shortlist": True,
                "voter_groups": GROUPS,
                "opens_at": (now - timedelta(minutes=5)).isoformat(),
                "closes_at": (now + timedelta(hours=1)).isoformat(),
            },
        )
    )
    eid = election["id"]
    code_of = {p["name"]: p["project_id"] for p in election["projects"]}
    for group in ("committee", "school"):
        subjects = [s for s, g, _ in BALLOTS if g == group]
        ok(
            a.city.post(
                f"/budget/elections/{eid}/voter-roll", json={"voter_group": group, "subjects": subjects}
            )
        )
    for voter, _group, chosen in BALLOTS:
        ballot = {"project_ids": [code_of[title] for title in chosen]}
        ok(a.voter(voter).put(f"/budget/elections/{eid}/ballot", json=ballot))
    ok(a.city.post(f"/budget/elections/{eid}/close"))
    ok(a.city.post(f"/budget/elections/{eid}/publish"))
    ok(a.city.post(f"/budget/elections/{eid}/projects", json={}))
    return eid, screenings


def _governance_council(a: Actors) -> dict[str, Any]:
    """관악구's district governance council, as `make demo` registered it."""
    bodies = _items(a.city, "/councils/bodies", district=DISTRICT, kind="district_council")
    return next(b for b in bodies if b["name_ko"] == COUNCIL_NAME)


def _seat_fictional_members(a: Actors, council_id: int) -> list[int]:
    """The fictional members' person ids, seated from SEATED_FROM: as many unnamed civil seats end the day
    before (replaced), so the council keeps the registry's 23 seats. Reuses whatever an earlier run did."""
    seats = _items(a.city, "/councils/memberships", organization_id=council_id, active_on=SEATED_FROM)
    seated = {s["person"]["name_ko"]: s["person_id"] for s in seats if s["source"] == FICTIONAL_SOURCE}
    missing = [name for name in COUNCIL_MEMBERS if name not in seated]
    unnamed = [
        s
        for s in seats
        if s["person_id"] is None and s["member_organization_id"] is None and s["sector"] == "civil"
    ]
    if len(unnamed) < len(missing):
        raise RuntimeError(f"{COUNCIL_NAME}: {len(unnamed)} unnamed civil seats, {len(missing)} to replace")
    for seat in unnamed[: len(missing)]:
        end = {"end_date": SEATS_END, "end_reason": "replaced", "end_note": REPLACED_NOTE}
        ok(a.city.patch(f"/councils/memberships/{seat['id']}", json=end))
    known = {p["name_ko"]: p["id"] for p in _items(a.city, "/councils/persons", district=DISTRICT, q="협치")}
    for name in missing:
        if name not in known:
            person = {"name_ko": name, "district_code": DISTRICT, "source": FICTIONAL_SOURCE}
            known[name] = ok(a.city.post("/councils/persons", json=person))["id"]
        membership = {
            "organization_id": council_id,
            "person_id": known[name],
            "role": "member",
            "sector": "civil",
            "start_date": SEATED_FROM,
            "source": FICTIONAL_SOURCE,
        }
        ok(a.city.post("/councils/memberships", json=membership))
        seated[name] = known[name]
    return [seated[name] for name in COUNCIL_MEMBERS]


def _council_decision(a: Actors) -> int:
    """A passed motion of 관악구's district governance council itself, recorded in councils. The registry
    names none of its 23 seats, and an unnamed seat cannot be marked present; so, from SEATED_FROM, 12
    fictional members (labelled so in `source`) take 12 of its civil seats, and at a held meeting the 12
    of them present meet the quorum (more than half of 23) and pass the motion (more than half of 12)."""
    council = _governance_council(a)
    meetings = _items(a.city, "/councils/meetings", organization_id=council["id"])
    meeting = next((m for m in meetings if m["title"] == MEETING_TITLE), None)
    if meeting is None:
        people = _seat_fictional_members(a, council["id"])
        meeting = ok(
            a.city.post(
                "/councils/meetings",
                json={
                    "organization_id": council["id"],
                    "kind": "regular",
                    "title": MEETING_TITLE,
                    "starts_at": "2017-11-20T19:00:00+09:00",
                    "status": "held",
                },
            )
        )
        records = [{"person_id": person_id, "status": "present"} for person_id in people]
        ok(a.city.put(f"/councils/meetings/{meeting['id']}/attendance", json={"records": records}))
        motion = {"title": MOTION_TITLE, "counts": {"yes": 10, "no": 1, "abstain": 1}}
        ok(a.city.post(f"/councils/meetings/{meeting['id']}/motions", json=motion))
    motions = ok(a.city.get(f"/councils/meetings/{meeting['id']}"))["motions"]
    return int(next(m for m in motions if m["title"] == MOTION_TITLE)["id"])


def _amend(a: Actors, project_id: int, decision_id: int) -> list[dict[str, Any]]:
    url = f"/budget/projects/{project_id}/amendments"
    done = {x["reason_ko"]: x for x in ok(a.officer.get(url))}
    line = ok(a.city.get(f"/budget/projects/{project_id}"))["lines"][0]
    if SMALL_REASON not in done:
        body = {
            "lines": [{"line_id": line["id"], "amount_krw": line["amount_krw"] * 105 // 100}],
            "reason_ko": SMALL_REASON,
            "council_decision_id": decision_id,
        }
        done[SMALL_REASON] = ok(a.officer.post(url, json=body))
        line = ok(a.city.get(f"/budget/projects/{project_id}"))["lines"][0]
    if LARGE_REASON not in done:
        body = {"lines": [{"line_id": line["id"], "amount_krw": line["amount_krw"] * 125 // 100}]}
        large = ok(a.officer.post(url, json={**body, "reason_ko": LARGE_REASON}))
        decision = {"decision": "approved", "reason_ko": "시 사전협의 완료: 권역 확대 타당"}
        done[LARGE_REASON] = ok(a.city.post(f"/budget/amendments/{large['id']}/decision", json=decision))
    return [done[SMALL_REASON], done[LARGE_REASON]]


def play(base_url: str) -> PbYear:
    """Play (or, on a second run, read back) the district's participatory-budget year."""
    a = Actors(base_url)
    try:
        cycle, _new_cycle = _cycle(a)
        envelopes = ok(a.city.get(f"/budget/cycles/{cycle['id']}/envelopes"))
        if not envelopes:
            body = {"district_code": DISTRICT, "track": "governance", "amount_krw": ENVELOPE_KRW}
            envelopes = [ok(a.city.post(f"/budget/cycles/{cycle['id']}/envelopes", json=body))]
        envelope_id = envelopes[0]["id"]
        elections = [e for e in _items(a.city, "/budget/elections") if e["name_ko"] == ELECTION_NAME]
        if elections:
            eid = elections[0]["id"]
            screenings = [ok(a.city.get(f"/budget/envelopes/{envelope_id}/screenings/{r}")) for r in (1, 2)]
        else:
            eid, screenings = _proposals_to_vote(a, cycle["id"], envelope_id)
        outcome = ok(a.city.get(f"/budget/elections/{eid}/outcome"))
        names = {p["project_id"]: p["name"] for p in ok(a.city.get(f"/budget/elections/{eid}"))["projects"]}
        selected = [names[code] for code in outcome["selected"]]
        tally = [{**p, "name": names[p["project_id"]]} for p in outcome["projects"]]
        projects = {
            p["title_ko"]: p["id"]
            for p in _items(a.city, "/budget/projects", district_code=DISTRICT)
            if p["title_ko"] in selected
        }
        pid = projects["청년 공론장 운영"]
        detail = ok(a.city.get(f"/budget/projects/{pid}"))
        if detail["status"] != "in_progress":
            ok(a.officer.post(f"/budget/projects/{pid}/status", json={"status": "in_progress"}))
        rows = [
            {
                "account_code": code,
                "event": f"{spent} 청년 공론장",
                "item": item,
                "unit_price_krw": str(price),
                "quantity": str(qty),
                "amount_krw": str(price * qty),
                "spent_on": spent,
                "receipt_ref": f"관악구-협치-{i + 1:03d}",
            }
            for i, (code, item, price, qty, spent) in enumerate(EXPENSES)
        ]
        record_expenditures(a.officer, pid, detail["lines"][0]["id"], rows, payee="관악청년네트워크")
        spent = ok(a.city.get(f"/budget/projects/{pid}/summary"))["spent_krw"]
        decision_id = _council_decision(a)
        amendments = _amend(a, pid, decision_id)
        return PbYear(
            eid, selected, projects, spent, decision_id, amendments, screenings, tally, not elections
        )
    finally:
        a.close()

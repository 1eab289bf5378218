"""Meetings and motions: quorum and passing at, just below and just above each line, with the arithmetic."""

from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import assert_problem
from tests.councils.helpers import Api, attend, meeting, motion, seated_body


async def decide(
    api: Api, present: int, votes: tuple[int, int, int], kind: str = "ordinary"
) -> dict[str, Any]:
    body, people = await seated_body(api, 10)
    held = await meeting(api, body)
    assert (await attend(api, held["id"], people[:present])).status_code == 200
    await attend(api, held["id"], people[present:], "absent")
    return await api.ok(await motion(api, held["id"], *votes, classification=kind))


@pytest.mark.parametrize(
    ("present", "votes", "quorum_met", "passed"),
    [
        (5, (5, 0, 0), False, False),  # 10 enrolled: 5 present is not more than half
        (6, (6, 0, 0), True, True),  # 6 present is
        (6, (3, 2, 1), True, False),  # 6 present: 3 yes is not more than half
        (6, (4, 1, 1), True, True),  # 4 yes is
        (7, (4, 3, 0), True, True),  # 7 present: more than 3.5 means 4
        (7, (3, 0, 4), True, False),
    ],
)
async def test_ordinary_motion_at_the_lines(
    api: Api, present: int, votes: tuple[int, int, int], quorum_met: bool, passed: bool
) -> None:
    vote = (await decide(api, present, votes))["vote"]
    assert (vote["enrolled"], vote["present"]) == (10, present)
    assert vote["quorum"] == {"rule": "more than 1/2 of 10 enrolled", "required": 6, "met": quorum_met}
    assert vote["passed"] is passed and vote["result"] == ("pass" if passed else "fail")
    assert vote["counts"] == dict(zip(("yes", "no", "abstain"), votes, strict=True))


async def test_the_arithmetic_is_shown(api: Api) -> None:
    out = await decide(api, 6, (4, 1, 1))
    assert out["requirement"] == (
        "more than 1/2 of enrolled members present; more than 1/2 of those present in favour"
    )
    vote = out["vote"]
    assert vote["passing"] == {"rule": "more than 1/2 of 6 present", "required": 4, "met": True}
    assert vote["explanation"] == (
        "10 members enrolled on 2017-06-26; quorum needs more than 1/2 of 10 enrolled = 6 present; "
        "6 present: quorum met. Passing needs more than 1/2 of 6 present = 4 in favour; "
        "4 yes, 1 no, 1 abstain: passed."
    )


@pytest.mark.parametrize(
    ("present", "yes", "passed"), [(6, 4, True), (6, 3, False), (9, 6, True), (9, 5, False)]
)
async def test_rule_amendments_need_two_thirds_of_those_present(
    api: Api, present: int, yes: int, passed: bool
) -> None:
    vote = (await decide(api, present, (yes, present - yes, 0), "rule_amendment"))["vote"]
    assert vote["passing"]["rule"] == f"at least 2/3 of {present} present"
    assert vote["passed"] is passed


async def test_rules_come_from_the_body(api: Api) -> None:
    rules = {
        "quorum": {"numerator": 1, "denominator": 3, "comparison": "at_least"},
        "passing": {"numerator": 2, "denominator": 3, "comparison": "at_least"},
    }
    body, people = await seated_body(api, 9, rules=rules)
    held = await meeting(api, body)
    await attend(api, held["id"], people[:3])
    vote = (await api.ok(await motion(api, held["id"], 2, 1, 0)))["vote"]
    assert vote["quorum"] == {"rule": "at least 1/3 of 9 enrolled", "required": 3, "met": True}
    assert (vote["passing"]["required"], vote["passed"]) == (2, True)


async def test_enrolment_is_counted_on_the_meeting_date_in_seoul(api: Api) -> None:
    body, people = await seated_body(api, 2)
    late = await api.person()
    await api.membership(organization_id=body["id"], person_id=late["id"], start_date="2017-06-26")
    # 00:30 in Seoul on the 26th is still the 25th in UTC: the Seoul date counts.
    early = await meeting(api, body, starts_at="2017-06-26T00:30:00+09:00")
    assert early["starts_at"] == "2017-06-26T00:30:00+09:00"
    await attend(api, early["id"], [*people, late])
    vote = (await api.ok(await motion(api, early["id"], 3, 0, 0)))["vote"]
    assert (vote["on"], vote["enrolled"], vote["present"]) == ("2017-06-26", 3, 3)
    before = await meeting(api, body, starts_at="2017-06-25T23:30:00+09:00")
    response = await attend(api, before["id"], [late])
    assert_problem(response, 422, field="body.records.0.person_id")
    assert (await attend(api, before["id"], [late], "observer")).status_code == 200


async def test_votes_cannot_exceed_those_present(api: Api) -> None:
    body, people = await seated_body(api, 4)
    held = await meeting(api, body)
    await attend(api, held["id"], people[:3])
    assert_problem(await motion(api, held["id"], 2, 1, 1), 422, field="body.counts")
    made = await api.ok(await motion(api, held["id"], 2, 1, 0))
    # Marking a voter absent afterwards would leave more votes than people present.
    assert_problem(await attend(api, held["id"], people[:1], "absent"), 422, field="body.records")
    pending = await api.client.post(
        f"/councils/meetings/{held['id']}/motions", json={"title": "보류"}, headers=api.city
    )
    assert pending.json()["vote"]["result"] == "pending" and pending.json()["vote"]["passed"] is None
    counted = await api.client.patch(
        f"/councils/motions/{pending.json()['id']}",
        json={"counts": {"yes": 1, "no": 1, "abstain": 1}},
        headers=api.city,
    )
    assert counted.json()["vote"]["result"] == "fail"
    assert (await api.client.get(f"/councils/motions/{made['id']}")).json()["vote"]["passed"] is True


async def test_a_decision_is_citable(api: Api) -> None:
    body, people = await seated_body(api, 3, district_code="11380", name_ko="협치은평구회의")
    held = await meeting(api, body, starts_at="2017-09-14T19:00:00+09:00")
    await attend(api, held["id"], people)
    made = await api.ok(await motion(api, held["id"], 2, 1, 0))
    decision = (await api.client.get(f"/councils/decisions/{made['id']}")).json()
    assert {
        k: decision[k] for k in ("body_id", "body_name_ko", "district_code", "date", "passed", "result")
    } == {
        "body_id": body["id"],
        "body_name_ko": "협치은평구회의",
        "district_code": "11380",
        "date": "2017-09-14",
        "passed": True,
        "result": "pass",
    }
    body_404 = assert_problem(
        await api.client.get("/councils/decisions/999999"), 404, field="path.decision_id"
    )
    assert body_404["code"] == "motion-not-found"


async def test_a_meeting_carries_agenda_documents_attendance_and_motions(api: Api) -> None:
    body, people = await seated_body(api, 2)
    agenda = [{"title": "운영위원 사임 처리의 건", "kind": "deliberation"}, {"title": "운영규정 개정(안)"}]
    held = await meeting(api, body, agenda=agenda, place="은평상상허브 3층 즐거운 소통")
    assert [(a["position"], a["title"]) for a in held["agenda"]] == [
        (1, agenda[0]["title"]),
        (2, agenda[1]["title"]),
    ]
    extra = await api.client.post(
        f"/councils/meetings/{held['id']}/agenda-items", json={"title": "기타 안건"}, headers=api.city
    )
    assert extra.json()["position"] == 3
    doc = await api.client.post(
        f"/councils/meetings/{held['id']}/documents",
        json={"kind": "minutes", "title": "4차 전체회의 회의록", "content": "참석자 인사"},
        headers=api.city,
    )
    assert doc.status_code == 201
    await attend(api, held["id"], people[:1])
    await attend(api, held["id"], people[1:], "excused")
    response = await api.client.post(
        f"/councils/meetings/{held['id']}/motions",
        json={
            "title": "사임 처리",
            "agenda_item_id": held["agenda"][0]["id"],
            "counts": {"yes": 1, "no": 0, "abstain": 0},
        },
        headers=api.city,
    )
    assert response.status_code == 201
    detail = (await api.client.get(f"/councils/meetings/{held['id']}")).json()
    assert [d["kind"] for d in detail["documents"]] == ["minutes"]
    assert sorted(a["status"] for a in detail["attendance"]) == ["excused", "present"]
    assert detail["motions"][0]["vote"]["quorum"]["met"] is False  # 1 of 2 is not a majority


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"ends_at": "2017-06-26T14:00:00"}, "body.ends_at"),
        ({"kind": "party"}, "body.kind"),
        ({"starts_at": "tomorrow"}, "body.starts_at"),
        ({"organization_id": 999999}, "body.organization_id"),
    ],
)
async def test_bad_meeting_input_is_a_422_naming_the_field(
    api: Api, fields: dict[str, object], field: str
) -> None:
    body = await api.body()
    payload = {
        "organization_id": body["id"],
        "kind": "plenary",
        "title": "x",
        "starts_at": "2017-06-26T15:00",
        **fields,
    }
    assert_problem(
        await api.client.post("/councils/meetings", json=payload, headers=api.city), 422, field=field
    )


async def test_only_secretariats_and_the_city_record_meetings(
    api: Api, auth: Callable[..., dict[str, str]]
) -> None:
    body = await api.body(district_code="11380")
    payload = {
        "organization_id": body["id"],
        "kind": "regular",
        "title": "x",
        "starts_at": "2017-06-26T15:00",
    }
    assert (
        await api.client.post("/councils/meetings", json=payload, headers=auth("secretariat"))
    ).status_code == 201
    payload["starts_at"] = "2017-06-27T15:00"
    assert (
        await api.client.post("/councils/meetings", json=payload, headers=auth("secretariat", "11380"))
    ).status_code == 201
    for role, district in (("secretariat", "11110"), ("district_officer", "11380"), ("citizen", None)):
        response = await api.client.post("/councils/meetings", json=payload, headers=auth(role, district))
        assert_problem(response, 403)
    assert_problem(await api.client.post("/councils/meetings", json=payload), 401)

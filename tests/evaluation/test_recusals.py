"""Recusal: 제척 computed from ties (also when they or the target's member organisations change later),
기피 asked by the agency and decided without the challenged rater, 회피 by the rater; 403 names the ground."""

import asyncio
from typing import Any

import httpx
import time_machine

from tests.conftest import assert_problem
from tests.evaluation.conftest import Auth, Evaluation
from tests.evaluation.panel import SCORING, Scene, scene


async def _recusals(s: Scene, **params: Any) -> list[dict[str, Any]]:
    response = await s.api.client.get(
        f"/evaluation/targets/{s.target_id}/recusals", headers=s.api.city, params=params
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def _assert_recused(response: httpx.Response, ground: str) -> None:
    problem = assert_problem(response, 403, "path.target_id")
    assert (problem["code"], problem["ground"]) == ("rater-recused", ground), problem


async def test_a_tie_to_the_target_organisation_excludes_the_rater_from_reading_and_scoring(
    api: Evaluation,
) -> None:
    s = await scene(api)
    await s.appoint("expert-tied", ties=[int(s.target["organization_id"])])
    await s.appoint("expert-free", ties=[9999])
    [exclusion] = await _recusals(s)
    assert (exclusion["ground"], exclusion["status"]) == ("exclusion", "upheld")
    assert str(s.target["organization_id"]) in exclusion["reason"]
    with time_machine.travel(SCORING, tick=False):
        _assert_recused(await s.score("expert-tied", s.unit, points="10"), "exclusion")
        _assert_recused(await s.submit("expert-tied"), "exclusion")
        _assert_recused(await s.scores(s.rater("expert-tied")), "exclusion")
        korean = await s.api.client.get(
            f"/evaluation/targets/{s.target_id}/scores",
            headers={**s.rater("expert-tied"), "Accept-Language": "ko"},
        )
        problem = assert_problem(korean, 403)
        assert (
            problem["title"] == "해당 평가대상에서 제척·기피·회피된 평가위원" and "제척" in problem["detail"]
        )
        assert (await s.score("expert-free", s.unit, points="10")).status_code == 200


async def test_exclusions_follow_later_changes_of_member_organisations_and_ties(
    api: Evaluation, auth: Auth
) -> None:
    s = await scene(api)
    member = await s.appoint("expert-m", ties=[501])
    url = f"/evaluation/targets/{s.target_id}/member-organizations"
    assert await _recusals(s) == []
    assert_problem(
        await api.client.put(url, json={"organization_ids": [501]}, headers=auth("evaluator")), 403
    )
    set_ = await api.client.put(url, json={"organization_ids": [502, 501]}, headers=api.city)
    assert set_.status_code == 200, set_.text
    assert set_.json()["member_organization_ids"] == [501, 502]
    assert [(r["panel_member_id"], r["status"]) for r in set_.json()["exclusions"]] == [
        (member["id"], "upheld")
    ]
    with time_machine.travel(SCORING, tick=False):
        _assert_recused(await s.score("expert-m", s.unit, points="1"), "exclusion")
    # The consortium loses that member organisation: the exclusion is lifted, the rater scores.
    lifted = await api.client.put(url, json={"organization_ids": [502]}, headers=api.city)
    assert [r["status"] for r in lifted.json()["exclusions"]] == ["lifted"]
    with time_machine.travel(SCORING, tick=False):
        assert (await s.score("expert-m", s.unit, points="1")).status_code == 200
    # A tie declared later excludes again; removing it lifts again.
    ties = f"/evaluation/panel-members/{member['id']}/ties"
    assert (
        await api.client.post(ties, json={"organization_id": 502, "reason": "감사"}, headers=api.city)
    ).status_code == 201
    assert [r["status"] for r in await _recusals(s)] == ["upheld"]
    with time_machine.travel(SCORING, tick=False):
        _assert_recused(await s.score("expert-m", s.unit, points="2"), "exclusion")
    assert (await api.client.delete(f"{ties}/502", headers=api.city)).status_code == 200
    assert [r["status"] for r in await _recusals(s)] == ["lifted"]


async def test_member_organisations_are_validated_with_the_field_named(api: Evaluation) -> None:
    s = await scene(api)
    url = f"/evaluation/targets/{s.target_id}/member-organizations"
    own = int(s.target["organization_id"])
    cases = [
        ({"organization_ids": [own]}, "body.organization_ids.0"),
        ({"organization_ids": [7, 7]}, "body.organization_ids.1"),
        ({"organization_ids": [8, 0]}, "body.organization_ids.1"),
        ({"organization_ids": [2**31]}, "body.organization_ids.0"),
        ({"organization_ids": "7"}, "body.organization_ids"),
    ]
    for body, field in cases:
        assert_problem(await api.client.put(url, json=body, headers=api.city), 422, field)
    assert_problem(
        await api.client.put(
            "/evaluation/targets/999999/member-organizations", json={"organization_ids": []}, headers=api.city
        ),
        404,
    )
    assert (await api.client.put(url, json={"organization_ids": []}, headers=api.city)).status_code == 200


async def test_a_challenge_is_decided_by_another_officer_and_blocks_scoring_while_pending(
    api: Evaluation, auth: Auth
) -> None:
    s = await scene(api)
    challenged = await s.appoint("official-c")
    await s.appoint("expert-other")
    url = f"/evaluation/targets/{s.target_id}/challenges"
    body = {"panel_member_id": challenged["id"], "reason": "컨소시엄 구성단체와 용역 계약 관계"}
    assert_problem(
        await api.client.post(url, json=body, headers=s.agency(int(s.target["organization_id"]) + 1)), 403
    )
    assert_problem(await api.client.post(url, json=body, headers=api.city), 403)
    assert_problem(
        await api.client.post(url, json={**body, "panel_member_id": 999999}, headers=s.agency()),
        422,
        "body.panel_member_id",
    )
    assert_problem(
        await api.client.post(url, json={**body, "reason": ""}, headers=s.agency()), 422, "body.reason"
    )
    made = await api.client.post(url, json=body, headers=s.agency())
    assert made.status_code == 201, made.text
    challenge = made.json()
    assert (challenge["ground"], challenge["status"]) == ("challenge", "pending")
    again = await api.client.post(url, json=body, headers=s.agency())
    assert assert_problem(again, 409, "body.panel_member_id")["code"] == "recusal-exists"
    with time_machine.travel(SCORING, tick=False):
        pending = assert_problem(await s.score("official-c", s.unit, points="5"), 403, "path.target_id")
        assert pending["code"] == "rater-challenged"
        # Reading is not barred while pending; only an upheld challenge recuses.
        assert (
            await s.api.client.get(
                f"/evaluation/targets/{s.target_id}/scores/mine", headers=s.rater("official-c")
            )
        ).status_code == 200
    decision = f"/evaluation/recusals/{challenge['id']}/decision"
    decide = {"decision": "upheld", "reason": "이해관계 확인"}
    # The challenged rater is a city officer, yet cannot decide its own challenge.
    own = await api.client.post(decision, json=decide, headers=s.rater("official-c"))
    assert assert_problem(own, 403, "path.recusal_id")["code"] == "challenged-cannot-decide"
    assert_problem(await api.client.post(decision, json=decide, headers=auth("evaluator")), 403)
    assert_problem(
        await api.client.post(decision, json={**decide, "decision": "maybe"}, headers=api.city),
        422,
        "body.decision",
    )
    upheld = await api.client.post(decision, json=decide, headers=api.city)
    assert upheld.status_code == 200, upheld.text
    assert (upheld.json()["status"], upheld.json()["decided_by"]) == ("upheld", "city-officer-1")
    twice = await api.client.post(decision, json={**decide, "decision": "rejected"}, headers=api.city)
    assert assert_problem(twice, 409, "path.recusal_id")["code"] == "recusal-decided"
    with time_machine.travel(SCORING, tick=False):
        _assert_recused(await s.score("official-c", s.unit, points="5"), "challenge")
        _assert_recused(await s.scores(s.rater("official-c")), "challenge")
    assert_problem(
        await api.client.post("/evaluation/recusals/999999/decision", json=decide, headers=api.city), 404
    )


async def test_a_rejected_challenge_lets_the_rater_score(api: Evaluation) -> None:
    s = await scene(api)
    member = await s.appoint("expert-r")
    made = await api.client.post(
        f"/evaluation/targets/{s.target_id}/challenges",
        json={"panel_member_id": member["id"], "reason": "공정성 우려"},
        headers=s.agency(),
    )
    rejected = await api.client.post(
        f"/evaluation/recusals/{made.json()['id']}/decision",
        json={"decision": "rejected", "reason": "근거 부족"},
        headers=api.city,
    )
    assert rejected.json()["status"] == "rejected"
    with time_machine.travel(SCORING, tick=False):
        assert (await s.score("expert-r", s.unit, points="5")).status_code == 200
    agency_view = await api.client.get(f"/evaluation/targets/{s.target_id}/recusals", headers=s.agency())
    assert [r["status"] for r in agency_view.json()["items"]] == ["rejected"]


async def test_a_rater_withdraws_and_then_neither_reads_nor_scores(api: Evaluation, auth: Auth) -> None:
    s = await scene(api)
    await s.appoint("expert-w")
    url = f"/evaluation/targets/{s.target_id}/withdrawal"
    assert_problem(
        await api.client.post(url, json={"reason": "x"}, headers=s.rater("expert-none")),
        403,
        "path.target_id",
    )
    assert_problem(
        await api.client.post(url, json={"reason": " "}, headers=s.rater("expert-w")), 422, "body.reason"
    )
    withdrawn = await api.client.post(
        url, json={"reason": "과거 자문 이력으로 회피"}, headers=s.rater("expert-w")
    )
    assert withdrawn.status_code == 201 and withdrawn.json()["status"] == "upheld"
    again = await api.client.post(url, json={"reason": "다시"}, headers=s.rater("expert-w"))
    assert assert_problem(again, 409)["code"] == "recusal-exists"
    with time_machine.travel(SCORING, tick=False):
        _assert_recused(await s.score("expert-w", s.unit, points="3"), "withdrawal")
        _assert_recused(await s.scores(s.rater("expert-w")), "withdrawal")
        _assert_recused(await s.submit("expert-w"), "withdrawal")


async def test_a_tie_and_a_member_list_changing_together_still_exclude(committing: Evaluation) -> None:
    """Each trigger alone would miss the other's uncommitted row; the per-cycle lock orders them."""
    api = committing
    s = await scene(api, organization_id=94001)
    for attempt in range(4):
        org = 94100 + attempt
        member = await s.appoint(f"expert-race-{attempt}")
        tie = api.client.post(
            f"/evaluation/panel-members/{member['id']}/ties",
            json={"organization_id": org, "reason": "이사"},
            headers=api.city,
        )
        members = api.client.put(
            f"/evaluation/targets/{s.target_id}/member-organizations",
            json={"organization_ids": [org]},
            headers=api.city,
        )
        responses = await asyncio.gather(tie, members)
        assert [r.status_code for r in responses] == [201, 200], [r.text for r in responses]
        upheld = [
            r for r in await _recusals(s) if r["panel_member_id"] == member["id"] and r["status"] == "upheld"
        ]
        assert len(upheld) == 1, attempt


async def test_a_draft_racing_an_exclusion_is_refused_or_precedes_it(committing: Evaluation) -> None:
    """Assignment of a tie vs a score: once the exclusion is committed no score of the rater follows it."""
    api = committing
    s = await scene(api, organization_id=95001)
    for attempt in range(4):
        org = 95100 + attempt
        subject = f"expert-draft-{attempt}"
        await s.appoint(subject, ties=[org])
        with time_machine.travel(SCORING, tick=False):
            draft, members = await asyncio.gather(
                s.score(subject, s.unit, points="7"),
                api.client.put(
                    f"/evaluation/targets/{s.target_id}/member-organizations",
                    json={"organization_ids": [org]},
                    headers=api.city,
                ),
            )
            assert members.status_code == 200, members.text
            assert draft.status_code in (200, 403), draft.text
            if draft.status_code == 403:
                _assert_recused(draft, "exclusion")
            # Either way the rater is now excluded and can write nothing more.
            _assert_recused(await s.score(subject, s.unit, points="8"), "exclusion")
            mine = [
                x
                for x in (await s.scores(api.city)).json()["items"]
                if x["panel_member_id"] == s.members[subject]["id"]
            ]
            assert len(mine) == (1 if draft.status_code == 200 else 0)
            if mine:
                assert mine[0]["points"] == "7"

"""Scoring: drafts per rater, target and indicator, inside the scoring window; one submission of the whole
sheet, never overwritten; who sees whose scores; the last score racing the submission."""

import asyncio
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import time_machine

from shared.seoul import SEOUL
from tests.conftest import assert_problem
from tests.evaluation.conftest import Auth, Evaluation
from tests.evaluation.panel import RE_REVIEW, SCORING, Scene, scene


@pytest.mark.parametrize(
    ("points", "status"),
    [("0", 200), ("60", 200), ("60.000001", 422), ("-0.000001", 422), ("0.000001", 200), ("59.999999", 200)],
)
async def test_points_are_from_zero_to_the_weight(api: Evaluation, points: str, status: int) -> None:
    s = await scene(api)
    await s.appoint("expert-p")
    with time_machine.travel(SCORING, tick=False):
        response = await s.score("expert-p", s.unit, points=points)
    if status == 200:
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["status"], body["version"], body["rater_type"]) == ("draft", 1, "expert")
        assert body["points"] == format(Decimal(points).normalize(), "f")
    else:
        assert assert_problem(response, 422, "body.points")


async def test_qualitative_indicators_take_a_level_of_their_rubric_and_na(
    api: Evaluation, auth: Auth
) -> None:
    s = await scene(api)
    await s.appoint("expert-q")
    other_rubric = await api.rubric(s.cycle_id)
    assert other_rubric["id"] != s.rubric["id"]
    with time_machine.travel(SCORING, tick=False):
        good = await s.score("expert-q", s.quality, level=2)
        assert good.status_code == 200, good.text
        assert (good.json()["level"], good.json()["level_label_ko"], good.json()["level_value"]) == (
            2,
            "우수",
            "4",
        )
        na = await s.score("expert-q", s.quality, level=6)
        assert na.json()["not_applicable"] is True and na.json()["level_value"] is None
        assert na.json()["id"] == good.json()["id"]  # the draft is changed, not duplicated
        assert_problem(await s.score("expert-q", s.quality, level=7), 422, "body.level")
        assert_problem(await s.score("expert-q", s.quality, points="3"), 422, "body.points")
        assert_problem(await s.score("expert-q", s.quality), 422, "body.level")
        assert_problem(await s.score("expert-q", s.unit, level=1), 422, "body.level")
        assert_problem(await s.score("expert-q", s.unit), 422, "body.points")
        assert_problem(await s.score("expert-q", s.unit, points="1", extra=1), 422)
        # An indicator of another target of the cycle, and one that does not exist.
        other = await api.target(s.cycle_id)
        foreign = await api.specific(other["id"], 10)
        assert_problem(await s.score("expert-q", foreign, points="1"), 422, "path.indicator_id")
        assert_problem(await s.score("expert-q", {"id": 999999}, points="1"), 404)


@pytest.mark.parametrize(
    ("moment", "status"),
    [
        (datetime(2017, 9, 11, 23, 59, 59, tzinfo=SEOUL), 409),  # the last second before the window
        (datetime(2017, 9, 11, 15, 0, tzinfo=UTC), 200),  # Seoul's midnight of the 12th: the 11th in UTC
        (datetime(2017, 9, 22, 23, 59, 59, tzinfo=SEOUL), 200),  # the last second of the last day
        (datetime(2017, 9, 22, 15, 0, tzinfo=UTC), 409),  # the 23rd in Seoul, still the 22nd in UTC
    ],
)
async def test_scores_are_written_only_in_the_qualitative_interviews_window(
    api: Evaluation, moment: datetime, status: int
) -> None:
    s = await scene(api)
    await s.appoint("expert-t")
    with time_machine.travel(moment, tick=False):
        draft = await s.score("expert-t", s.unit, points="30")
        if status == 200:
            assert draft.status_code == 200, draft.text
            assert (await s.score("expert-t", s.quality, level=1)).status_code == 200
            assert (await s.submit("expert-t")).status_code == 200
        else:
            problem = assert_problem(draft, 409)
            assert (problem["code"], problem["phase"]) == ("outside-window", "qualitative_interviews")
            assert (problem["starts_on"], problem["ends_on"]) == ("2017-09-12", "2017-09-22")
            assert assert_problem(await s.submit("expert-t"), 409)["code"] == "outside-window"


async def test_a_target_not_yet_open_is_not_scored(api: Evaluation) -> None:
    cycle_id = await api.cycle()
    await api.schedule(cycle_id, 1)
    target = await api.target(cycle_id)
    unit = await api.common(cycle_id, 100, baseline=1, target=2)
    s = Scene(api, cycle_id, target, unit, unit, {})
    await s.appoint("expert-n")
    with time_machine.travel(SCORING, tick=False):
        assert assert_problem(await s.score("expert-n", unit, points="1"), 409)["code"] == "target-not-open"


async def test_only_active_members_of_the_round_panel_score(api: Evaluation, auth: Auth) -> None:
    s = await scene(api)
    old = await s.appoint("expert-old")
    await s.appoint("expert-round2", round=2)
    await api.ok(
        "POST",
        f"/evaluation/panel-members/{old['id']}/replace",
        json={"subject": "expert-new", "name_ko": "신임", "rater_type": "expert", "reason": "사임"},
    )
    with time_machine.travel(SCORING, tick=False):
        for subject in ("expert-old", "expert-round2", "expert-stranger"):
            problem = assert_problem(await s.score(subject, s.unit, points="1"), 403, "path.target_id")
            assert problem["code"] == "not-on-panel"
        assert (await s.score("expert-new", s.unit, points="1")).status_code == 200
        for role in ("auditor", "secretariat", "citizen"):
            assert_problem(
                await s.api.client.put(
                    f"/evaluation/targets/{s.target_id}/scores/{s.unit['id']}",
                    json={"points": "1"},
                    headers=auth(role),
                ),
                403,
            )
        assert_problem(
            await s.api.client.put(
                f"/evaluation/targets/{s.target_id}/scores/{s.unit['id']}",
                json={"points": "1"},
                headers=s.agency(),
            ),
            403,
        )
        assert_problem(
            await s.api.client.put(
                f"/evaluation/targets/999999/scores/{s.unit['id']}",
                json={"points": "1"},
                headers=s.rater("expert-new"),
            ),
            404,
        )


async def test_a_sheet_is_submitted_whole_and_never_overwritten(api: Evaluation, auth: Auth) -> None:
    s = await scene(api)
    await s.appoint("official-1")
    with time_machine.travel(SCORING, tick=False):
        empty = assert_problem(await s.submit("official-1"), 422)
        assert empty["code"] == "score-sheet-incomplete"
        assert {e["field"] for e in empty["errors"]} == {
            f"indicators.{s.unit['id']}",
            f"indicators.{s.quality['id']}",
        }
        assert (await s.score("official-1", s.unit, points="42.5")).status_code == 200
        partial = assert_problem(await s.submit("official-1"), 422)
        assert partial["missing_indicator_ids"] == [s.quality["id"]]
        assert s.quality["name_ko"] in partial["detail"]
        assert (await s.score("official-1", s.quality, level=6)).status_code == 200  # N/A completes it
        submitted = await s.submit("official-1")
        assert submitted.status_code == 200, submitted.text
        sheet = submitted.json()
        assert sheet["status"] == "submitted" and sheet["submitted_at"]
        assert {x["status"] for x in sheet["scores"]} == {"submitted"} and len(sheet["scores"]) == 2
        over = await s.score("official-1", s.unit, points="50")
        assert assert_problem(over, 409, "path.target_id")["code"] == "score-submitted"
        assert assert_problem(await s.submit("official-1"), 409)["code"] == "score-submitted"
        mine = await s.api.client.get(
            f"/evaluation/targets/{s.target_id}/scores/mine", headers=s.rater("official-1")
        )
        assert [x["points"] for x in mine.json()["scores"] if x["indicator_id"] == s.unit["id"]] == ["42.5"]
    actions = []
    for score in sheet["scores"]:  # this sheet's rows: other tests write scores to the same database
        params = {"table": "scores", "record_id": str(score["id"])}
        history = await api.client.get("/evaluation/history", params=params, headers=auth("auditor"))
        actions += [(h["action"], h["after"]["status"], h["actor"]) for h in history.json()["items"]]
    assert ("update", "submitted", "official-1") in actions and ("insert", "draft", "official-1") in actions


async def test_a_rater_sees_the_others_scores_only_after_submitting(api: Evaluation, auth: Auth) -> None:
    s = await scene(api)
    for subject in ("expert-a", "expert-b", "expert-c"):
        await s.appoint(subject)
    with time_machine.travel(SCORING, tick=False):
        await s.full_sheet("expert-a", points="40")
        await s.full_sheet("expert-b", points="50")
        assert (await s.submit("expert-b")).status_code == 200
        assert (
            await s.score("expert-c", s.unit, points="9")
        ).status_code == 200  # a draft, never shown to raters
        hidden = assert_problem(await s.scores(s.rater("expert-a")), 403, "path.target_id")
        assert hidden["code"] == "scores-hidden"
        assert_problem(await s.scores(s.rater("expert-c")), 403)  # nothing of its own submitted either
        # Its own sheet, drafts included, is always its own to read.
        mine = await s.api.client.get(
            f"/evaluation/targets/{s.target_id}/scores/mine", headers=s.rater("expert-a")
        )
        assert [x["points"] for x in mine.json()["scores"]][:1] == ["40"] and mine.json()["status"] == "draft"
        assert (await s.submit("expert-a")).status_code == 200
        seen = await s.scores(s.rater("expert-a"))
        assert seen.status_code == 200, seen.text
        by_member = {(x["panel_member_id"], x["indicator_id"]): x for x in seen.json()["items"]}
        assert by_member[(s.members["expert-b"]["id"], s.unit["id"])]["points"] == "50"
        assert {x["panel_member_id"] for x in seen.json()["items"]} == {
            s.members["expert-a"]["id"],
            s.members["expert-b"]["id"],
        }
        # Officers and auditors see every score (drafts too); agencies and outsiders none.
        for role in ("city_officer", "auditor"):
            assert len((await s.scores(auth(role))).json()["items"]) == 5
        for headers in (s.agency(), auth("evaluator", subject="expert-outsider"), auth("secretariat")):
            assert_problem(await s.scores(headers), 403)
        assert assert_problem(await s.scores(s.agency()), 403)["code"] == "scores-hidden"
        page = await s.scores(auth("auditor"), limit=3)
        rest = await s.scores(auth("auditor"), limit=3, cursor=page.json()["next_cursor"])
        assert len(page.json()["items"]) == 3 and len(rest.json()["items"]) == 2


async def test_a_re_review_scores_version_2_in_its_window_and_keeps_version_1(
    api: Evaluation, evaluation_harness: Any
) -> None:
    s = await scene(api)
    await s.appoint("expert-v")
    with time_machine.travel(SCORING, tick=False):
        await s.full_sheet("expert-v", points="20")
        assert (await s.submit("expert-v")).status_code == 200
    # The results work opens a re-review by moving the target to version 2 (a direct write stands in for it).
    engine = evaluation_harness.app.state.sessionmaker
    async with engine() as session:
        from sqlalchemy import text

        await session.execute(
            text("UPDATE evaluation.targets SET review_version = 2 WHERE id = :id"), {"id": s.target_id}
        )
        await session.flush()
        with time_machine.travel(SCORING, tick=False):
            outside = assert_problem(await s.score("expert-v", s.unit, points="25"), 409)
            assert (outside["phase"], outside["starts_on"]) == ("re_review", "2017-09-23")
        with time_machine.travel(RE_REVIEW, tick=False):
            again = await s.score("expert-v", s.unit, points="25")
            assert again.status_code == 200 and again.json()["version"] == 2, again.text
            first = await s.scores(s.api.city, version=1)
            assert [x["points"] for x in first.json()["items"] if x["indicator_id"] == s.unit["id"]] == ["20"]
            current = await s.scores(s.api.city)
            assert [(x["version"], x["points"]) for x in current.json()["items"]] == [(2, "25")]
        await session.rollback()


async def test_the_last_score_racing_the_submission_never_leaves_a_sheet_short(
    committing: Evaluation,
) -> None:
    api = committing
    s = await scene(api, organization_id=96001)
    outcomes: set[tuple[int, int]] = set()
    for attempt in range(6):
        subject = f"expert-last-{attempt}"
        await s.appoint(subject)
        with time_machine.travel(SCORING, tick=False):
            assert (await s.score(subject, s.unit, points="33")).status_code == 200
            last, submitted = await asyncio.gather(s.score(subject, s.quality, level=3), s.submit(subject))
            assert last.status_code == 200, last.text
            assert submitted.status_code in (200, 422), submitted.text
            outcomes.add((last.status_code, submitted.status_code))
            mine = await s.api.client.get(
                f"/evaluation/targets/{s.target_id}/scores/mine", headers=s.rater(subject)
            )
            statuses = sorted(x["status"] for x in mine.json()["scores"])
            if submitted.status_code == 200:
                assert statuses == ["submitted", "submitted"]
            else:
                assert statuses == ["draft", "draft"]
                assert (await s.submit(subject)).status_code == 200
    assert outcomes <= {(200, 200), (200, 422)}

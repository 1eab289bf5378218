"""Comparison by rater type, reliability and exports, through the API against real PostgreSQL.

The panel and its scores are written with SQL into the tables of migration 0005 (the panel lane's schema),
through the same connection the app uses: its triggers check every row as they would for the API.
"""

import csv
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import krippendorff
import numpy as np
import pytest
import time_machine
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.auth import mint_token
from shared.seoul import SEOUL
from shared.settings import CommonSettings
from tests.conftest import ServiceHarness, assert_problem
from tests.evaluation.conftest import Auth, Evaluation

IN_WINDOW = datetime(2017, 8, 28, 12, 0, tzinfo=SEOUL)  # round 1's report submission: 2017-08-25 – 08-31


@dataclass
class World:
    api: Evaluation
    conn: AsyncConnection
    settings: CommonSettings

    def agency(self, organization_id: int) -> dict[str, str]:
        token = mint_token(
            self.settings, subject=f"agency-{organization_id}", role="agency", organization_id=organization_id
        )
        return {"Authorization": f"Bearer {token}"}

    async def sql(self, statement: str, **params: Any) -> Any:
        result = await self.conn.execute(text(statement), params)
        return result.scalar() if result.returns_rows else None

    async def member(self, cycle_id: int, subject: str, name_ko: str, rater_type: str) -> int:
        return int(
            await self.sql(
                "INSERT INTO evaluation.panel_members"
                " (cycle_id, round, subject, name_ko, rater_type, created_by)"
                " VALUES (:cycle, 1, :subject, :name, :type, 'city-officer-1') RETURNING id",
                cycle=cycle_id,
                subject=subject,
                name=name_ko,
                type=rater_type,
            )
        )

    async def level_id(self, rubric_id: int, position: int) -> int:
        return int(
            await self.sql(
                "SELECT id FROM evaluation.rubric_levels WHERE scale_id = :scale AND position = :position",
                scale=rubric_id,
                position=position,
            )
        )

    async def score(
        self,
        target_id: int,
        indicator_id: int,
        member_id: int,
        *,
        points: int | None = None,
        level: int | None = None,
        status: str = "submitted",
    ) -> None:
        await self.sql(
            "INSERT INTO evaluation.scores (target_id, indicator_id, panel_member_id, version, points,"
            " rubric_level_id, status, submitted_at)"
            " VALUES (:target, :indicator, :member, 1, :points, :level, :status,"
            " CASE WHEN :status = 'submitted' THEN now() END)",
            target=target_id,
            indicator=indicator_id,
            member=member_id,
            points=points,
            level=level,
            status=status,
        )


@pytest.fixture
async def world(
    evaluation_harness: ServiceHarness, auth: Auth, settings: CommonSettings
) -> AsyncIterator[World]:
    async for client, conn in evaluation_harness.client():
        yield World(Evaluation(client, auth), conn, settings)


@dataclass
class Cycle:
    id: int
    targets: list[dict[str, Any]]
    unit: dict[str, Any]
    quality: list[dict[str, Any]]
    members: dict[str, int]
    rubric_id: int


async def _cycle(world: World) -> Cycle:
    """Seed 001 in miniature: two open round-1 targets, a common quantitative indicator (40: baseline 4,
    target 12) and a qualitative specific one each (60, 5 levels + N/A), self-evaluations, 2 officials and
    2 experts. Target 1's agency rates itself lower than the panel does; target 2's agrees with it."""
    api = world.api
    cycle_id = await api.cycle()
    await api.schedule(cycle_id, 1)
    rubric = await api.rubric(cycle_id)
    unit = await api.common(cycle_id, 40, baseline=4, target=12)
    targets, quality = [], []
    for _ in range(2):
        target = await api.target(cycle_id)
        quality.append(
            await api.specific(
                target["id"], 60, measure="qualitative", rubric_id=rubric["id"], name_ko="분과 활동"
            )
        )
        assert (await api.open_target(target["id"])).status_code == 200
        targets.append(target)
    with time_machine.travel(IN_WINDOW, tick=False):
        for target, own, (value, level) in zip(targets, quality, [("8", 3), ("12", 1)], strict=True):
            headers = world.agency(target["organization_id"])
            base = f"/evaluation/targets/{target['id']}/indicators"
            await api.ok(
                "PUT", f"{base}/{unit['id']}/self-evaluation", headers=headers, json={"value": value}
            )
            await api.ok("PUT", f"{base}/{own['id']}/self-evaluation", headers=headers, json={"level": level})
    members = {
        "off1": await world.member(cycle_id, "official-1", "김공무", "official"),
        "off2": await world.member(cycle_id, "official-2", "이공무", "official"),
        "exp1": await world.member(cycle_id, "expert-1", "박전문", "expert"),
        "exp2": await world.member(cycle_id, "expert-2", '=HYPERLINK("http://x")', "expert"),
    }
    levels = {position: await world.level_id(rubric["id"], position) for position in (1, 2, 6)}
    first, second = targets[0]["id"], targets[1]["id"]
    raters = ("off1", "off2", "exp1", "exp2")
    panel = {
        # target 1: unit 30/34 (officials) 36/32 (experts); quality 우수, 매우 우수 | 우수, N/A
        (first, unit["id"]): [{"points": 30}, {"points": 34}, {"points": 36}, {"points": 32}],
        (first, quality[0]["id"]): [{"level": levels[position]} for position in (2, 1, 2, 6)],
        (second, unit["id"]): [{"points": 40}, {"points": 36}, {"points": 38}, {"points": 40}],
        (second, quality[1]["id"]): [{"level": levels[1]}] * 4,
    }  # fmt: skip
    for (target_id, indicator_id), given in panel.items():
        for name, score in zip(raters, given, strict=True):
            await world.score(target_id, indicator_id, members[name], **score)
    return Cycle(cycle_id, targets, unit, quality, members, rubric["id"])


def _by_id(items: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {item["indicator_id"]: item for item in items}


async def test_a_target_compares_self_official_and_expert_per_indicator_and_in_total(world: World) -> None:
    cycle = await _cycle(world)
    target = cycle.targets[0]
    response = await world.api.client.get(
        f"/evaluation/targets/{target['id']}/comparison", headers=world.api.auth("auditor")
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["review_version"] == 1 and body["round"] == 1
    unit, quality = (
        _by_id(body["indicators"])[cycle.unit["id"]],
        _by_id(body["indicators"])[cycle.quality[0]["id"]],
    )
    # self: 8 is half way from 4 to 12 → 20 of 40; 보통 (3 of 5) → 36 of 60
    assert unit["scope"] == "common" and unit["by_rater_type"]["self"] == {"points": "20.0000", "n": 1}
    assert unit["by_rater_type"]["official"] == {"points": "32.0000", "n": 2}
    assert unit["by_rater_type"]["expert"] == {"points": "34.0000", "n": 2}
    assert quality["scope"] == "specific" and quality["name_ko"] == "분과 활동"
    assert quality["by_rater_type"]["self"]["points"] == "36.0000"
    assert quality["by_rater_type"]["official"] == {"points": "54.0000", "n": 2}  # 우수 48, 매우 우수 60
    assert quality["by_rater_type"]["expert"] == {"points": "48.0000", "n": 1}  # N/A left out, not zero
    assert unit["differences"] == {
        "self_minus_official": "-12.0000",
        "self_minus_expert": "-14.0000",
        "official_minus_expert": "-2.0000",
    }
    assert body["totals"]["self"] == {"points": "56.0000", "counted_weight": 100}
    assert body["totals"]["official"] == {"points": "86.0000", "counted_weight": 100}
    assert body["totals"]["expert"] == {"points": "82.0000", "counted_weight": 100}
    assert body["differences"]["self_minus_official"] == "-30.0000"
    assert body["differences"]["self_minus_expert"] == "-26.0000"


async def test_only_submitted_scores_of_raters_not_recused_count(world: World) -> None:
    cycle = await _cycle(world)
    target_id = cycle.targets[0]["id"]
    late = await world.member(cycle.id, "expert-3", "최전문", "expert")
    await world.score(target_id, cycle.unit["id"], late, points=0, status="draft")  # a draft: not counted
    await world.sql(
        "INSERT INTO evaluation.recusals (panel_member_id, target_id, ground, status, reason, requested_by)"
        " VALUES (:member, :target, 'withdrawal', 'upheld', '이해관계 회피', 'expert-2')",
        member=cycle.members["exp2"],
        target=target_id,
    )
    body = (
        await world.api.client.get(f"/evaluation/targets/{target_id}/comparison", headers=world.api.city)
    ).json()
    unit = _by_id(body["indicators"])[cycle.unit["id"]]
    assert unit["by_rater_type"]["expert"] == {
        "points": "36.0000",
        "n": 1,
    }  # exp2 withdrew, exp3's is a draft


async def test_a_cycle_compares_its_targets_states_seed_001s_finding_and_its_reliability(
    world: World,
) -> None:
    cycle = await _cycle(world)
    response = await world.api.client.get(
        f"/evaluation/cycles/{cycle.id}/comparison?round=1", headers=world.api.city
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert [row["target_id"] for row in body["targets"]] == [target["id"] for target in cycle.targets]
    # target 2: self 40 + 60 = 100; officials 38 + 60; experts 39 + 60
    assert body["targets"][1]["totals"]["self"]["points"] == "100.0000"
    assert body["totals"]["self"] == {"points": "78.0000", "n": 2}
    assert body["totals"]["official"] == {"points": "92.0000", "n": 2}
    assert body["differences"]["self_minus_official"] == {"points": "-14.0000", "n": 2}  # (-30 + 2) / 2
    assert body["self_lowest"] is True
    common = next(row for row in body["indicators"] if row["indicator_id"] == cycle.unit["id"])
    assert common["by_rater_type"]["self"] == {"points": "30.0000", "n": 2}
    [reliability] = body["reliability"]
    assert reliability["round"] == 1 and reliability["raters"] == 4 and reliability["units"] == 4
    assert reliability["icc_units"] == 3  # target 1's quality has an N/A: left out of the ICCs' complete data
    shares = [  # rows: off1, off2, exp1, exp2; units: (t1, unit), (t1, quality), (t2, unit), (t2, quality)
        [30 / 40, 48 / 60, 1, 1],
        [34 / 40, 1, 36 / 40, 1],
        [36 / 40, 48 / 60, 38 / 40, 1],
        [32 / 40, np.nan, 1, 1],
    ]
    expected = krippendorff.alpha(reliability_data=np.array(shares), level_of_measurement="interval")
    assert reliability["alpha_interval"] == pytest.approx(expected)
    assert {icc["shrout_fleiss"] for icc in reliability["icc"]} <= {
        "ICC(1,1)", "ICC(2,1)", "ICC(3,1)", "ICC(1,k)", "ICC(2,k)", "ICC(3,k)",
    }  # fmt: skip
    empty = (
        await world.api.client.get(
            f"/evaluation/cycles/{cycle.id}/comparison?round=2", headers=world.api.city
        )
    ).json()
    assert empty["targets"] == [] and empty["self_lowest"] is None
    assert empty["reliability"][0]["alpha_interval"] is None and empty["reliability"][0]["icc"] == []


async def test_the_scorecard_lists_every_counted_score_with_its_points(world: World) -> None:
    cycle = await _cycle(world)
    target_id = cycle.targets[0]["id"]
    body = (
        await world.api.client.get(f"/evaluation/targets/{target_id}/scorecard", headers=world.api.city)
    ).json()
    quality = _by_id(body["indicators"])[cycle.quality[0]["id"]]
    assert quality["weight"] == 60 and quality["measure"] == "qualitative"
    scores = {score["rater_name_ko"]: score for score in quality["scores"]}
    assert scores["김공무"]["level_label_ko"] == "우수" and scores["김공무"]["points"] == "48.0000"
    assert scores['=HYPERLINK("http://x")']["not_applicable"] is True
    assert scores['=HYPERLINK("http://x")']["points"] is None
    assert scores["박전문"]["submitted_at"].endswith("+09:00")
    plain = (
        await world.api.client.get(f"/evaluation/targets/{target_id}/comparison", headers=world.api.city)
    ).json()
    assert all(item["scores"] is None for item in plain["indicators"])


async def test_the_scores_csv_has_a_bom_korean_headers_and_no_formulas(world: World) -> None:
    cycle = await _cycle(world)
    response = await world.api.client.get(
        f"/evaluation/cycles/{cycle.id}/exports/scores.csv", headers=world.api.city
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["점수 id", "대상 id", "단체 id"]
    assert len(rows) == 1 + 16
    names = {row[13] for row in rows[1:]}
    assert names == {"김공무", "이공무", "박전문", '\'=HYPERLINK("http://x")'}
    qualitative = [row for row in rows[1:] if row[8] == "분과 활동" and row[13] == "김공무"]
    assert qualitative[0][9] == "개별" and qualitative[0][19] in ("48.0000", "60.0000")


@pytest.mark.parametrize("role", ["evaluator", "secretariat", "citizen", "district_officer"])
async def test_only_city_officers_and_auditors_read_comparisons(world: World, role: str) -> None:
    cycle = await _cycle(world)
    target_id = cycle.targets[0]["id"]
    urls = [
        f"/evaluation/targets/{target_id}/comparison",
        f"/evaluation/targets/{target_id}/scorecard",
        f"/evaluation/cycles/{cycle.id}/comparison",
        f"/evaluation/cycles/{cycle.id}/exports/scores.csv",
    ]
    headers = world.api.auth(role, district="11380") if role == "district_officer" else world.api.auth(role)
    for url in urls:
        assert_problem(await world.api.client.get(url, headers=headers), 403)
        assert_problem(await world.api.client.get(url), 401)
        agency = world.agency(cycle.targets[0]["organization_id"])
        assert_problem(await world.api.client.get(url, headers=agency), 403)


async def test_unknown_records_and_bad_rounds_name_their_field(world: World) -> None:
    headers = world.api.city
    assert_problem(
        await world.api.client.get("/evaluation/targets/999999/comparison", headers=headers),
        404,
        "path.target_id",
    )
    assert_problem(
        await world.api.client.get("/evaluation/targets/999999/scorecard", headers=headers),
        404,
        "path.target_id",
    )
    assert_problem(await world.api.client.get("/evaluation/cycles/999999/comparison", headers=headers), 404)
    assert_problem(
        await world.api.client.get("/evaluation/cycles/999999/exports/scores.csv", headers=headers), 404
    )
    cycle_id = await world.api.cycle()
    for bad in ("0", "3", "x"):
        url = f"/evaluation/cycles/{cycle_id}/comparison?round={bad}"
        assert_problem(await world.api.client.get(url, headers=headers), 422, "query.round")
    for good in ("1", "2"):
        url = f"/evaluation/cycles/{cycle_id}/comparison?round={good}"
        assert (await world.api.client.get(url, headers=headers)).status_code == 200


async def test_a_descending_indicators_self_value_converts_inverted(world: World) -> None:
    api = world.api
    cycle_id = await api.cycle()
    await api.schedule(cycle_id, 1)
    target = await api.target(cycle_id)
    fewer = await api.common(cycle_id, 30, baseline=10, target=4, ascending=False, name_ko="민원 건수")
    more = await api.specific(target["id"], 70, baseline=0, target=10)
    assert (await api.open_target(target["id"])).status_code == 200
    base = f"/evaluation/targets/{target['id']}/indicators"
    expected = {}
    for value, points in (
        ("10.000001", "0.0000"),
        ("10", "0.0000"),
        ("7", "15.0000"),
        ("4", "30.0000"),
        ("3.999999", "30.0000"),
    ):
        with time_machine.travel(IN_WINDOW, tick=False):
            headers = world.agency(target["organization_id"])  # minted at the pinned time
            await api.ok(
                "PUT", f"{base}/{fewer['id']}/self-evaluation", headers=headers, json={"value": value}
            )
        body = (
            await api.client.get(f"/evaluation/targets/{target['id']}/comparison", headers=api.city)
        ).json()
        expected[value] = _by_id(body["indicators"])[fewer["id"]]["by_rater_type"]["self"]["points"]
        assert expected[value] == points, value
    row = _by_id(body["indicators"])[more["id"]]
    assert row["by_rater_type"]["self"] == {"points": None, "n": 0}
    assert row["self_points_note"] == "no self-evaluation of this indicator"
    assert body["totals"]["self"] == {"points": "30.0000", "counted_weight": 30}
    assert body["totals"]["official"] == {"points": None, "counted_weight": 0}


async def test_the_results_csv_lists_every_result_with_its_exact_total(world: World) -> None:
    cycle = await _cycle(world)
    url = f"/evaluation/cycles/{cycle.id}/exports/results.csv"
    empty = await world.api.client.get(url, headers=world.api.auth("auditor"))
    assert empty.status_code == 200 and empty.content.decode("utf-8-sig").count("\r\n") == 1  # the header
    first = cycle.targets[0]["id"]
    result = await world.api.ok("POST", f"/evaluation/targets/{first}/result")
    response = await world.api.client.get(url, headers=world.api.auth("auditor"))
    assert response.content.startswith("\ufeff".encode())
    header, row = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert header[:8] == ["결과 id", "대상 id", "단체 id", "자치구코드", "차수", "심사 회차", "상태", "총점"]
    assert row[1] == str(first) and row[5] == "1" and row[6] == "draft"
    assert row[7] == result["total"] and row[12].endswith("+09:00")
    for role in ("evaluator", "citizen"):
        assert_problem(await world.api.client.get(url, headers=world.api.auth(role)), 403)
    assert_problem(
        await world.api.client.get("/evaluation/cycles/999999/exports/results.csv", headers=world.api.city),
        404,
    )


async def test_a_replaced_raters_scores_no_longer_count(world: World) -> None:
    cycle = await _cycle(world)
    await world.sql(
        "UPDATE evaluation.panel_members SET active = false WHERE id = :id", id=cycle.members["off2"]
    )
    target_id = cycle.targets[0]["id"]
    body = (
        await world.api.client.get(f"/evaluation/targets/{target_id}/comparison", headers=world.api.city)
    ).json()
    assert _by_id(body["indicators"])[cycle.unit["id"]]["by_rater_type"]["official"] == {
        "points": "30.0000",
        "n": 1,
    }


async def test_a_rubric_without_a_positive_best_value_gives_no_points_never_a_500(world: World) -> None:
    api = world.api
    cycle_id = await api.cycle()
    await api.schedule(cycle_id, 1)
    levels = [{"label_ko": "보통", "value": 0}, {"label_ko": "미흡", "value": -1}]
    rubric = await api.ok(
        "POST", f"/evaluation/cycles/{cycle_id}/rubrics", json={"name_ko": "0점 척도", "levels": levels}
    )
    quality = await api.common(cycle_id, 100, measure="qualitative", rubric_id=rubric["id"])
    target = await api.target(cycle_id)
    assert (await api.open_target(target["id"])).status_code == 200
    with time_machine.travel(IN_WINDOW, tick=False):
        url = f"/evaluation/targets/{target['id']}/indicators/{quality['id']}/self-evaluation"
        await api.ok("PUT", url, headers=world.agency(target["organization_id"]), json={"level": 1})
    member = await world.member(cycle_id, "official-9", "정공무", "official")
    await world.score(target["id"], quality["id"], member, level=await world.level_id(rubric["id"], 1))
    for url in (
        f"/evaluation/targets/{target['id']}/comparison",
        f"/evaluation/targets/{target['id']}/scorecard",
        f"/evaluation/cycles/{cycle_id}/comparison",
        f"/evaluation/cycles/{cycle_id}/exports/scores.csv",
    ):
        assert (await api.client.get(url, headers=api.city)).status_code == 200, url
    body = (await api.client.get(f"/evaluation/targets/{target['id']}/comparison", headers=api.city)).json()
    row = _by_id(body["indicators"])[quality["id"]]
    assert row["by_rater_type"]["self"] == {"points": None, "n": 0}
    assert row["self_points_note"] == "the rubric's best value is not positive: its levels give no points"
    assert row["by_rater_type"]["official"] == {"points": None, "n": 0}

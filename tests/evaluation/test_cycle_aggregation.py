"""A cycle's aggregation in one read: every target's figures equal what computing its result gives."""

import random
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.evaluation.aggregation.rounding import display
from tests.conftest import assert_problem
from tests.evaluation.conftest import Auth, Evaluation
from tests.evaluation.results_helpers import BANDS, SHEETS, Scored, add_members, score

# (unit points out of 60, rubric position 1–5, 6 = N/A) per rater, one list per target.
PANELS = [
    SHEETS,  # trimmed mean: 236/3
    [("12.5", 1), ("33.333333", 6), ("60", 3), ("0", 2), ("41.25", 2)],  # fractions of every kind
    [("7", 6), ("8", 6), ("9", 6)],  # every rubric answer N/A: too few scores of the qualitative indicator
]


async def scored_cycle(
    api: Evaluation, conn: AsyncConnection, panels: list[list[tuple[str, int]]]
) -> list[Scored]:
    """One cycle: a quantitative common indicator (60) and a qualitative one of each target (40); one open
    target per panel, every rater of the panel scoring it; and a target that is not open."""
    cycle_id = await api.cycle()
    await api.schedule(cycle_id, 1)
    rubric = await api.rubric(cycle_id)
    unit = await api.common(cycle_id, 60, baseline=4, target=12)
    made = []
    for _ in panels:
        target = await api.target(cycle_id)
        quality = await api.specific(target["id"], 40, measure="qualitative", rubric_id=rubric["id"])
        assert (await api.open_target(target["id"])).status_code == 200
        made.append(Scored(cycle_id, target, unit, quality, {}))
    members = await add_members(conn, made[0], max(len(sheets) for sheets in panels))
    for scored, sheets in zip(made, panels, strict=True):
        for member, (points, level) in zip(members, sheets, strict=False):
            await score(conn, scored, member, points, level)
    await api.target(cycle_id)  # never opened
    return made


async def _aggregation(api: Evaluation, cycle_id: int, query: str = "") -> dict[str, Any]:
    body: dict[str, Any] = await api.ok("GET", f"/evaluation/cycles/{cycle_id}/aggregation{query}")
    return body


@pytest.mark.parametrize(("method", "minimum"), [("trimmed_mean", 3), ("mean", 1), ("median", 2)])
async def test_every_targets_figures_equal_its_computed_result(
    scoring: tuple[Evaluation, AsyncConnection], method: str, minimum: int
) -> None:
    api, conn = scoring
    made = await scored_cycle(api, conn, PANELS)
    cycle_id = made[0].cycle_id
    settings = {"aggregation_method": method, "min_panel_size": minimum, "bands": BANDS}
    await api.ok("PUT", f"/evaluation/cycles/{cycle_id}/result-settings", json=settings)
    body = await _aggregation(api, cycle_id)
    assert (body["aggregation_method"], body["min_panel_size"]) == (method, minimum)
    rows = {row["target_id"]: row for row in body["targets"]}
    assert len(rows) == len(PANELS) + 1
    for scored in made:
        row = rows.pop(scored.id)
        response = await api.client.post(f"/evaluation/targets/{scored.id}/result", headers=api.city)
        if row["status"] == "computed":
            assert response.status_code == 200, response.text
            result = response.json()
            assert (row["total"], row["total_display"]) == (result["total"], result["total_display"])
            shown = result["arithmetic"]["indicators"]
            assert [
                (i["indicator_id"], i["n"], i["points"], i["points_display"]) for i in row["indicators"]
            ] == [(i["indicator_id"], i["n"], i["points"], i["points_display"]) for i in shown]
        else:
            assert row["status"] == "panel_too_small" and row["total"] is None and row["indicators"] == []
            problem = assert_problem(response, 422)
            short = row["short_panel"]
            assert (short["indicator_id"], short["n"], short["minimum"]) == (
                problem["indicator_id"],
                problem["n"],
                problem["minimum"],
            )
    (unopened,) = rows.values()
    assert unopened["status"] == "not_open" and unopened["total"] is None
    assert [row["status"] for row in body["targets"][:3]] == ["computed", "computed", "panel_too_small"]


async def test_the_trimmed_mean_of_seed_sheets_is_236_3(scoring: tuple[Evaluation, AsyncConnection]) -> None:
    api, conn = scoring
    made = await scored_cycle(api, conn, [SHEETS])
    body = await _aggregation(api, made[0].cycle_id, "?round=1")
    assert body["round"] == 1 and body["aggregation_method"] == "trimmed_mean"  # the default
    assert (body["targets"][0]["total"], body["targets"][0]["total_display"]) == ("236/3", "78.67")
    assert (await _aggregation(api, made[0].cycle_id, "?round=2"))["targets"] == []


@pytest.mark.parametrize("role", ["agency", "citizen", "secretariat"])
async def test_only_city_officers_auditors_and_the_panel_read_it(
    scoring: tuple[Evaluation, AsyncConnection], auth: Auth, role: str
) -> None:
    api, conn = scoring
    made = await scored_cycle(api, conn, [SHEETS])
    url = f"/evaluation/cycles/{made[0].cycle_id}/aggregation"
    for allowed in ("auditor", "evaluator"):
        assert (await api.client.get(url, headers=auth(allowed))).status_code == 200
    assert_problem(await api.client.get(url, headers=auth(role)), 403)


async def test_an_unknown_cycle_and_a_bad_round_name_their_field(
    scoring: tuple[Evaluation, AsyncConnection],
) -> None:
    api, _ = scoring
    response = await api.client.get("/evaluation/cycles/999999/aggregation", headers=api.city)
    assert assert_problem(response, 404)["errors"][0]["field"] == "path.cycle_id"
    cycle_id = await api.cycle()
    response = await api.client.get(f"/evaluation/cycles/{cycle_id}/aggregation?round=3", headers=api.city)
    assert assert_problem(response, 422)["errors"][0]["field"] == "query.round"


def _display_by_fractions(value: Fraction, places: int) -> str:
    """The display rounding as it was first written (Fraction and Decimal arithmetic), the reference."""
    scaled = value * 10**places
    magnitude = abs(scaled)
    whole = magnitude.numerator // magnitude.denominator
    if magnitude - whole >= Fraction(1, 2):
        whole += 1
    quantum = Decimal(1).scaleb(-places)
    rounded = (Decimal(whole) * quantum).quantize(quantum, rounding=ROUND_HALF_UP)
    return str(-rounded if scaled < 0 and whole else rounded)


def test_the_integer_display_rounding_gives_the_references_digits() -> None:
    rng = random.Random(9)
    halves = [Fraction(n, 200) for n in range(-7, 8)] + [Fraction(84125, 1000), Fraction(-84125, 1000)]
    values = halves + [Fraction(rng.randint(-(10**8), 10**8), rng.randint(1, 10**7)) for _ in range(20000)]
    for value in values:
        for places in (0, 2, 4):
            assert display(value, places) == _display_by_fractions(value, places), (value, places)


async def test_a_rubric_without_a_positive_best_value_is_named_as_the_result_refuses_it(
    scoring: tuple[Evaluation, AsyncConnection],
) -> None:
    api, conn = scoring
    cycle_id = await api.cycle()
    await api.schedule(cycle_id, 1)
    levels = [{"label_ko": "보통", "value": 0}, {"label_ko": "미흡", "value": -1}]
    rubric = await api.ok(
        "POST", f"/evaluation/cycles/{cycle_id}/rubrics", json={"name_ko": "0점 척도", "levels": levels}
    )
    quality = await api.common(cycle_id, 100, measure="qualitative", rubric_id=rubric["id"])
    target = await api.target(cycle_id)
    assert (await api.open_target(target["id"])).status_code == 200
    scored = Scored(cycle_id, target, quality, quality, {})
    level = await conn.execute(
        text("SELECT id FROM evaluation.rubric_levels WHERE scale_id = :scale AND position = 1"),
        {"scale": rubric["id"]},
    )
    level_id = level.scalar_one()
    for member in await add_members(conn, scored, 3):
        await conn.execute(
            text(
                "INSERT INTO evaluation.scores (target_id, indicator_id, panel_member_id, version,"
                " rubric_level_id, status) VALUES (:target, :indicator, :member, 1, :level, 'submitted')"
            ),
            {"target": target["id"], "indicator": quality["id"], "member": member, "level": level_id},
        )
    (row,) = (await _aggregation(api, cycle_id))["targets"]
    assert (row["status"], row["total"]) == ("rubric_not_scorable", None)
    response = await api.client.post(f"/evaluation/targets/{target['id']}/result", headers=api.city)
    assert response.status_code == 422 and response.json()["code"] == "rubric-not-scorable", response.text

import asyncio
from collections import Counter
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from services.evaluation.rubrics.levels import mean_of_levels
from tests.conftest import assert_problem
from tests.evaluation.conftest import GANGBUK, GWANAK, Auth, Evaluation


async def test_common_and_specific_indicators_use_iati_measures(api: Evaluation, auth: Auth) -> None:
    cycle_id = await api.cycle()
    target = await api.target(cycle_id)
    rubric = await api.rubric(cycle_id)
    common = await api.common(cycle_id, 40, measure="percentage", baseline="35.5", target="60")
    own = await api.specific(target["id"], 30, measure="ordinal", ascending=False, target="1")
    quality = await api.specific(target["id"], 30, measure="qualitative", rubric_id=rubric["id"])
    assert (common["scope"], common["scope_ko"], common["iati_measure_code"]) == ("common", "공통", "2")
    assert (common["ascending"], common["baseline"], common["target"]) == (True, "35.5", "60")
    assert (own["scope"], own["scope_ko"], own["iati_measure_code"], own["ascending"]) == (
        "specific",
        "개별",
        "4",
        False,
    )
    assert (quality["iati_measure_code"], quality["ascending"], quality["rubric_id"]) == (
        "5",
        None,
        rubric["id"],
    )
    listed = await api.client.get(f"/evaluation/targets/{target['id']}/indicators", headers=auth("evaluator"))
    assert [i["id"] for i in listed.json()["items"]] == [common["id"], own["id"], quality["id"]]
    only_common = await api.client.get(
        f"/evaluation/cycles/{cycle_id}/indicators", params={"scope": "common"}, headers=auth("auditor")
    )
    assert [i["id"] for i in only_common.json()["items"]] == [common["id"]]
    page = await api.client.get(
        f"/evaluation/cycles/{cycle_id}/indicators", params={"limit": 2}, headers=auth("secretariat")
    )
    assert len(page.json()["items"]) == 2 and page.json()["next_cursor"]
    assert_problem(await api.client.get(f"/evaluation/indicators/{own['id']}", headers=auth("citizen")), 403)
    assert (await api.client.get(f"/evaluation/targets/{target['id']}", headers=api.city)).json()[
        "weights"
    ] == {
        "common": 40,
        "specific": 60,
        "total": 100,
    }


async def test_bad_indicators_name_their_field(api: Evaluation, auth: Auth) -> None:
    cycle_id, other_cycle = await api.cycle(), await api.cycle()
    rubric, foreign_rubric = await api.rubric(cycle_id), await api.rubric(other_cycle)
    url = f"/evaluation/cycles/{cycle_id}/indicators"
    good: dict[str, Any] = {"name_ko": "공론장 운영 횟수", "measure": "unit", "weight": 10}
    qualitative = {**good, "measure": "qualitative", "rubric_id": rubric["id"]}
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({**good, "weight": 0}, 422, "body.weight"),
        ({**good, "weight": 101}, 422, "body.weight"),
        ({**good, "weight": 10.5}, 422, "body.weight"),
        ({**good, "measure": "nominal"}, 422, "body.measure"),
        ({**good, "name_ko": ""}, 422, "body.name_ko"),
        ({**good, "baseline": "Infinity"}, 422, "body.baseline"),
        ({**good, "rubric_id": rubric["id"]}, 422, "body.rubric_id"),
        ({**qualitative, "rubric_id": None}, 422, "body.rubric_id"),
        ({**qualitative, "baseline": 1}, 422, "body.baseline"),
        ({**qualitative, "ascending": True}, 422, "body.ascending"),
        ({**qualitative, "rubric_id": foreign_rubric["id"]}, 422, "body.rubric_id"),
        ({**qualitative, "rubric_id": 99999}, 404, "body.rubric_id"),
    ]
    for body, status, field in cases:
        assert_problem(await api.client.post(url, json=body, headers=api.city), status, field)
    assert_problem(await api.client.post(url, json=good, headers=auth("evaluator")), 403)
    for weight in (1, 100):
        assert (
            await api.client.post(url, json={**good, "weight": weight}, headers=api.city)
        ).status_code == 201
    assert_problem(
        await api.client.post("/evaluation/targets/99999/indicators", json=good, headers=api.city), 404
    )


async def test_rubric_levels_have_korean_labels_values_and_one_excluded_na(api: Evaluation) -> None:
    cycle_id = await api.cycle()
    rubric = await api.rubric(cycle_id)
    assert [(level["label_ko"], level["value"], level["not_applicable"]) for level in rubric["levels"]][
        -2:
    ] == [
        ("매우 미흡", "1", False),
        ("해당 없음", None, True),
    ]
    url = f"/evaluation/cycles/{cycle_id}/rubrics"
    valued = [{"label_ko": "우수", "value": 2}, {"label_ko": "미흡", "value": 1}]
    na = {"label_ko": "해당 없음", "not_applicable": True}
    cases: list[tuple[list[dict[str, Any]], str]] = [
        ([*valued, na, {**na, "label_ko": "모름"}], "body.levels.3.not_applicable"),
        ([*valued, {**na, "value": 0}], "body.levels.2.value"),
        ([*valued, {"label_ko": "보통"}], "body.levels.2.value"),
        ([*valued, {"label_ko": "우수", "value": 3}], "body.levels.2.label_ko"),
        ([*valued, {"label_ko": "보통", "value": 2}], "body.levels.2.value"),
        ([valued[0], na], "body.levels"),  # one valued level is no scale
        ([valued[0]], "body.levels"),
    ]
    for levels, field in cases:
        response = await api.client.post(url, json={"name_ko": "척도", "levels": levels}, headers=api.city)
        assert_problem(response, 422, field)
    response = await api.client.post(url, json={"name_ko": "척도", "levels": [*valued, na]}, headers=api.city)
    assert response.status_code == 201


def test_a_na_level_is_left_out_of_a_mean_not_counted_as_zero() -> None:
    assert mean_of_levels([Decimal(5), None, Decimal(3)]) == Fraction(4)
    assert mean_of_levels([Decimal(5), Decimal(0), Decimal(3)]) == Fraction(8, 3)
    assert mean_of_levels([None, None]) is None


async def _ready_target(
    api: Evaluation, common: int, specific: int, round: int = 1, year: int = 2017
) -> dict[str, Any]:
    cycle_id = await api.cycle(year=year)
    await api.schedule(cycle_id, round)
    target = await api.target(cycle_id, round=round)
    await api.common(cycle_id, common)
    if specific:
        await api.specific(target["id"], specific)
    return target


@pytest.mark.parametrize(("common", "specific", "status"), [(60, 39, 422), (60, 40, 200), (60, 41, 422)])
async def test_a_target_opens_only_at_exactly_100_points(
    api: Evaluation, common: int, specific: int, status: int
) -> None:
    target = await _ready_target(api, common, specific)
    response = await api.open_target(target["id"])
    assert response.status_code == status, response.text
    if status == 422:
        problem = assert_problem(response, 422, "weights.total")
        assert problem["code"] == "weights-not-100"
        assert f"sum to {common + specific} points" in problem["detail"]
        assert problem["weights"] == {"common": common, "specific": specific, "total": common + specific}
        got = await api.client.get(f"/evaluation/targets/{target['id']}", headers=api.city)
        assert got.json()["status"] == "configuring"
    else:
        assert (response.json()["status"], response.json()["opened_by"]) == ("open", "city-officer-1")
        assert_problem(await api.open_target(target["id"]), 409)


async def test_a_target_opens_only_with_every_window_of_its_round(api: Evaluation) -> None:
    cycle_id = await api.cycle()
    target = await api.target(cycle_id)
    await api.common(cycle_id, 100)
    await api.ok(
        "POST",
        f"/evaluation/cycles/{cycle_id}/rounds/1/windows",
        json={"phase": "appeal", "starts_on": "2017-09-23", "ends_on": "2017-09-28"},
    )
    problem = assert_problem(await api.open_target(target["id"]), 422, "path.round")
    assert problem["code"] == "windows-missing"
    assert "appeal" not in problem["missing_phases"] and len(problem["missing_phases"]) == 6
    await api.schedule(await api.cycle(), 1)  # another cycle's windows do not count
    assert_problem(await api.open_target(target["id"]), 422, "path.round")


async def test_an_open_target_freezes_its_indicators_and_the_common_ones(api: Evaluation) -> None:
    target = await _ready_target(api, 60, 40)
    cycle_id = target["cycle_id"]
    listed = await api.client.get(f"/evaluation/targets/{target['id']}/indicators", headers=api.city)
    common, own = listed.json()["items"]
    assert (await api.open_target(target["id"])).status_code == 200
    body = {"name_ko": "추가 지표", "measure": "unit", "weight": 1}
    attempts = [
        await api.client.post(f"/evaluation/targets/{target['id']}/indicators", json=body, headers=api.city),
        await api.client.post(f"/evaluation/cycles/{cycle_id}/indicators", json=body, headers=api.city),
        await api.client.patch(f"/evaluation/indicators/{own['id']}", json={"weight": 39}, headers=api.city),
        await api.client.patch(
            f"/evaluation/indicators/{common['id']}", json={"weight": 61}, headers=api.city
        ),
        await api.client.delete(f"/evaluation/indicators/{own['id']}", headers=api.city),
    ]
    for response in attempts:
        assert assert_problem(response, 409)["code"] == "target-open"
    # A target not yet open in the same cycle keeps its own indicators editable.
    other = await api.target(cycle_id, district=GWANAK)
    assert (
        await api.client.post(f"/evaluation/targets/{other['id']}/indicators", json=body, headers=api.city)
    ).status_code == 201


async def test_weights_are_changed_until_they_sum_to_100(api: Evaluation) -> None:
    target = await _ready_target(api, 60, 41)
    listed = await api.client.get(f"/evaluation/targets/{target['id']}/indicators", headers=api.city)
    own = listed.json()["items"][1]
    url = f"/evaluation/indicators/{own['id']}"
    assert_problem(await api.client.patch(url, json={"weight": 0}, headers=api.city), 422, "body.weight")
    assert_problem(await api.client.patch(url, json={"weight": None}, headers=api.city), 422, "body.weight")
    assert_problem(
        await api.client.patch(url, json={"rubric_id": 1}, headers=api.city), 422, "body.rubric_id"
    )
    changed = await api.client.patch(url, json={"weight": 40, "target": "25"}, headers=api.city)
    assert (changed.json()["weight"], changed.json()["target"]) == (40, "25")
    assert (await api.open_target(target["id"])).status_code == 200


async def test_a_round_opens_all_its_targets_or_none(api: Evaluation) -> None:
    cycle_id = await api.cycle()
    await api.schedule(cycle_id, 1)
    url = f"/evaluation/cycles/{cycle_id}/rounds/1/open"
    assert assert_problem(await api.client.post(url, headers=api.city), 422, "path.round")["code"] == (
        "round-has-no-targets"
    )
    eunpyeong, gangbuk = await api.target(cycle_id), await api.target(cycle_id, district=GANGBUK)
    round_two = await api.target(cycle_id, round=2, district=GWANAK)
    await api.common(cycle_id, 70)
    await api.specific(eunpyeong["id"], 30)
    await api.specific(gangbuk["id"], 29)
    problem = assert_problem(await api.client.post(url, headers=api.city), 422)
    assert [e["field"] for e in problem["errors"]] == [f"targets.{gangbuk['id']}.weights.total"]
    assert "sum to 99 points" in problem["detail"]
    first = await api.client.get(f"/evaluation/targets/{eunpyeong['id']}", headers=api.city)
    assert first.json()["status"] == "configuring"  # none opened
    extra = await api.specific(gangbuk["id"], 2)
    problem = assert_problem(await api.client.post(url, headers=api.city), 422)
    assert "sum to 101 points" in problem["detail"]
    await api.ok("PATCH", f"/evaluation/indicators/{extra['id']}", json={"weight": 1})
    opened = await api.client.post(url, headers=api.city)
    assert opened.status_code == 200, opened.text
    assert opened.json()["target_ids"] == [eunpyeong["id"], gangbuk["id"]]
    assert (
        assert_problem(await api.client.post(url, headers=api.city), 409, "path.round")["code"]
        == "round-open"
    )
    still = await api.client.get(f"/evaluation/targets/{round_two['id']}", headers=api.city)
    assert still.json()["status"] == "configuring"
    assert_problem(
        await api.client.post(f"/evaluation/cycles/{cycle_id}/rounds/2/open", headers=api.city),
        422,
        "path.round",
    )  # round 2 has no windows yet


async def test_opening_and_a_racing_indicator_never_both_win(committing: Evaluation) -> None:
    api = committing
    outcomes: Counter[tuple[int, int]] = Counter()
    for _ in range(4):
        target = await _ready_target(api, 60, 40, round=1)
        body = {"name_ko": "늦은 지표", "measure": "unit", "weight": 1}
        opened, added = await asyncio.gather(
            api.open_target(target["id"]),
            api.client.post(f"/evaluation/targets/{target['id']}/indicators", json=body, headers=api.city),
        )
        outcomes[(opened.status_code, added.status_code)] += 1
        final = (await api.client.get(f"/evaluation/targets/{target['id']}", headers=api.city)).json()
        if final["status"] == "open":
            assert final["weights"]["total"] == 100
        assert (opened.status_code == 200) != (added.status_code == 201)
    assert set(outcomes) <= {(200, 409), (422, 201)}


async def test_an_indicator_is_changed_safely_with_its_etag(api: Evaluation) -> None:
    cycle_id = await api.cycle()
    indicator = await api.common(cycle_id, 50)
    url = f"/evaluation/indicators/{indicator['id']}"
    read = await api.client.get(url, headers=api.city)
    assert read.headers["etag"] == '"1"'
    changed = await api.client.patch(url, json={"weight": 60}, headers={**api.city, "If-Match": '"1"'})
    assert changed.status_code == 200, changed.text
    assert changed.headers["etag"] == '"2"'
    stale = await api.client.patch(url, json={"weight": 70}, headers={**api.city, "If-Match": '"1"'})
    assert assert_problem(stale, 412, "header.If-Match")["etag"] == '"2"'
    assert (await api.client.get(url, headers=api.city)).json()["weight"] == 60

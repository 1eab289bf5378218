from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import time_machine
from sqlalchemy.ext.asyncio import AsyncSession

from services.evaluation.windows.errors import WindowNotSet
from services.evaluation.windows.phases import Phase
from services.evaluation.windows.service import require_window
from shared.seoul import SEOUL
from tests.conftest import ServiceHarness, assert_problem
from tests.evaluation.conftest import GANGBUK, SCHEDULE_2017, Auth, Evaluation


async def test_the_2017_schedule_is_data_listed_in_phase_order(api: Evaluation, auth: Auth) -> None:
    cycle_id = await api.cycle()
    await api.schedule(cycle_id, 1)
    await api.schedule(cycle_id, 2)
    for round in (1, 2):
        url = f"/evaluation/cycles/{cycle_id}/rounds/{round}/windows"
        windows = (await api.client.get(url, headers=auth("evaluator"))).json()
        got = {w["phase"]: (w["starts_on"], w["ends_on"]) for w in windows}
        assert list(got) == list(SCHEDULE_2017[round])
        assert got == SCHEDULE_2017[round]
    one = await api.client.get(
        f"/evaluation/cycles/{cycle_id}/rounds/2/windows/appeal", headers=auth("auditor")
    )
    assert one.json()["phase_ko"] == "이의 제기"
    assert one.json()["extensions"] == []


async def test_window_input_is_checked_field_by_field(api: Evaluation, auth: Auth) -> None:
    cycle_id = await api.cycle()
    url = f"/evaluation/cycles/{cycle_id}/rounds/1/windows"
    one_day = {"phase": "appeal", "starts_on": "2017-09-23", "ends_on": "2017-09-23"}
    cases: list[tuple[str, dict[str, Any], str]] = [
        (url, {**one_day, "ends_on": "2017-09-22"}, "body.ends_on"),  # a day before its first day
        (url, {**one_day, "phase": "lottery"}, "body.phase"),
        (url, {**one_day, "starts_on": "2017-02-30"}, "body.starts_on"),
        (f"/evaluation/cycles/{cycle_id}/rounds/3/windows", one_day, "path.round"),
        (f"/evaluation/cycles/{cycle_id}/rounds/0/windows", one_day, "path.round"),
    ]
    for path, body, field in cases:
        assert_problem(await api.client.post(path, json=body, headers=api.city), 422, field)
    assert_problem(await api.client.post(url, json=one_day, headers=auth("evaluator")), 403)
    assert (await api.client.post(url, json=one_day, headers=api.city)).status_code == 201  # one day: allowed
    again = await api.client.post(url, json=one_day, headers=api.city)
    assert assert_problem(again, 409, "body.phase")["code"] == "window-exists"
    assert_problem(await api.client.get(url + "/notification", headers=api.city), 404, "path.phase")
    assert_problem(await api.client.get(url, headers=auth("citizen")), 403)
    assert_problem(await api.client.get(url), 401)


async def test_an_extension_needs_a_later_day_and_a_reason_and_is_recorded(
    api: Evaluation, auth: Auth
) -> None:
    cycle_id = await api.cycle()
    await api.schedule(cycle_id, 1)
    url = f"/evaluation/cycles/{cycle_id}/rounds/1/windows/report_submission/extensions"
    later = {"ends_on": "2017-09-04", "reason": "추석 연휴 전 제출 서류 보완"}
    cases: list[tuple[dict[str, Any], str]] = [
        ({"ends_on": "2017-09-04"}, "body.reason"),
        ({**later, "reason": "   "}, "body.reason"),
        ({**later, "ends_on": "2017-08-31"}, "body.ends_on"),  # the current last day: not an extension
        ({**later, "ends_on": "2017-08-30"}, "body.ends_on"),
    ]
    for body, field in cases:
        assert_problem(await api.client.post(url, json=body, headers=api.city), 422, field)
    assert_problem(await api.client.post(url, json=later, headers=auth("secretariat")), 403)
    response = await api.client.post(
        url, json={**later, "ends_on": "2017-09-01"}, headers=api.city
    )  # the day after: the shortest extension
    assert response.status_code == 201, response.text
    window = (await api.client.post(url, json=later, headers=api.city)).json()
    assert (window["original_ends_on"], window["ends_on"]) == ("2017-08-31", "2017-09-04")
    assert [(e["previous_ends_on"], e["ends_on"]) for e in window["extensions"]] == [
        ("2017-08-31", "2017-09-01"),
        ("2017-09-01", "2017-09-04"),
    ]
    last = window["extensions"][-1]
    assert (last["actor"], last["actor_role"], last["reason"]) == (
        "city-officer-1",
        "city_officer",
        "추석 연휴 전 제출 서류 보완",
    )
    assert last["at"].endswith("+09:00")


def seoul(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=SEOUL)  # type: ignore[misc]


async def _measured_target(api: Evaluation, round: int = 1) -> tuple[dict[str, Any], dict[str, Any]]:
    cycle_id = await api.cycle()
    await api.schedule(cycle_id, round)
    target = await api.target(cycle_id, round=round)
    indicator = await api.common(cycle_id, 100)
    assert (await api.open_target(target["id"])).status_code == 200
    return target, indicator


async def _put_actual(
    api: Evaluation, target: dict[str, Any], indicator: dict[str, Any], at: datetime
) -> httpx.Response:
    with time_machine.travel(at, tick=False):
        url = f"/evaluation/targets/{target['id']}/indicators/{indicator['id']}/actual"
        return await api.client.put(url, json={"actual": "12"}, headers=api.city)


# Round 1's quantitative measurement runs 2017-09-01 to 2017-09-11 (seed 004), both days included.
@pytest.mark.parametrize(
    ("moment", "status"),
    [
        (seoul(2017, 8, 31, 12, 0), 409),  # the day before
        (seoul(2017, 8, 31, 23, 59, 59), 409),  # the last second before Seoul's midnight
        (seoul(2017, 9, 1, 0, 0, 0), 200),  # Seoul's midnight: the first day begins
        (datetime(2017, 8, 31, 15, 0, tzinfo=UTC), 200),  # the same instant: still 31 August in UTC
        (seoul(2017, 9, 6, 12, 0), 200),
        (seoul(2017, 9, 11, 23, 59, 59), 200),  # the last second of the last day
        (datetime(2017, 9, 11, 15, 0, tzinfo=UTC), 409),  # 12 September in Seoul, 11 September in UTC
        (seoul(2017, 9, 12, 12, 0), 409),  # the day after
    ],
)
async def test_measuring_is_refused_outside_its_window_by_the_seoul_date(
    api: Evaluation, moment: datetime, status: int
) -> None:
    target, indicator = await _measured_target(api)
    response = await _put_actual(api, target, indicator, moment)
    assert response.status_code == status, response.text
    if status == 409:
        problem = assert_problem(response, 409)
        assert problem["code"] == "outside-window"
        assert (problem["phase"], problem["round"]) == ("quantitative_measurement", 1)
        assert (problem["starts_on"], problem["ends_on"]) == ("2017-09-01", "2017-09-11")
        assert "2017-09-01" in problem["detail"] and "2017-09-11" in problem["detail"]
    else:
        assert response.json()["actual"] == "12"


async def test_an_extended_window_admits_its_new_days_only(api: Evaluation) -> None:
    target, indicator = await _measured_target(api)
    url = f"/evaluation/cycles/{target['cycle_id']}/rounds/1/windows/quantitative_measurement/extensions"
    body = {"ends_on": "2017-09-14", "reason": "측정 자료 추가 제출"}
    assert (await api.client.post(url, json=body, headers=api.city)).status_code == 201
    assert (await _put_actual(api, target, indicator, seoul(2017, 9, 12, 0, 0))).status_code == 200
    assert (await _put_actual(api, target, indicator, seoul(2017, 9, 14, 23, 59, 59))).status_code == 200
    late = await _put_actual(api, target, indicator, seoul(2017, 9, 15, 0, 0))
    assert assert_problem(late, 409)["ends_on"] == "2017-09-14"


async def test_each_round_has_its_own_window(api: Evaluation) -> None:
    target, indicator = await _measured_target(api, round=2)
    early = await _put_actual(api, target, indicator, seoul(2017, 9, 5, 12, 0))  # round 1's days
    problem = assert_problem(early, 409)
    assert (problem["round"], problem["starts_on"], problem["ends_on"]) == (2, "2017-10-01", "2017-10-11")
    assert (await _put_actual(api, target, indicator, seoul(2017, 10, 1, 0, 0))).status_code == 200


async def test_measuring_needs_an_open_target_and_a_quantitative_indicator_of_it(api: Evaluation) -> None:
    cycle_id = await api.cycle()
    await api.schedule(cycle_id, 1)
    target = await api.target(cycle_id)
    other = await api.target(cycle_id, district=GANGBUK)
    rubric = await api.rubric(cycle_id)
    counted = await api.common(cycle_id, 60)
    interviewed = await api.specific(target["id"], 30, measure="qualitative", rubric_id=rubric["id"])
    others = await api.specific(other["id"], 10)
    at = seoul(2017, 9, 5, 12, 0)
    not_open = await _put_actual(api, target, counted, at)
    assert_problem(not_open, 422, "path.target_id")
    await api.specific(target["id"], 10)
    assert (await api.open_target(target["id"])).status_code == 200
    assert_problem(await _put_actual(api, target, interviewed, at), 422, "path.indicator_id")
    assert_problem(await _put_actual(api, target, others, at), 422, "path.indicator_id")
    assert (await _put_actual(api, target, counted, at)).status_code == 200
    url = f"/evaluation/targets/{target['id']}/indicators/{counted['id']}/actual"
    for body, field in (
        ({"actual": "NaN"}, "body.actual"),
        ({}, "body.actual"),
        ({"actual": "1e14"}, "body.actual"),
    ):
        with time_machine.travel(at, tick=False):
            response = await api.client.put(url, json=body, headers=api.city)
        assert_problem(response, 422, field)
    measured = await api.client.get(f"/evaluation/targets/{target['id']}/measurements", headers=api.city)
    assert [(m["indicator_id"], m["actual"]) for m in measured.json()] == [(counted["id"], "12")]


async def test_an_action_whose_phase_has_no_window_is_a_conflict(evaluation_harness: ServiceHarness) -> None:
    async with AsyncSession(evaluation_harness.engine) as session:
        with pytest.raises(WindowNotSet) as refused:
            await require_window(session, cycle_id=987654, round=1, phase=Phase.appeal)
    assert refused.value.status == 409
    assert refused.value.extra == {"phase": "appeal", "round": 1}

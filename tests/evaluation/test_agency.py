"""The agency side: an agency token, its report and self-evaluation for its own target, in its window."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import time_machine

from shared.auth import identity_from_claims, mint_token
from shared.problems import Unauthorized
from shared.seoul import SEOUL
from shared.settings import CommonSettings
from tests.conftest import assert_problem
from tests.evaluation.conftest import Evaluation

AgencyAuth = Callable[[int | None], dict[str, str]]
IN_WINDOW = datetime(2017, 8, 28, 12, 0, tzinfo=SEOUL)  # round 1's report submission: 2017-08-25 – 08-31


@pytest.fixture
def agency(settings: CommonSettings) -> AgencyAuth:
    """agency(organization_id) -> headers; minted at each use so a pinned clock gets a valid token."""

    def make(organization_id: int | None) -> dict[str, str]:
        token = mint_token(
            settings, subject=f"agency-{organization_id}", role="agency", organization_id=organization_id
        )
        return {"Authorization": f"Bearer {token}"}

    return make


async def _open_target(api: Evaluation) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """An open round-1 target: a quantitative common indicator (60) and a qualitative specific one (40)."""
    cycle_id = await api.cycle()
    await api.schedule(cycle_id, 1)
    target = await api.target(cycle_id)
    rubric = await api.rubric(cycle_id)
    unit = await api.common(cycle_id, 60, baseline=4, target=12)
    quality = await api.specific(target["id"], 40, measure="qualitative", rubric_id=rubric["id"])
    assert (await api.open_target(target["id"])).status_code == 200
    return target, unit, quality


REPORT = {
    "title": "2017 은평구 시민협력플랫폼 최종실적보고서",
    "reference": "https://example.org/은평/보고서.pdf",
}


async def test_an_agency_token_must_name_its_organisation(api: Evaluation, agency: AgencyAuth) -> None:
    target = await api.target(await api.cycle())
    problem = assert_problem(
        await api.client.get(f"/evaluation/targets/{target['id']}", headers=agency(None)), 401
    )
    assert "organization_id" in problem["detail"]
    mine = await api.client.get(
        f"/evaluation/targets/{target['id']}", headers=agency(target["organization_id"])
    )
    assert mine.status_code == 200 and mine.json()["id"] == target["id"]


async def test_an_agency_reads_only_its_own_target_and_indicators(
    api: Evaluation, agency: AgencyAuth
) -> None:
    target, unit, quality = await _open_target(api)
    own = agency(target["organization_id"])
    other = agency(target["organization_id"] + 1)
    listed = await api.client.get(f"/evaluation/targets/{target['id']}/indicators", headers=own)
    assert [i["id"] for i in listed.json()["items"]] == [unit["id"], quality["id"]]
    for url in (f"/evaluation/targets/{target['id']}", f"/evaluation/targets/{target['id']}/indicators"):
        problem = assert_problem(await api.client.get(url, headers=other), 403, "path.target_id")
        assert f"organisation {target['organization_id']}" in problem["detail"]
    # The configuration of the cycle stays staff-only.
    cycle_id = target["cycle_id"]
    assert_problem(await api.client.get(f"/evaluation/cycles/{cycle_id}/targets", headers=own), 403)


@pytest.mark.parametrize(
    ("moment", "status"),
    [
        (datetime(2017, 8, 24, 12, 0, tzinfo=SEOUL), 409),  # the day before
        (datetime(2017, 8, 24, 23, 59, 59, tzinfo=SEOUL), 409),  # the last second before Seoul's midnight
        (datetime(2017, 8, 24, 15, 0, tzinfo=UTC), 200),  # Seoul's midnight: still 24 August in UTC
        (datetime(2017, 8, 31, 23, 59, 59, tzinfo=SEOUL), 200),  # the last second of the last day
        (datetime(2017, 8, 31, 15, 0, tzinfo=UTC), 409),  # 1 September in Seoul, 31 August in UTC
        (datetime(2017, 9, 1, 12, 0, tzinfo=SEOUL), 409),  # the day after
    ],
)
async def test_the_report_is_submitted_only_in_its_window(
    api: Evaluation, agency: AgencyAuth, moment: datetime, status: int
) -> None:
    target, unit, _ = await _open_target(api)
    with time_machine.travel(moment, tick=False):
        headers = agency(target["organization_id"])
        report = await api.client.put(
            f"/evaluation/targets/{target['id']}/report", json=REPORT, headers=headers
        )
        score = await api.client.put(
            f"/evaluation/targets/{target['id']}/indicators/{unit['id']}/self-evaluation",
            json={"value": "10"},
            headers=headers,
        )
    for response in (report, score):
        assert response.status_code == status, response.text
        if status == 409:
            problem = assert_problem(response, 409)
            assert problem["code"] == "outside-window" and problem["phase"] == "report_submission"
            assert (problem["starts_on"], problem["ends_on"]) == ("2017-08-25", "2017-08-31")


async def test_a_report_round_trips_korean_and_is_replaced_with_history(
    api: Evaluation, agency: AgencyAuth, auth: Callable[..., dict[str, str]]
) -> None:
    target, _, _ = await _open_target(api)
    url = f"/evaluation/targets/{target['id']}/report"
    with time_machine.travel(IN_WINDOW, tick=False):
        headers = agency(target["organization_id"])
        first = await api.client.put(url, json=REPORT, headers=headers)
        assert first.status_code == 200, first.text
        assert (first.json()["title"], first.json()["reference"]) == (REPORT["title"], REPORT["reference"])
        again = {"title": "최종실적보고서 (수정본)", "reference": "공론장 12회, 분과 활동 보고 …"}
        assert (await api.client.put(url, json=again, headers=headers)).status_code == 200
        for reader in (headers, auth("auditor"), api.city):
            read = await api.client.get(url, headers=reader)
            assert read.status_code == 200 and read.json()["title"] == again["title"], read.text
        assert_problem(await api.client.get(url, headers=auth("evaluator")), 403)
        assert_problem(
            await api.client.get(url, headers=agency(target["organization_id"] + 1)), 403, "path.target_id"
        )
        history = await api.client.get(
            "/evaluation/history", params={"table": "reports"}, headers=auth("auditor")
        )
    entries = [e for e in history.json()["items"] if e["after"]["target_id"] == target["id"]]
    assert [e["action"] for e in entries] == ["insert", "update"]
    assert (
        entries[0]["after"]["title"] == REPORT["title"] and entries[1]["before"]["title"] == REPORT["title"]
    )
    assert entries[1]["actor_role"] == "agency"


async def test_only_the_agency_of_an_open_target_submits(
    api: Evaluation, agency: AgencyAuth, auth: Callable[..., dict[str, str]]
) -> None:
    target, _, _ = await _open_target(api)
    url = f"/evaluation/targets/{target['id']}/report"
    with time_machine.travel(IN_WINDOW, tick=False):
        other = await api.client.put(url, json=REPORT, headers=agency(target["organization_id"] + 1))
        problem = assert_problem(other, 403, "path.target_id")
        assert f"organisation {target['organization_id'] + 1} only" in problem["detail"]
        assert_problem(await api.client.put(url, json=REPORT, headers=api.city), 403)
        assert_problem(await api.client.put(url, json=REPORT, headers=auth("auditor")), 403)
        closed = await api.target(target["cycle_id"])  # configuring: weights not yet 100, not open
        response = await api.client.put(
            f"/evaluation/targets/{closed['id']}/report",
            json=REPORT,
            headers=agency(closed["organization_id"]),
        )
        assert assert_problem(response, 409, "path.target_id")["code"] == "target-not-open"
        assert_problem(await api.client.get(url, headers=api.city), 404, "path.target_id")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reference": "x"}, "body.title"),
        ({"title": "  ", "reference": "x"}, "body.title"),
        ({"title": "t"}, "body.reference"),
        ({"title": "t", "reference": "x", "extra": 1}, "body.extra"),
        ({"title": "t" * 301, "reference": "x"}, "body.title"),
    ],
)
async def test_a_bad_report_names_its_field(
    api: Evaluation, agency: AgencyAuth, body: dict[str, Any], field: str
) -> None:
    target, _, _ = await _open_target(api)
    with time_machine.travel(IN_WINDOW, tick=False):
        response = await api.client.put(
            f"/evaluation/targets/{target['id']}/report", json=body, headers=agency(target["organization_id"])
        )
    assert_problem(response, 422, field)


async def test_self_evaluation_takes_the_indicators_shapes_and_na(
    api: Evaluation, agency: AgencyAuth, auth: Callable[..., dict[str, str]]
) -> None:
    target, unit, quality = await _open_target(api)
    base = f"/evaluation/targets/{target['id']}/indicators"
    with time_machine.travel(IN_WINDOW, tick=False):
        headers = agency(target["organization_id"])

        async def put(indicator: dict[str, Any], body: dict[str, Any]) -> httpx.Response:
            return await api.client.put(
                f"{base}/{indicator['id']}/self-evaluation", json=body, headers=headers
            )

        for indicator, body, field in (
            (unit, {"level": 1}, "body.level"),
            (unit, {}, "body.value"),
            (unit, {"value": "1e14"}, "body.value"),
            (quality, {"value": "3"}, "body.value"),
            (quality, {}, "body.level"),
            (quality, {"level": 7}, "body.level"),  # six levels: 7 is just above
            (quality, {"level": 0}, "body.level"),
        ):
            assert_problem(await put(indicator, body), 422, field)
        other_target = await api.target(target["cycle_id"])
        foreign = await api.specific(other_target["id"], 10)
        assert_problem(await put(foreign, {"value": "1"}), 422, "path.indicator_id")

        assert (await put(unit, {"value": "10.5"})).json()["value"] == "10.5"
        assert (await put(quality, {"level": 1})).json()["level_label_ko"] == "매우 우수"
        na = (await put(quality, {"level": 6})).json()  # 해당 없음: replaces the draft, excluded not zero
        assert (na["level"], na["not_applicable"], na["level_value"]) == (6, True, None)

        for reader in (headers, api.city, auth("auditor")):
            listed = await api.client.get(
                f"/evaluation/targets/{target['id']}/self-evaluation", params={"limit": 1}, headers=reader
            )
            page = listed.json()
            assert [s["value"] for s in page["items"]] == ["10.5"], listed.text
            rest = await api.client.get(
                f"/evaluation/targets/{target['id']}/self-evaluation",
                params={"cursor": page["next_cursor"]},
                headers=reader,
            )
            assert [s["level_label_ko"] for s in rest.json()["items"]] == ["해당 없음"]
        bad = await api.client.get(
            f"/evaluation/targets/{target['id']}/self-evaluation", params={"cursor": "nope"}, headers=headers
        )
        assert_problem(bad, 400)
        history = await api.client.get(
            "/evaluation/history", params={"table": "self_scores"}, headers=api.city
        )
    mine = [e for e in history.json()["items"] if e["after"]["target_id"] == target["id"]]
    assert [e["action"] for e in mine] == ["insert", "insert", "update"]


@pytest.mark.parametrize("organization_id", [None, 0, -1, "12", True, 2**31])
def test_an_agency_claim_without_a_valid_organisation_is_refused(organization_id: object) -> None:
    claims = {"sub": "agency-x", "role": "agency", "organization_id": organization_id}
    with pytest.raises(Unauthorized):
        identity_from_claims(claims)


def test_an_agency_claim_with_its_organisation_is_accepted() -> None:
    claims = {"sub": "agency-x", "role": "agency", "organization_id": 1}
    assert identity_from_claims(claims).organization_id == 1

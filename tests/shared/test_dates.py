"""Dates are ISO text: every date parameter of every service, and the date fields of bodies, take YYYY-MM-DD
(date-times ISO 8601 text) only, and answer anything else with a 422 naming the field."""

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from pydantic import TypeAdapter, ValidationError

from shared.dates import AwareIsoDatetime, IsoDate
from shared.seoul import seoul_date
from tests.clock import EDGES
from tests.conftest import assert_problem

NOT_DATES = ["0", "1", "-1", "20170101", "2017-1-1", "2017-02-30", "1483228800", "2017-01-01T00:00:00", "x"]
FILLERS = {"code": "11110"}  # path parameters that are not integers


@pytest.mark.parametrize("value", [0, 1, -1, 20170101, 1.5, *NOT_DATES, "２０１７-01-01", "2017-01-01\n"])
def test_an_iso_date_is_written_yyyy_mm_dd(value: object) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(IsoDate).validate_python(value)


def test_a_written_date_and_a_date_are_dates() -> None:
    assert TypeAdapter(IsoDate).validate_python("2017-02-28") == date(2017, 2, 28)
    assert TypeAdapter(IsoDate).validate_python(date(2016, 2, 29)) == date(2016, 2, 29)
    assert TypeAdapter(IsoDate).validate_json('"2016-02-29"') == date(2016, 2, 29)
    with pytest.raises(ValidationError):
        TypeAdapter(IsoDate).validate_json("0")


@pytest.mark.parametrize("value", [0, "0", 1.5e9, "1500000000", "2017-01-01", "2017-01-01T00:00:00"])
def test_a_date_time_is_text_with_an_offset(value: object) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(AwareIsoDatetime).validate_python(value)


@pytest.mark.parametrize(("instant", "expected"), EDGES)
def test_an_instants_date_is_its_seoul_date(instant: datetime, expected: date) -> None:
    assert seoul_date(instant) == expected
    assert seoul_date(instant.astimezone(UTC)) == expected
    with pytest.raises(ValueError, match="naive"):
        seoul_date(instant.replace(tzinfo=None))


def date_parameters(spec: dict[str, Any]) -> list[tuple[str, str]]:
    """(path with its path parameters filled, query parameter) for every date query or path parameter."""
    found = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            params = operation.get("parameters", [])
            for param in params:
                schema = param["schema"]
                if method != "get" or "date" not in {
                    s.get("format") for s in [schema, *schema.get("anyOf", [])]
                }:
                    continue
                filled = path
                for other in params:
                    if other["in"] == "path":
                        filled = filled.replace(f"{{{other['name']}}}", FILLERS.get(other["name"], "1"))
                found.append((filled, f"{param['in']}.{param['name']}"))
    return found


@pytest.fixture
def clients(
    councils: httpx.AsyncClient, budget: httpx.AsyncClient, evaluation: httpx.AsyncClient
) -> dict[str, httpx.AsyncClient]:
    return {"councils": councils, "budget": budget, "evaluation": evaluation}


async def test_every_date_parameter_takes_only_an_iso_calendar_date(
    clients: dict[str, httpx.AsyncClient],
) -> None:
    seen = []
    for client in clients.values():
        spec = (await client.get("/openapi.json")).json()
        for path, field in date_parameters(spec):
            assert field.startswith("query."), f"{path}: a date in the path needs a test of its own"
            name = field.removeprefix("query.")
            for value in NOT_DATES:
                problem = assert_problem(await client.get(path, params={name: value}), 422, field=field)
                assert any(
                    "YYYY-MM-DD" in e["message"] or "calendar" in e["message"] for e in problem["errors"]
                )
            good = await client.get(path, params={name: "2017-06-30"})
            errors = [e["field"] for e in good.json().get("errors", [])] if good.status_code == 422 else []
            assert field not in errors, (path, good.text)
            seen.append((path, field))
    assert ("/councils/districts/11110/status", "query.on") in seen
    assert len(seen) >= 12, seen


async def test_on_zero_is_not_1970(councils: httpx.AsyncClient) -> None:
    problem = assert_problem(await councils.get("/councils/districts/11110/status", params={"on": "0"}), 422)
    assert [e["field"] for e in problem["errors"]] == ["query.on"]
    assert problem["code"]


SCHEDULE = {
    "kind": "steering",
    "title": "정례회의",
    "week_of_month": 4,
    "weekday": "thu",
    "start_time": "10:00",
}


@pytest.mark.parametrize("value", [0, 20170101, "2017-1-1", "2017-02-30", "2017-01-01T00:00:00"])
async def test_body_dates_are_iso_calendar_dates(
    councils: httpx.AsyncClient, auth: Callable[..., dict[str, str]], value: object
) -> None:
    city = auth("city_officer")
    body = (
        await councils.post(
            "/councils/bodies",
            json={"classification": "steering_committee", "name_ko": "운영위"},
            headers=city,
        )
    ).json()
    url = f"/councils/bodies/{body['id']}/schedules"
    response = await councils.post(url, json={**SCHEDULE, "valid_from": value}, headers=city)
    assert_problem(response, 422, field="body.valid_from")
    later = {**SCHEDULE, "valid_from": "2017-01-01", "valid_until": value}
    assert_problem(await councils.post(url, json=later, headers=city), 422, field="body.valid_until")
    schedule = (await councils.post(url, json={**SCHEDULE, "valid_from": "2017-01-01"}, headers=city)).json()
    expand = f"/councils/schedules/{schedule['id']}/expand"
    response = await councils.post(expand, json={"from": value, "to": "2017-12-31"}, headers=city)
    assert_problem(response, 422, field="body.from")


@pytest.mark.parametrize("value", [0, 1_500_000_000, "0", "1500000000", "2017-06-26"])
async def test_body_date_times_are_not_numbers(
    councils: httpx.AsyncClient, budget: httpx.AsyncClient, auth: Callable[..., dict[str, str]], value: object
) -> None:
    city = auth("city_officer")
    body = (
        await councils.post(
            "/councils/bodies", json={"classification": "tft", "name_ko": "TFT"}, headers=city
        )
    ).json()
    meeting = {"organization_id": body["id"], "kind": "plenary", "title": "회의", "starts_at": value}
    assert_problem(
        await councils.post("/councils/meetings", json=meeting, headers=city), 422, "body.starts_at"
    )
    election = {
        "name_ko": "주민투표",
        "budget_krw": 1000,
        "projects": [{"project_id": "A", "name": "공원", "cost_krw": 500}],
        "opens_at": value,
        "closes_at": "2017-07-01T00:00:00+09:00",
    }
    assert_problem(await budget.post("/budget/elections", json=election, headers=city), 422, "body.opens_at")

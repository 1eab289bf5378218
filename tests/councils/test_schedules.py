"""Regular schedules and the iCalendar export."""

import pytest

from tests.clock import Clock
from tests.conftest import assert_problem
from tests.councils.helpers import Api, meeting

STEERING_2017 = [
    "2017-07-27T10:00:00+09:00",
    "2017-08-24T10:00:00+09:00",
    "2017-09-28T10:00:00+09:00",
    "2017-10-26T10:00:00+09:00",
    "2017-11-23T10:00:00+09:00",
    "2017-12-28T10:00:00+09:00",
]


SCHEDULE = {
    "kind": "regular",
    "title": "정례회의",
    "week_of_month": 4,
    "weekday": "thu",
    "start_time": "10:00",
    "valid_from": "2017-01-01",
}


async def steering_schedule(api: Api) -> tuple[dict[str, object], dict[str, object]]:
    _, steering = await api.association()
    payload = {
        "kind": "steering",
        "title": "운영위원회 정례회의",
        "week_of_month": 4,
        "weekday": "thu",
        "start_time": "10:00",
        "duration_minutes": 90,
        "valid_from": "2017-06-20",
    }
    response = await api.client.post(
        f"/councils/bodies/{steering['id']}/schedules", json=payload, headers=api.city
    )
    return steering, await api.ok(response)


async def test_monthly_fourth_thursday_gives_the_dates_of_the_source(api: Api) -> None:
    _, schedule = await steering_schedule(api)
    response = await api.client.get(
        f"/councils/schedules/{schedule['id']}/occurrences", params={"from": "2017-07-01", "to": "2017-12-31"}
    )
    assert response.json() == STEERING_2017


async def test_expanding_creates_meetings_once(api: Api) -> None:
    steering, schedule = await steering_schedule(api)
    window = {"from": "2017-07-01", "to": "2017-12-31"}
    first = await api.ok(
        await api.client.post(f"/councils/schedules/{schedule['id']}/expand", json=window, headers=api.city),
        200,
    )
    assert [m["starts_at"] for m in first["created"]] == STEERING_2017
    assert first["created"][0]["ends_at"] == "2017-07-27T11:30:00+09:00"
    again = await api.ok(
        await api.client.post(f"/councils/schedules/{schedule['id']}/expand", json=window, headers=api.city),
        200,
    )
    assert again["created"] == [] and len(again["existing"]) == 6
    listed = await api.client.get(
        "/councils/meetings", params={"organization_id": steering["id"], "limit": 4}
    )
    page = listed.json()
    assert len(page["items"]) == 4 and page["next_cursor"]
    rest = await api.client.get(
        "/councils/meetings", params={"organization_id": steering["id"], "cursor": page["next_cursor"]}
    )
    assert [m["starts_at"] for m in page["items"] + rest.json()["items"]] == STEERING_2017


async def test_quarterly_and_last_weekday_rules(api: Api) -> None:
    body = await api.body(classification="city_council")
    payload = {
        "kind": "regular",
        "title": "서울협치협의회",
        "interval_months": 3,
        "week_of_month": -1,
        "weekday": "fri",
        "start_time": "14:00",
        "valid_from": "2017-03-01",
    }
    schedule = await api.ok(
        await api.client.post(f"/councils/bodies/{body['id']}/schedules", json=payload, headers=api.city)
    )
    response = await api.client.get(
        f"/councils/schedules/{schedule['id']}/occurrences", params={"from": "2017-01-01", "to": "2017-12-31"}
    )
    assert [t[:10] for t in response.json()] == ["2017-03-31", "2017-06-30", "2017-09-29", "2017-12-29"]


async def test_bad_schedule_input(api: Api) -> None:
    _, schedule = await steering_schedule(api)
    body = await api.body()
    url = f"/councils/bodies/{body['id']}/schedules"
    base = {"kind": "regular", "title": "x", "week_of_month": 4, "weekday": "thu", "start_time": "10:00"}
    bad = {**base, "valid_from": "2017-01-01", "week_of_month": 0}
    assert_problem(await api.client.post(url, json=bad, headers=api.city), 422, field="body.week_of_month")
    bad = {**base, "valid_from": "2017-01-01", "weekday": "thursday"}
    assert_problem(await api.client.post(url, json=bad, headers=api.city), 422, field="body.weekday")
    bad = {**base, "valid_from": "2017-01-01", "valid_until": "2016-12-31"}
    assert_problem(await api.client.post(url, json=bad, headers=api.city), 422, field="body.valid_until")
    too_long = {"from": "2017-01-01", "to": "2030-01-01"}
    response = await api.client.post(
        f"/councils/schedules/{schedule['id']}/expand", json=too_long, headers=api.city
    )
    assert_problem(response, 422, field="body.to")
    backwards = {"from": "2017-02-01", "to": "2017-01-01"}
    response = await api.client.get(f"/councils/schedules/{schedule['id']}/occurrences", params=backwards)
    assert_problem(response, 422, field="query.to")
    assert_problem(await api.client.get("/councils/schedules/999999/occurrences", params=backwards), 404)


async def test_icalendar_export_in_seoul_time(hour: Clock, api: Api) -> None:
    body = await api.body(district_code="11380")
    long_place = "은평구 은평상상허브 3층 즐거운 소통, 서울특별시 은평구 (회의실; 2층에서 안내)"
    await meeting(
        api,
        body,
        starts_at="2017-06-26T15:00:00",
        ends_at="2017-06-26T17:00:00+09:00",
        title="4차 전체회의",
        place=long_place,
    )
    response = await api.client.get("/councils/meetings.ics", params={"organization_id": body["id"]})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    raw = response.content
    assert raw.startswith(b"BEGIN:VCALENDAR\r\n") and raw.endswith(b"END:VCALENDAR\r\n")
    lines = raw.split(b"\r\n")
    assert all(len(line) <= 75 for line in lines)
    unfolded = raw.decode().replace("\r\n ", "")
    assert "TZID:Asia/Seoul" in unfolded
    assert f"DTSTAMP:{hour.now:%Y%m%dT%H%M%S}Z" in unfolded  # when it was generated, in UTC
    assert "DTSTART;TZID=Asia/Seoul:20170626T150000" in unfolded
    assert "DTEND;TZID=Asia/Seoul:20170626T170000" in unfolded
    assert "SUMMARY:4차 전체회의" in unfolded
    assert (
        "LOCATION:은평구 은평상상허브 3층 즐거운 소통\\, 서울특별시 은평구 (회의실\\; 2층에서 안내)"
        in unfolded
    )
    assert unfolded.count("BEGIN:VEVENT") == 1


async def test_schedule_times_are_rfc3339_seoul_times(api: Api) -> None:
    """`start_time` comes back as an RFC 3339 full-time at +09:00; an input offset must be Seoul's."""
    _, schedule = await steering_schedule(api)
    assert schedule["start_time"] == "10:00:00+09:00"
    body = await api.body()
    url = f"/councils/bodies/{body['id']}/schedules"
    base = {"kind": "regular", "title": "x", "week_of_month": 4, "weekday": "thu", "valid_from": "2017-01-01"}
    for sent, stored in [("10:00:00+09:00", "10:00:00+09:00"), ("23:59:59.5+09:00", "23:59:59.500000+09:00")]:
        response = await api.client.post(url, json={**base, "start_time": sent}, headers=api.city)
        assert (await api.ok(response))["start_time"] == stored
    for offset in ("Z", "+08:00", "+09:01", "+10:00", "-09:00"):
        response = await api.client.post(url, json={**base, "start_time": f"10:00{offset}"}, headers=api.city)
        assert_problem(response, 422, field="body.start_time")


async def test_a_schedules_start_time_is_an_rfc_3339_time(api: Api) -> None:
    steering, schedule = await steering_schedule(api)
    # Given as "10:00" (Seoul), answered as an RFC 3339 full-time with its offset, as the contract says.
    assert schedule["start_time"] == "10:00:00+09:00"
    listed = (await api.client.get(f"/councils/bodies/{steering['id']}/schedules")).json()
    assert [s["start_time"] for s in listed] == ["10:00:00+09:00"]
    spec = (await api.client.get("/openapi.json")).json()
    assert spec["components"]["schemas"]["ScheduleOut"]["properties"]["start_time"]["format"] == "time"
    # The other schedule times were RFC 3339 date-times already: occurrences and meetings carry +09:00.
    preview = spec["paths"]["/councils/schedules/{schedule_id}/occurrences"]["get"]["responses"]["200"]
    assert preview["content"]["application/json"]["schema"]["items"]["format"] == "date-time"


@pytest.mark.parametrize(
    ("given", "answered"),
    [("10:00", "10:00:00+09:00"), ("10:00:00+09:00", "10:00:00+09:00"), ("09:30:15", "09:30:15+09:00")],
)
async def test_a_start_time_in_seoul_time_is_taken(api: Api, given: str, answered: str) -> None:
    body = await api.body()
    payload = {**SCHEDULE, "start_time": given}
    created = await api.ok(
        await api.client.post(f"/councils/bodies/{body['id']}/schedules", json=payload, headers=api.city)
    )
    assert created["start_time"] == answered


@pytest.mark.parametrize(
    "given", ["10:00:00Z", "01:00:00+00:00", "10:00:00-03:00", "24:00", "10:00:60", 36000, "10"]
)
async def test_a_start_time_in_another_offset_or_no_time_is_refused(api: Api, given: object) -> None:
    # 01:00Z is 10:00 in Seoul, but 20:00Z would be the next weekday there: an offset is not converted.
    body = await api.body()
    payload = {**SCHEDULE, "start_time": given}
    response = await api.client.post(
        f"/councils/bodies/{body['id']}/schedules", json=payload, headers=api.city
    )
    assert_problem(response, 422, field="body.start_time")

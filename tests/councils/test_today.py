"""Rules that read today's date use the Seoul date, on both sides of midnight in both zones.

Each rule is asked at the four EDGES (14:59:59Z, 15:00:00Z = Seoul midnight, 23:59:59Z, 00:00:00Z) with a
record that starts on 2017-07-01: it counts from 15:00:00Z on the 30th (UTC), when Seoul's 1st begins.
"""

import csv
import io
from datetime import date, datetime
from typing import Any

import pytest

from tests.clock import EDGES, SEOUL_DAY, Clock
from tests.conftest import assert_problem
from tests.councils.extraordinary import extraordinary, refused, steering_motion
from tests.councils.helpers import Api, unique

DISTRICT = "11380"  # 은평구
STARTS = SEOUL_DAY.isoformat()  # 2017-07-01
# Districts of the communication leads below, each lead for 2017 only: race tests commit leads for real (in
# other districts, in 2090 and later), and a district has at most two leads at any date.
LEAD_DISTRICTS = ("11110", "11140", "11170")


async def steering_seats(
    api: Api, starts: list[str]
) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """A plenary and its steering committee with one seat per start date, each held by a 2017 lead."""
    plenary, steering = await api.association()
    people = []
    for start, district in zip(starts, LEAD_DISTRICTS, strict=False):
        person = await api.person()
        await api.lead(plenary, district, person=person, start_date="2017-01-01", end_date="2017-12-31")
        await api.membership(
            organization_id=steering["id"],
            person_id=person["id"],
            role="steering_member",
            start_date=start,
            end_date="2017-12-31",
        )
        people.append(person)
    return plenary, steering, people


async def status_records(api: Api) -> str:
    """Two status records, as of the day before and the day itself; returns a tag naming them."""
    tag = unique("clock test")
    for as_of in ("2017-06-30", STARTS):
        body = {"as_of": as_of, "source": f"{tag} {as_of}"}
        response = await api.client.post(
            f"/councils/districts/{DISTRICT}/status-records", json=body, headers=api.city
        )
        await api.ok(response)
    return tag


@pytest.mark.parametrize(("instant", "seoul_date"), EDGES)
async def test_district_status_today_is_the_seoul_date(
    pinned: Clock, api: Api, instant: datetime, seoul_date: date
) -> None:
    tag = await status_records(api)
    pinned.move_to(instant)
    status = await api.ok(await api.client.get(f"/councils/districts/{DISTRICT}/status"), 200)
    assert (status["as_of"], status["source"]) == (seoul_date.isoformat(), f"{tag} {seoul_date}")


async def seated_from_the_first(api: Api) -> dict[str, object]:
    """A body whose only seat starts on 2017-07-01."""
    body = await api.body(district_code=DISTRICT)
    person = await api.person()
    await api.membership(organization_id=body["id"], person_id=person["id"], start_date=STARTS)
    return body


@pytest.mark.parametrize(("instant", "seoul_date"), EDGES)
async def test_composition_today_is_the_seoul_date(
    pinned: Clock, api: Api, instant: datetime, seoul_date: date
) -> None:
    body = await seated_from_the_first(api)
    pinned.move_to(instant)
    composition = await api.ok(await api.client.get(f"/councils/bodies/{body['id']}/composition"), 200)
    assert composition["on"] == seoul_date.isoformat()
    assert composition["total"] == (1 if seoul_date >= SEOUL_DAY else 0)


@pytest.mark.parametrize(("instant", "seoul_date"), EDGES)
async def test_composition_csv_today_is_the_seoul_date(
    pinned: Clock, api: Api, instant: datetime, seoul_date: date
) -> None:
    body = await seated_from_the_first(api)
    pinned.move_to(instant)
    response = await api.client.get("/councils/exports/composition.csv", params={"district": DISTRICT})
    assert response.status_code == 200, response.text
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    row = next(r for r in rows if r["기구 id"] == str(body["id"]))
    assert (row["기준일"], row["계"]) == (seoul_date.isoformat(), "1" if seoul_date >= SEOUL_DAY else "0")


@pytest.mark.parametrize(("instant", "seoul_date"), EDGES)
async def test_a_platforms_members_today_are_the_seoul_dates(
    pinned: Clock, api: Api, instant: datetime, seoul_date: date
) -> None:
    consortium = await api.ok(
        await api.client.post(
            "/councils/organizations",
            json={"classification": "consortium", "name_ko": unique("컨소시엄"), "district_code": DISTRICT},
            headers=api.city,
        )
    )
    member = await api.ok(
        await api.client.post(
            "/councils/organizations",
            json={"classification": "civil_society_organization", "name_ko": unique("단체")},
            headers=api.city,
        )
    )
    await api.membership(
        organization_id=consortium["id"], member_organization_id=member["id"], start_date=STARTS
    )
    payload = {"district_code": DISTRICT, "name_ko": unique("플랫폼"), "consortium_id": consortium["id"]}
    platform = await api.ok(await api.client.post("/councils/platforms", json=payload, headers=api.city))
    pinned.move_to(instant)
    read = await api.ok(await api.client.get(f"/councils/platforms/{platform['id']}"), 200)
    expected = [member["name_ko"]] if seoul_date >= SEOUL_DAY else []
    assert [m["organization"]["name_ko"] for m in read["members"]] == expected


@pytest.mark.parametrize(("instant", "seoul_date"), EDGES)
async def test_an_extraordinary_meetings_date_is_its_seoul_date(
    api: Api, instant: datetime, seoul_date: date
) -> None:
    # No clock here: the meeting's own instant decides its date, and requesters must sit on that date.
    _, steering, people = await steering_seats(api, ["2017-01-01", STARTS])
    requesters = [p["id"] for p in people]
    payload = {
        "organization_id": steering["id"],
        "kind": "extraordinary",
        "title": unique("임시회의"),
        "starts_at": instant.isoformat(),
        "requested_by": requesters,
    }
    response = await api.client.post("/councils/meetings", json=payload, headers=api.city)
    if seoul_date < SEOUL_DAY:
        problem = assert_problem(response, 422, field="body.requested_by")
        assert problem["code"] == "requester-not-a-member" and "2017-06-30" in problem["detail"]
        return
    created = await api.ok(response)
    assert created["starts_at"].startswith(f"{seoul_date}T") and created["starts_at"].endswith("+09:00")


@pytest.mark.parametrize(("instant", "seoul_date"), EDGES)
async def test_the_icalendar_stamp_is_the_pinned_instant_in_utc(
    pinned: Clock, api: Api, instant: datetime, seoul_date: date
) -> None:
    body = await api.body(district_code=DISTRICT)
    await api.ok(
        await api.client.post(
            "/councils/meetings",
            json={
                "organization_id": body["id"],
                "kind": "plenary",
                "title": "회의",
                "starts_at": instant.isoformat(),
            },
            headers=api.city,
        )
    )
    pinned.move_to(instant)
    response = await api.client.get("/councils/meetings.ics", params={"organization_id": body["id"]})
    text = response.content.decode().replace("\r\n ", "")
    assert f"DTSTAMP:{instant:%Y%m%dT%H%M%S}Z\r\n" in text
    # The event itself is written in Seoul time: its date is the Seoul date.
    assert f"DTSTART;TZID=Asia/Seoul:{seoul_date:%Y%m%d}T" in text


@pytest.mark.parametrize(("instant", "seoul_date"), EDGES)
async def test_a_plenarys_calling_resolution_is_dated_in_seoul(
    api: Api, instant: datetime, seoul_date: date
) -> None:
    # The resolution is moved on 2017-07-01 at 10:00 in Seoul; a plenary on that Seoul day may cite it, even
    # at 00:00 Seoul (15:00Z on the 30th, an earlier instant and, in UTC, an earlier date).
    plenary, steering, people = await steering_seats(api, ["2017-01-01"] * 3)
    cited = await steering_motion(api, steering, people, STARTS, (3, 0, 0))
    response = await extraordinary(
        api, plenary, starts_at=instant.isoformat(), called_by_motion_id=cited["id"]
    )
    if seoul_date < SEOUL_DAY:
        refused(response, "body.called_by_motion_id", "resolution-after-meeting")
        return
    assert (await api.ok(response))["called_by_motion_id"] == cited["id"]

"""Popolo JSON per body: organisations, people, memberships, posts, meetings, motions and vote events, areas.

The CSV exports are in test_csv_exports.py."""

import json
from typing import Any

from tests.councils.helpers import Api, attend, meeting, motion, seated_body


async def test_popolo_export_of_a_body_and_its_sub_bodies(api: Api) -> None:
    council = await api.body(
        district_code="11230", name_ko="협치동대문구회의", name_en="Dongdaemun governance council"
    )
    sub = await api.body(classification="subcommittee", parent_id=council["id"], name_ko="안전분과")
    person = await api.person(name_ko="주영남", email="private@example.org")
    await api.membership(
        organization_id=council["id"], person_id=person["id"], role="chair", start_date="2017-06"
    )
    await api.membership(organization_id=sub["id"], sector="official", start_date="2017-06-30", label="위원")
    post = await api.client.post(
        f"/councils/bodies/{council['id']}/posts", json={"label": "위원장", "role": "chair"}, headers=api.city
    )
    export = (await api.client.get(f"/councils/bodies/{council['id']}/popolo")).json()
    assert [o["id"] for o in export["organizations"]] == [
        f"organization/{council['id']}",
        f"organization/{sub['id']}",
    ]
    assert export["organizations"][0]["other_names"] == [
        {"name": "Dongdaemun governance council", "note": "English"}
    ]
    assert export["organizations"][0]["area_id"] == "district/11230"
    assert export["organizations"][1]["parent_id"] == f"organization/{council['id']}"
    assert export["persons"] == [{"id": f"person/{person['id']}", "name": "주영남"}]
    chair = export["memberships"][0]
    assert {k: chair[k] for k in ("person_id", "organization_id", "role", "start_date")} == {
        "person_id": f"person/{person['id']}",
        "organization_id": f"organization/{council['id']}",
        "role": "chair",
        "start_date": "2017-06",
    }
    assert "person_id" not in export["memberships"][1] and export["memberships"][1]["label"] == "위원"
    assert export["posts"] == [
        {
            "id": f"post/{post.json()['id']}",
            "label": "위원장",
            "role": "chair",
            "organization_id": chair["organization_id"],
        }
    ]
    assert "private@example.org" not in str(export)


async def popolo(api: Api, body_id: int) -> dict[str, Any]:
    return await api.ok(await api.client.get(f"/councils/bodies/{body_id}/popolo"), 200)


async def test_popolo_export_has_meetings_motions_and_vote_events(api: Api) -> None:
    council, people = await seated_body(api, 5, district_code="11380", name_ko="협치은평구회의")
    sub = await api.body(classification="subcommittee", parent_id=council["id"], name_ko="교육분과")
    council_ref, sub_ref = f"organization/{council['id']}", f"organization/{sub['id']}"

    plenary = await meeting(
        api,
        council,
        starts_at="2017-06-26T15:00:00",
        ends_at="2017-06-26T17:00:00+09:00",
        title="협치은평구회의 4차 전체회의",
        place="은평상상허브 3층 즐거운 소통",
        status="held",
    )
    assert (await attend(api, plenary["id"], people[:3])).status_code == 200
    await attend(api, plenary["id"], people[3:], "absent")
    text = "협치서울 지역협의회 운영규정 제7조를 다음과 같이 개정한다: “출석 과반수 찬성”"
    amendment = await api.ok(
        await api.client.post(
            f"/councils/meetings/{plenary['id']}/motions",
            json={
                "title": "운영규정 개정(안)",
                "text": text,
                "classification": "rule_amendment",
                "counts": {"yes": 2, "no": 1, "abstain": 0},
            },
            headers=api.city,
        )
    )
    pending = await api.ok(
        await api.client.post(
            f"/councils/meetings/{plenary['id']}/motions", json={"title": "보류 안건"}, headers=api.city
        )
    )
    # Two of five present: more than 1/2 of 5 enrolled needs 3, so a unanimous vote still fails.
    thin = await meeting(api, council, starts_at="2017-07-27T10:00:00+09:00", title="5차 전체회의")
    await attend(api, thin["id"], people[:2])
    await attend(api, thin["id"], people[2:], "absent")
    no_quorum = await api.ok(await motion(api, thin["id"], 2, 0, 0))
    cancelled = await meeting(
        api, sub, starts_at="2017-07-01T10:00:00", kind="regular", title="교육분과 회의", status="cancelled"
    )

    export = await popolo(api, council["id"])

    assert export["events"] == [
        {
            "id": f"event/{plenary['id']}",
            "name": "협치은평구회의 4차 전체회의",
            "classification": "plenary",
            "start_date": "2017-06-26T15:00:00+09:00",
            "end_date": "2017-06-26T17:00:00+09:00",
            "location": "은평상상허브 3층 즐거운 소통",
            "status": "confirmed",
            "organization_id": council_ref,
        },
        {
            "id": f"event/{cancelled['id']}",
            "name": "교육분과 회의",
            "classification": "regular",
            "start_date": "2017-07-01T10:00:00+09:00",
            "status": "cancelled",
            "organization_id": sub_ref,
        },
        {
            "id": f"event/{thin['id']}",
            "name": "5차 전체회의",
            "classification": "plenary",
            "start_date": "2017-07-27T10:00:00+09:00",
            "status": "tentative",
            "organization_id": council_ref,
        },
    ]
    ordinary = "more than 1/2 of enrolled members present; more than 1/2 of those present in favour"
    assert export["motions"] == [
        {
            "id": f"motion/{amendment['id']}",
            "organization_id": council_ref,
            "legislative_session_id": f"event/{plenary['id']}",
            "title": "운영규정 개정(안)",
            "text": text,
            "classification": "rule_amendment",
            "date": "2017-06-26T15:00:00+09:00",
            "requirement": ordinary.replace("more than 1/2 of those", "at least 2/3 of those"),
            "result": "pass",
        },
        {
            "id": f"motion/{pending['id']}",
            "organization_id": council_ref,
            "legislative_session_id": f"event/{plenary['id']}",
            "title": "보류 안건",
            "text": "보류 안건",
            "classification": "ordinary",
            "date": "2017-06-26T15:00:00+09:00",
            "requirement": ordinary,
            "result": "pending",
        },
        {
            "id": f"motion/{no_quorum['id']}",
            "organization_id": council_ref,
            "legislative_session_id": f"event/{thin['id']}",
            "title": no_quorum["title"],
            "text": no_quorum["title"],
            "classification": "ordinary",
            "date": "2017-07-27T10:00:00+09:00",
            "requirement": ordinary,
            "result": "fail",
        },
    ]
    # A motion without counts has had no vote: it has no vote event.
    assert export["vote_events"] == [
        {
            "id": f"vote_event/{amendment['id']}",
            "motion_id": f"motion/{amendment['id']}",
            "organization_id": council_ref,
            "legislative_session_id": f"event/{plenary['id']}",
            "start_date": "2017-06-26T15:00:00+09:00",
            "result": "pass",
            "counts": [
                {"option": "yes", "value": 2},
                {"option": "no", "value": 1},
                {"option": "abstain", "value": 0},
            ],
        },
        {
            "id": f"vote_event/{no_quorum['id']}",
            "motion_id": f"motion/{no_quorum['id']}",
            "organization_id": council_ref,
            "legislative_session_id": f"event/{thin['id']}",
            "start_date": "2017-07-27T10:00:00+09:00",
            "result": "fail",
            "counts": [
                {"option": "yes", "value": 2},
                {"option": "no", "value": 0},
                {"option": "abstain", "value": 0},
            ],
        },
    ]
    # The same computed results as the meetings API, which shows why the unanimous vote failed.
    for made in (amendment, pending, no_quorum):
        read = await api.ok(await api.client.get(f"/councils/motions/{made['id']}"), 200)
        exported = next(m for m in export["motions"] if m["id"] == f"motion/{made['id']}")
        assert (exported["result"], exported["requirement"]) == (read["vote"]["result"], read["requirement"])
    quorum = (await api.client.get(f"/councils/motions/{no_quorum['id']}")).json()["vote"]["quorum"]
    assert quorum == {"rule": "more than 1/2 of 5 enrolled", "required": 3, "met": False}

    # The sub-body's own export has its meeting only.
    sub_export = await popolo(api, sub["id"])
    assert [e["id"] for e in sub_export["events"]] == [f"event/{cancelled['id']}"]
    assert sub_export["motions"] == [] and sub_export["vote_events"] == []


async def test_popolo_export_round_trips_korean_text(api: Api) -> None:
    council, people = await seated_body(api, 3, name_ko="협치성북구회의", district_code="11290")
    held = await meeting(api, council, title="제1차 정기회의 — 「마을계획」 심의")
    await attend(api, held["id"], people)
    text = "동 마을계획 예산(안) 5,000만 원을 원안대로 의결함. ㈜·㈔·한자 協治 포함 🙂"
    made = await api.ok(
        await api.client.post(
            f"/councils/meetings/{held['id']}/motions",
            json={"title": "마을계획 의결의 건", "text": text, "counts": {"yes": 3, "no": 0, "abstain": 0}},
            headers=api.city,
        )
    )
    response = await api.client.get(f"/councils/bodies/{council['id']}/popolo")
    assert response.headers["content-type"] == "application/json"
    # Korean text is sent as UTF-8, not as \uXXXX escapes, and reads back unchanged.
    for value in (text, "협치성북구회의", "제1차 정기회의 — 「마을계획」 심의"):
        assert value.encode() in response.content
    assert b"\\u" not in response.content
    export = json.loads(response.content.decode("utf-8"))
    assert export["organizations"][0]["name"] == "협치성북구회의"
    assert export["events"][0]["name"] == "제1차 정기회의 — 「마을계획」 심의"
    assert export["motions"][0]["text"] == text
    assert export["motions"][0]["title"] == made["title"] == "마을계획 의결의 건"
    assert export["vote_events"][0]["result"] == "pass"


async def test_popolo_export_includes_organisations_its_memberships_name(api: Api) -> None:
    consortium = await api.ok(
        await api.client.post(
            "/councils/organizations",
            json={"classification": "civil_society_organization", "name_ko": "(사)은평상상"},
            headers=api.city,
        )
    )
    council = await api.body(name_ko="협치은평구회의", district_code="11380")
    await api.membership(organization_id=council["id"], member_organization_id=consortium["id"])
    export = await popolo(api, council["id"])
    assert [o["id"] for o in export["organizations"]] == [
        f"organization/{council['id']}",
        f"organization/{consortium['id']}",
    ]
    assert export["memberships"][0]["member"] == {
        "@type": "Organization",
        "id": f"organization/{consortium['id']}",
    }
    assert (export["events"], export["motions"], export["vote_events"]) == ([], [], [])


async def steering_member(api: Api, plenary: dict[str, Any], steering: dict[str, Any], district: str) -> str:
    """A lead of the plenary for `district` with a steering seat from 2017-01-01; its `person/<id>`."""
    person = await api.person()
    await api.lead(plenary, district, person=person, start_date="2017-01-01")
    await api.membership(
        organization_id=steering["id"],
        person_id=person["id"],
        role="steering_member",
        start_date="2017-01-01",
    )
    return f"person/{person['id']}"


async def test_popolo_events_name_their_requesters_and_calling_resolution(api: Api) -> None:
    plenary, steering = await api.association()
    association_id = plenary["parent_id"]
    members = [
        await steering_member(api, plenary, steering, district) for district in ("11380", "11380", "11545")
    ]
    member_ids = [int(ref.removeprefix("person/")) for ref in members]
    # 운영위원 on the request of two members (제5조③)…
    requested = await meeting(
        api,
        steering,
        starts_at="2017-07-13T10:00:00",
        kind="extraordinary",
        title="운영위원회 임시회의",
        requested_by=[member_ids[2], member_ids[0]],
        status="held",
    )
    await attend(api, requested["id"], [{"id": i} for i in member_ids])
    # …which resolves to call an extraordinary plenary (제4조④).
    resolution = await api.ok(
        await api.client.post(
            f"/councils/meetings/{requested['id']}/motions",
            json={"title": "임시 전체회의 소집의 건", "counts": {"yes": 3, "no": 0, "abstain": 0}},
            headers=api.city,
        )
    )
    assert resolution["vote"]["result"] == "pass"
    called = await meeting(
        api,
        plenary,
        starts_at="2017-07-27T15:00:00",
        kind="extraordinary",
        title="협치서울 지역협의회 임시 전체회의",
        called_by_motion_id=resolution["id"],
    )
    regular = await meeting(api, plenary, starts_at="2017-08-24T15:00:00", title="정기 전체회의")

    export = await popolo(api, association_id)
    events = {e["id"]: e for e in export["events"]}
    assert [e["id"] for e in export["events"]] == [
        f"event/{requested['id']}",
        f"event/{called['id']}",
        f"event/{regular['id']}",
    ]
    assert events[f"event/{requested['id']}"] == {
        "id": f"event/{requested['id']}",
        "name": "운영위원회 임시회의",
        "classification": "extraordinary",
        "start_date": "2017-07-13T10:00:00+09:00",
        "status": "confirmed",
        "organization_id": f"organization/{steering['id']}",
        "requested_by": sorted([members[0], members[2]], key=lambda ref: int(ref.split("/")[1])),
    }
    plenary_event = events[f"event/{called['id']}"]
    assert plenary_event["called_by_motion_id"] == f"motion/{resolution['id']}"
    assert "requested_by" not in plenary_event
    # Neither extension on a meeting that was not requested nor called.
    assert not {"requested_by", "called_by_motion_id"} & set(events[f"event/{regular['id']}"])
    # Every reference resolves inside the document: the requesters are persons, the resolution a motion
    # whose legislative session is the steering committee's event.
    person_ids = {p["id"] for p in export["persons"]}
    assert set(events[f"event/{requested['id']}"]["requested_by"]) <= person_ids
    motion = next(m for m in export["motions"] if m["id"] == plenary_event["called_by_motion_id"])
    assert motion["legislative_session_id"] == f"event/{requested['id']}" and motion["result"] == "pass"

    # A body without a requester rule records requesters as given, members or not: they are persons too.
    council = await api.body(classification="city_council", name_ko="서울협치협의회")
    outsiders = [await api.person(name_ko="김요청"), await api.person(name_ko="이요청")]
    asked = await meeting(
        api,
        council,
        starts_at="2017-09-01T10:00:00",
        kind="extraordinary",
        requested_by=[p["id"] for p in reversed(outsiders)],
    )
    council_export = await popolo(api, council["id"])
    assert council_export["events"][0]["id"] == f"event/{asked['id']}"
    assert council_export["events"][0]["requested_by"] == [f"person/{p['id']}" for p in outsiders]
    assert council_export["persons"] == [{"id": f"person/{p['id']}", "name": p["name_ko"]} for p in outsiders]
    assert council_export["memberships"] == []


async def test_popolo_areas_are_the_districts_the_document_references(api: Api) -> None:
    consortium = await api.ok(
        await api.client.post(
            "/councils/organizations",
            json={"classification": "consortium", "name_ko": "은평 협치 컨소시엄", "district_code": "11230"},
            headers=api.city,
        )
    )
    council = await api.body(district_code="11380", name_ko="협치은평구회의")
    sub = await api.body(classification="subcommittee", parent_id=council["id"], name_ko="교육분과")
    await api.membership(organization_id=sub["id"], district_code="11545", label="금천구 위원")
    await api.membership(organization_id=council["id"], member_organization_id=consortium["id"])
    post = await api.client.post(
        f"/councils/bodies/{council['id']}/posts",
        json={"label": "성북구 소통책임자", "role": "communication_lead", "district_code": "11290"},
        headers=api.city,
    )
    assert post.status_code == 201, post.text
    await api.body(district_code="11110", name_ko="협치종로구회의")  # not in the document

    response = await api.client.get(f"/councils/bodies/{council['id']}/popolo")
    export = json.loads(response.content.decode("utf-8"))
    references = {
        doc["area_id"]
        for collection in ("organizations", "memberships", "posts")
        for doc in export[collection]
        if "area_id" in doc
    }
    assert references == {"district/11230", "district/11290", "district/11380", "district/11545"}
    assert export["areas"] == [
        {
            "id": f"district/{code}",
            "name": name,
            "classification": "district",
            "identifier": code,
            "identifiers": [{"identifier": code, "scheme": "행정표준코드"}],
        }
        for code, name in (
            ("11230", "동대문구"),
            ("11290", "성북구"),
            ("11380", "은평구"),
            ("11545", "금천구"),
        )
    ]
    # Korean names are UTF-8 in the body, not \u escapes.
    for name in ("동대문구", "성북구", "은평구", "금천구", "행정표준코드"):
        assert name.encode() in response.content
    assert b"\\u" not in response.content
    assert "종로구" not in response.text

    # A document without districts has no areas.
    plenary, _ = await api.association()
    assert (await popolo(api, plenary["parent_id"]))["areas"] == []
    # The sub-body's own export names only its districts.
    sub_export = await popolo(api, sub["id"])
    assert [a["id"] for a in sub_export["areas"]] == ["district/11380", "district/11545"]

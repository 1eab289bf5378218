"""CSV exports (UTF-8 with BOM, Korean headers) of bodies, memberships and composition."""

import csv
import io

from tests.councils.helpers import Api


def read_csv(content: bytes) -> list[dict[str, str]]:
    assert content.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


async def test_csv_exports_have_a_bom_and_korean_headers(api: Api) -> None:
    body = await api.body(
        district_code="11545", name_ko="금천구 협치회의(민관TFT)", policy_fields=["안전", "일자리"]
    )
    for sector, count in (("civil", 10), ("official", 4)):
        response = await api.client.post(
            f"/councils/bodies/{body['id']}/unnamed-seats",
            json={"sector": sector, "count": count, "start_date": "2017-06-30"},
            headers=api.city,
        )
        assert response.status_code == 201 and len(response.json()) == count

    bodies = await api.client.get("/councils/exports/bodies.csv", params={"district": "11545"})
    assert bodies.headers["content-type"] == "text/csv; charset=utf-8"
    row = next(r for r in read_csv(bodies.content) if r["id"] == str(body["id"]))
    assert (row["이름"], row["정책분야"], row["의사정족수"], row["규정개정"]) == (
        "금천구 협치회의(민관TFT)",
        "안전|일자리",
        "1/2 초과",
        "2/3 이상",
    )

    composition = await api.client.get(
        "/councils/exports/composition.csv", params={"district": "11545", "on": "2017-06-30"}
    )
    row = next(r for r in read_csv(composition.content) if r["기구 id"] == str(body["id"]))
    assert (row["계"], row["민"], row["구의원"], row["관"], row["기준일"]) == (
        "14",
        "10",
        "0",
        "4",
        "2017-06-30",
    )

    members = await api.client.get(
        "/councils/exports/memberships.csv", params={"organization_id": body["id"], "sector": "official"}
    )
    rows = read_csv(members.content)
    assert len(rows) == 4 and {r["부문"] for r in rows} == {"official"}
    assert members.content.count(b"\r\n") == 5


async def test_bodies_csv_has_the_extraordinary_requester_minimum(api: Api) -> None:
    plain = await api.body(district_code="11560", name_ko="협치영등포구회의")
    ruled = await api.body(
        district_code="11560", name_ko="영등포 운영위원회", rules={"extraordinary_min_requesters": 3}
    )
    plenary, steering = await api.association()

    content = (await api.client.get("/councils/exports/bodies.csv")).content
    header = next(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    # Beside the other rule columns (the quorum, passing and amendment fractions).
    rules = header.index("의사정족수")
    assert header[rules : rules + 4] == ["의사정족수", "의결정족수", "규정개정", "임시회의 요구인원"]
    minimum = {r["id"]: r["임시회의 요구인원"] for r in read_csv(content)}
    # A steering committee takes 2 by default (제5조③); a body without the rule has an empty cell.
    assert minimum[str(ruled["id"])] == "3"
    assert minimum[str(steering["id"])] == "2"
    assert minimum[str(plain["id"])] == "" and minimum[str(plenary["id"])] == ""

    # Lifting the rule empties the cell; the district filter still applies.
    lifted = await api.client.patch(
        f"/councils/bodies/{ruled['id']}",
        json={"rules": {"extraordinary_min_requesters": None}},
        headers=api.city,
    )
    assert lifted.status_code == 200, lifted.text
    rows = read_csv(
        (await api.client.get("/councils/exports/bodies.csv", params={"district": "11560"})).content
    )
    assert {r["자치구코드"] for r in rows} == {"11560"}
    minimum = {r["id"]: r["임시회의 요구인원"] for r in rows}
    assert (minimum[str(plain["id"])], minimum[str(ruled["id"])]) == ("", "")

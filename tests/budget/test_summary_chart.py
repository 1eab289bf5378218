"""A district's money as an SVG chart: the JSON's figures as labels, escaped, its ETag, edge cases."""

import xml.etree.ElementTree as ET

import httpx
import pytest

from services.budget.summaries.chart import render_svg
from services.budget.summaries.schemas import DistrictYearSummary
from shared.svg import WIDTH
from tests.budget.conftest import DISTRICT, Auth, Budget
from tests.budget.test_summaries import money
from tests.clock import Clock
from tests.conftest import assert_problem

SVG = "{http://www.w3.org/2000/svg}"
M = 1_000_000


@pytest.fixture
def api(pinned: Clock, budget: httpx.AsyncClient, auth: Auth) -> Budget:
    return Budget(budget, auth)


def summary(**changes: object) -> DistrictYearSummary:
    values: dict[str, object] = {
        "district_code": "11110",
        "fiscal_year": 2017,
        "funding_type": "separate",
        "neighbourhoods": 2,
        "cap_krw": 900 * M,
        "envelope_krw": 400 * M,
        "grants_krw": 100 * M,
        "city_share_krw": 70 * M,
        "district_share_krw": 30 * M,
        "spent_krw": 123_456_789,
        "remaining_krw": 500 * M - 123_456_789,
    }
    return DistrictYearSummary.model_validate({**values, **changes})


def parse(svg: bytes) -> ET.Element:
    root = ET.fromstring(svg)  # noqa: S314 (the service's own output, under test)
    assert root.tag == f"{SVG}svg"
    return root


def texts(root: ET.Element) -> list[str]:
    return ["".join(element.itertext()) for element in root.iter(f"{SVG}text")]


def bars(root: ET.Element) -> dict[str, list[float]]:
    """Each bar's title (label and amount) and its filled segments' widths."""
    found = {}
    for group in root.iter(f"{SVG}g"):
        title = group.find(f"{SVG}title")
        assert title is not None and title.text
        widths = [float(rect.attrib["width"]) for rect in group.iter(f"{SVG}rect")][1:]  # [0] is the track
        found[title.text] = widths
    return found


def test_the_three_bars_on_one_scale_with_amounts_in_won() -> None:
    root = parse(render_svg(summary(), "분리형"))
    assert root.attrib["viewBox"] == f"0 0 {WIDTH} {root.attrib['viewBox'].split()[3]}"
    assert root.attrib["width"] == "100%" and root.attrib["lang"] == "ko"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and title.text == "2017년 자치구 11110 주민참여 예산"
    assert (
        desc is not None
        and desc.text
        and "집행 123,456,789원" in desc.text
        and "잔액 376,543,211원" in desc.text
    )
    labels = texts(root)
    for label in (
        "400,000,000원",
        "100,000,000원",
        "123,456,789원",
        "잔액 376,543,211원",
        "예산 배정",
        "집행",
    ):
        assert label in labels, (label, labels)
    assert "시비 70,000,000원 · 구비 30,000,000원" in labels
    assert "지원 유형 분리형 · 한도 900,000,000원" in labels
    shown = bars(root)
    # The envelope is the longest: the full track; grants 70 M + 30 M stacked; spent 123.456789 M.
    assert shown["예산 배정 400,000,000원"] == [WIDTH - 24]
    assert shown["보조금 (시비 + 구비) 100,000,000원"] == [65.8, 28.2]
    assert shown["집행 123,456,789원"] == [116.0]


def test_zero_envelope_and_nothing_spent_draw_empty_tracks_and_say_so() -> None:
    empty = summary(
        funding_type=None,
        cap_krw=None,
        envelope_krw=0,
        grants_krw=0,
        city_share_krw=0,
        district_share_krw=0,
        spent_krw=0,
        remaining_krw=0,
    )
    root = parse(render_svg(empty))
    labels = texts(root)
    assert "지원 유형 미지정 · 한도 없음" in labels
    assert labels.count("0원") == 3 and "잔액 0원" in labels
    assert "이 해에 배정된 예산과 보조금이 없습니다." in labels
    assert all(widths == [] for widths in bars(root).values())

    unspent = parse(render_svg(summary(spent_krw=0, remaining_krw=500 * M)))
    assert "아직 집행 기록이 없습니다." in texts(unspent)
    assert bars(unspent)["집행 0원"] == []


def test_more_spent_than_granted_stays_inside_the_picture() -> None:
    root = parse(render_svg(summary(spent_krw=900 * M, remaining_krw=-400 * M)))
    assert "잔액 -400,000,000원" in texts(root)
    assert all(w <= WIDTH - 24 for widths in bars(root).values() for w in widths)


def test_a_type_name_is_escaped() -> None:
    root = parse(render_svg(summary(), "<b>&\x07"))
    assert "지원 유형 <b>&\ufffd · 한도 900,000,000원" in texts(root)


async def test_the_chart_of_the_json_with_its_etag_and_cache_headers(api: Budget) -> None:
    await money(api)
    url = f"/budget/summaries/2017/districts/{DISTRICT}"
    figures = (await api.client.get(url)).json()
    response = await api.client.get(f"{url}.svg")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/svg+xml; charset=utf-8"
    assert response.headers["cache-control"] == "public, max-age=60"
    etag = response.headers["etag"]
    assert etag.startswith(f'"summary-2017-{DISTRICT}-svg-')
    labels = texts(parse(response.content))
    assert f"{figures['envelope_krw']:,}원" in labels and f"잔액 {figures['remaining_krw']:,}원" in labels
    assert "지원 유형 분리형 · 한도 900,000,000원" in labels
    again = await api.client.get(f"{url}.svg", headers={"If-None-Match": etag, **api.citizen})
    assert again.status_code == 304 and again.headers["etag"] == etag and again.content == b""
    # A new envelope of the year changes the picture, and so its ETag.
    cycles = (await api.ok("GET", "/budget/cycles", {}))["items"]
    cycle_id = next(cycle["id"] for cycle in cycles if cycle["fiscal_year"] == 2017)
    body = {"district_code": DISTRICT, "track": "governance", "amount_krw": 1_000_000}
    await api.ok("POST", f"/budget/cycles/{cycle_id}/envelopes", api.city, json=body)
    changed = await api.client.get(f"{url}.svg", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag


async def test_a_district_without_money_and_bad_paths(api: Budget) -> None:
    response = await api.client.get("/budget/summaries/2030/districts/11740.svg")
    assert response.status_code == 200
    assert "이 해에 배정된 예산과 보조금이 없습니다." in texts(parse(response.content))
    assert_problem(
        await api.client.get("/budget/summaries/2017/districts/99999.svg"), 422, "path.district_code"
    )
    assert_problem(
        await api.client.get("/budget/summaries/1999/districts/11110.svg"), 422, "path.fiscal_year"
    )

"""A result as an SVG chart: points by indicator against the weight, self vs official vs expert for the
comparison's readers only, the JSON read's answers (404, 403), its ETag and cache headers."""

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any

import httpx
import time_machine
from sqlalchemy.ext.asyncio import AsyncConnection

from services.evaluation.comparison.schemas import TargetComparisonOut
from services.evaluation.results.chart import HIDDEN_COMPARISON, OLDER_VERSION, render_svg
from services.evaluation.results.schemas import ResultOut
from shared.svg import WIDTH
from tests.conftest import assert_problem
from tests.evaluation.conftest import Evaluation
from tests.evaluation.results_helpers import (
    APPEAL_DAY,
    BANDS,
    NOTIFY_DAY,
    SHEETS,
    AgencyAuth,
    Scored,
    panel,
    scored_target,
    utc,
)

SVG = "{http://www.w3.org/2000/svg}"
NOW = datetime(2017, 9, 20, 3, tzinfo=UTC)


def parse(svg: bytes) -> ET.Element:
    root = ET.fromstring(svg)  # noqa: S314 (the service's own output, under test)
    assert root.tag == f"{SVG}svg"
    return root


def texts(root: ET.Element) -> list[str]:
    return ["".join(element.itertext()) for element in root.iter(f"{SVG}text")]


def indicator(
    indicator_id: int, weight: int, points: str | None, display: str | None, n: int, na: int = 0
) -> dict[str, Any]:
    return {
        "indicator_id": indicator_id,
        "weight": weight,
        "scores": [],
        "dropped": [],
        "not_applicable": list(range(na)),
        "n": n,
        "points": points,
        "points_display": display,
    }


def result(*indicators: dict[str, Any], status: str = "published") -> ResultOut:
    return ResultOut.model_validate(
        {
            "id": 7,
            "target_id": 3,
            "cycle_id": 1,
            "review_version": 1,
            "status": status,
            "total": "236/3",
            "total_display": "78.67",
            "category": "continue",
            "category_ko": "계속 지원",
            "category_source": "bands",
            "category_reason": None,
            "arithmetic": {"method": "trimmed_mean", "indicators": list(indicators)},
            "computed_at": NOW,
            "computed_by": "city-officer-1",
            "notified_at": None,
            "notified_by": None,
            "confirmed_at": None,
            "confirmed_by": None,
            "published_at": None,
            "published_by": None,
            "appeal": None,
        }
    )


def type_score(points: str | None, n: int = 1) -> dict[str, Any]:
    return {"points": points, "n": n if points is not None else 0}


def comparison(self_points: str | None, review_version: int = 1) -> TargetComparisonOut:
    none = {"self_minus_official": None, "self_minus_expert": None, "official_minus_expert": None}
    return TargetComparisonOut.model_validate(
        {
            "target_id": 3,
            "cycle_id": 1,
            "organization_id": 5,
            "district_code": "11110",
            "round": 1,
            "review_version": review_version,
            "indicators": [
                {
                    "indicator_id": 1,
                    "name_ko": "공론장 운영 횟수",
                    "scope": "common",
                    "measure": "unit",
                    "weight": 60,
                    "by_rater_type": {
                        "self": type_score(self_points),
                        "official": type_score("47.6667", 3),
                        "expert": type_score("45.0000", 2),
                    },
                    "differences": none,
                }
            ],
            "totals": {
                "self": {"points": self_points, "counted_weight": 60 if self_points else 0},
                "official": {"points": "79.6667", "counted_weight": 100},
                "expert": {"points": "77.0000", "counted_weight": 100},
            },
            "differences": none,
        }
    )


NAMES = {1: "공론장 운영 횟수", 2: "주민 <참여> & 협력"}
UNIT = indicator(1, 60, "140/3", "46.67", 3)
QUALITY = indicator(2, 40, "32", "32.00", 2, na=1)


def widths(root: ET.Element, key: str) -> list[float]:
    for group in root.iter(f"{SVG}g"):
        if group.attrib.get("data-indicator-id") == key:
            return [float(rect.attrib["width"]) for rect in group.iter(f"{SVG}rect")]
    raise AssertionError(key)


def test_points_by_indicator_against_the_weight_and_no_comparison_for_the_public() -> None:
    root = parse(render_svg(result(UNIT, QUALITY), names=NAMES, comparison_data=None))
    assert root.attrib["width"] == "100%" and root.attrib["viewBox"].startswith(f"0 0 {WIDTH} ")
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and title.text == "평가 대상 3 · 1차 평가 결과"
    assert desc is not None and desc.text and "총점 78.67점" in desc.text
    labels = texts(root)
    for label in (
        "총점 78.67점 / 100점",
        "등급 계속 지원 · 상태 공개",
        "공론장 운영 횟수",
        "주민 <참여> & 협력",
        "46.67 / 60점",
        "32.00 / 40점",
        "평가 3건",
        "평가 2건 · 해당 없음 1건 제외",
        HIDDEN_COMPARISON,
    ):
        assert label in labels, (label, labels)
    assert "자체평가" not in labels and "평가자 유형별 비교" not in labels
    # Tracks as long as the weights (the 60-point one the full 250), filled by points / weight.
    assert widths(root, "1") == [250.0, 194.4]
    assert widths(root, "2") == [166.7, 133.3]


def test_an_indicator_without_counted_points_is_not_applicable() -> None:
    empty = indicator(2, 40, None, None, 0, na=3)
    root = parse(render_svg(result(UNIT, empty), names={}, comparison_data=None))
    labels = texts(root)
    assert "해당 없음 / 40점" in labels and "평가 0건 · 해당 없음 3건 제외" in labels
    assert "지표 2" in labels  # a name it cannot find: the indicator's id
    assert widths(root, "2") == [166.7]  # the track only


def test_the_comparison_of_each_rater_type_and_a_missing_one() -> None:
    root = parse(render_svg(result(UNIT, QUALITY), names=NAMES, comparison_data=comparison(None)))
    labels = texts(root)
    assert "평가자 유형별 비교" in labels and HIDDEN_COMPARISON not in labels
    for label in ("자체평가", "공무원", "전문가", "총점 (100점)", "공론장 운영 횟수 (60점)"):
        assert label in labels, (label, labels)
    assert labels.count("점수 없음") == 2  # the agency gave no self-evaluation: its total and its indicator
    assert "79.6667점" in labels and "77점" in labels and "47.6667점" in labels and "45점" in labels
    with_self = texts(parse(render_svg(result(UNIT), names=NAMES, comparison_data=comparison("20.5000"))))
    assert with_self.count("20.5점") == 2 and "점수 없음" not in with_self


def test_a_reason_for_a_withheld_comparison() -> None:
    root = parse(render_svg(result(UNIT), names=NAMES, comparison_data=None, withheld=OLDER_VERSION))
    assert OLDER_VERSION in texts(root)


async def confirmed(scoring: tuple[Evaluation, AsyncConnection]) -> tuple[Scored, str]:
    """A scored target's result computed, notified and confirmed (78.67, continue), not yet published."""
    api, conn = scoring
    scored = await scored_target(api)
    await panel(conn, scored, SHEETS)
    url = f"/evaluation/targets/{scored.id}/result"
    await api.ok("PUT", f"/evaluation/cycles/{scored.cycle_id}/result-settings", json={"bands": BANDS})
    await api.ok("POST", url)
    with time_machine.travel(NOTIFY_DAY, tick=False):
        await api.ok("POST", f"{url}/notify")
    with time_machine.travel(utc(2017, 9, 25, 3), tick=False):
        await api.ok("POST", f"{url}/confirm", json={})
    return scored, url


def chart(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/svg+xml; charset=utf-8"
    assert response.headers["vary"] == "Authorization"
    return texts(parse(response.content))


async def test_who_reads_the_chart_when(
    scoring: tuple[Evaluation, AsyncConnection], agency: AgencyAuth
) -> None:
    api, _ = scoring
    scored, url = await confirmed(scoring)
    org = scored.target["organization_id"]
    svg = f"{url}.svg"
    for headers in ({}, api.auth("citizen")):  # confirmed, not published
        assert assert_problem(await api.client.get(svg, headers=headers), 404)["code"] == "result-not-found"
    assert_problem(await api.client.get(svg, headers=agency(org + 1)), 403, "path.target_id")
    assert_problem(await api.client.get("/evaluation/targets/999999/result.svg"), 404)
    assert_problem(await api.client.get(f"{svg}?version=3"), 422, "query.version")
    own = await api.client.get(svg, headers=agency(org))
    assert "등급 계속 지원 · 상태 확정" in chart(own) and HIDDEN_COMPARISON in chart(own)
    assert own.headers["cache-control"] == "private, no-cache"

    await api.ok("POST", f"{url}/publish")
    anonymous = await api.client.get(svg)
    labels = chart(anonymous)
    assert "총점 78.67점 / 100점" in labels and "46.67 / 60점" in labels and HIDDEN_COMPARISON in labels
    assert "평가 2건 · 해당 없음 1건 제외" in labels  # the qualitative indicator: one N/A, then trimmed
    assert anonymous.headers["cache-control"] == "public, max-age=60"
    etag = anonymous.headers["etag"]
    assert etag.startswith('"result-') and etag.endswith('-svg1"')
    again = await api.client.get(svg, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.headers["etag"] == etag
    assert (await api.client.get(svg, headers=api.auth("citizen"))).content == anonymous.content

    # A comparison reader sees self vs official vs expert (no self-evaluation: 점수 없음), privately.
    for role in ("city_officer", "auditor"):
        response = await api.client.get(svg, headers=api.auth(role))
        labels = chart(response)
        assert "평가자 유형별 비교" in labels and "점수 없음" in labels and HIDDEN_COMPARISON not in labels
        assert response.headers["cache-control"] == "private, no-cache"
        assert response.headers["etag"] != etag


async def test_an_earlier_review_version_is_drawn_without_the_comparison(
    scoring: tuple[Evaluation, AsyncConnection], agency: AgencyAuth
) -> None:
    api, conn = scoring
    scored = await scored_target(api)
    await panel(conn, scored, SHEETS)
    url = f"/evaluation/targets/{scored.id}"
    await api.ok("POST", f"{url}/result")
    with time_machine.travel(NOTIFY_DAY, tick=False):
        await api.ok("POST", f"{url}/result/notify")
    current = chart(await api.client.get(f"{url}/result.svg", headers=api.auth("auditor")))
    assert "평가자 유형별 비교" in current and "상태 통보" in " ".join(current)
    # The appeal's re-review makes the target's review version 2: the comparison is of version 2's scores.
    with time_machine.travel(APPEAL_DAY, tick=False):
        reason = {"reason": "정량지표 실적 집계에서 3분기 공론장 2회가 빠졌습니다."}
        await api.ok("POST", f"{url}/appeal", json=reason, headers=agency(scored.target["organization_id"]))
        await api.ok("POST", f"{url}/re-review")
    earlier = chart(await api.client.get(f"{url}/result.svg?version=1", headers=api.auth("auditor")))
    assert OLDER_VERSION in earlier and "평가자 유형별 비교" not in earlier
    assert "등급 미정 · 상태 이의신청" in earlier
    missing = await api.client.get(f"{url}/result.svg?version=2", headers=api.auth("auditor"))
    assert_problem(missing, 404, "query.version")

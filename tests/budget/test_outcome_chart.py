"""The outcome as an SVG chart: the JSON read's answers, its own ETag, escaped text, exact labels."""

import re
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from fractions import Fraction

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from services.budget.elections.chart import ChartInput, ChartProject, money, render_svg
from shared.auth import Role
from tests.budget.conftest import Auth, Budget, create_election
from tests.budget.test_outcome_reads import caller, published_election, statements
from tests.conftest import ServiceHarness, assert_problem

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
async def api_and_db(
    budget_harness: ServiceHarness, auth: Auth
) -> AsyncIterator[tuple[Budget, AsyncConnection]]:
    async for client, conn in budget_harness.client():
        yield Budget(client, auth), conn


def parse(svg: bytes) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 (the service's own output, under test)


def parsed(response: httpx.Response) -> ET.Element:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/svg+xml"
    root = parse(response.content)
    assert root.tag == f"{SVG}svg"
    return root


def texts(root: ET.Element) -> list[str]:
    return ["".join(element.itertext()) for element in root.iter(f"{SVG}text")]


def rows(root: ET.Element) -> dict[str, str]:
    """Each project group's id and its <title> (name, selection, votes, cost)."""
    found = {}
    for group in root.iter(f"{SVG}g"):
        title = group.find(f"{SVG}title")
        assert title is not None and title.text is not None
        found[group.attrib["data-project-id"]] = title.text
    return found


@pytest.mark.parametrize("role", [None, Role.citizen, Role.district_officer], ids=str)
async def test_a_published_outcome_as_svg(
    api_and_db: tuple[Budget, AsyncConnection], auth: Auth, role: Role | None
) -> None:
    api, _ = api_and_db
    eid = await published_election(api, auth)
    response = await api.client.get(f"/budget/elections/{eid}/outcome.svg", headers=caller(auth, role))
    root = parsed(response)
    outcome = (await api.client.get(f"/budget/elections/{eid}/outcome")).json()
    assert response.headers["etag"] == f'"outcome-{outcome["id"]}-svg1"'
    assert response.headers["cache-control"] == "public, max-age=60"
    assert root.attrib["width"] == "100%" and root.attrib["viewBox"].startswith("0 0 400 ")
    # Selected in the order selected (C, B), then the rest by score.
    assert rows(root) == {
        "C": "놀이터 (C): 선정, 득표 3, 비용 300,000원",
        "B": "공원 (B): 선정, 득표 2, 비용 500,000원",
        "A": "도서관 (A): 미선정, 득표 2, 비용 600,000원",
        "D": "벤치 (D): 미선정, 득표 1, 비용 100,000원",
    }
    labels = texts(root)
    assert "규칙 코드: greedy-threshold · 투표 5명" in labels
    assert "예산 1,000,000원 · 선정 2개 사업 800,000원" in labels
    assert "예산선 1,000,000원" in labels and "전체 사업비 1,500,000원" in labels
    assert len(list(root.iter(f"{SVG}line"))) == 1


async def test_the_chart_has_its_own_etag_and_is_kept_by_record(
    api_and_db: tuple[Budget, AsyncConnection], budget_harness: ServiceHarness, auth: Auth
) -> None:
    api, conn = api_and_db
    eid = await published_election(api, auth)
    url = f"/budget/elections/{eid}/outcome.svg"
    first = await api.client.get(url)
    tag = first.headers["etag"]
    json_tag = (await api.client.get(f"/budget/elections/{eid}/outcome")).headers["etag"]
    assert tag != json_tag
    driver = (await conn.get_raw_connection()).driver_connection
    with statements(budget_harness.engine, driver) as seen:
        again = await api.client.get(url)
    assert again.content == first.content
    sql = [s.lower() for s in seen if not s.lower().startswith(("savepoint", "release", "rollback"))]
    # The SVG is kept by record id; an anonymous read asks the election's pointer alone (published_hot.py).
    assert len(sql) == 1 and re.search(r"from (budget\.)?elections\b", sql[0]), sql
    for header in (tag, f"W/{tag}", f'"other", {tag}', "*"):
        response = await api.client.get(url, headers={"If-None-Match": header})
        assert response.status_code == 304 and response.content == b"", header
        assert response.headers["etag"] == tag
    for header in (json_tag, tag.strip('"'), '"other"'):
        response = await api.client.get(url, headers={"If-None-Match": header})
        assert response.status_code == 200 and response.content == first.content, header
    # The chart's tag does not validate the JSON representation.
    response = await api.client.get(f"/budget/elections/{eid}/outcome", headers={"If-None-Match": tag})
    assert response.status_code == 200


async def test_before_publication_the_same_answers_as_the_json_outcome(api: Budget) -> None:
    election = await create_election(api, rule="greedy", ballot={"type": "approval", "max_length": 2})
    base = f"/budget/elections/{election['id']}/outcome"
    for headers in ({}, api.citizen, api.officer, {**api.citizen, "Accept-Language": "ko"}):
        as_json = assert_problem(await api.client.get(base, headers=headers), 403)
        as_svg = assert_problem(await api.client.get(base + ".svg", headers=headers), 403)
        assert as_svg["code"] == as_json["code"] == "results-not-published"
        assert as_svg["title"] == as_json["title"]
    # A result reader sees the outcome of the election's own rule, neither validated nor kept for others.
    response = await api.client.get(base + ".svg", headers=api.city)
    root = parsed(response)
    assert "etag" not in response.headers and "cache-control" not in response.headers
    assert set(rows(root)) == {"A", "B", "C", "D"}
    assert "규칙 코드: greedy · 투표 0명" in texts(root)


@pytest.mark.parametrize("election_id", ["0", "2147483648", "x"])
async def test_a_bad_election_id_is_the_same_problem(api: Budget, election_id: str) -> None:
    base = f"/budget/elections/{election_id}/outcome"
    as_json = assert_problem(await api.client.get(base), 422, field="path.election_id")
    as_svg = assert_problem(await api.client.get(base + ".svg"), 422, field="path.election_id")
    assert as_svg["code"] == as_json["code"]


async def test_an_unknown_election_is_404(api: Budget) -> None:
    as_svg = assert_problem(await api.client.get("/budget/elections/2147483647/outcome.svg"), 404)
    as_json = assert_problem(await api.client.get("/budget/elections/2147483647/outcome"), 404)
    assert as_svg["code"] == as_json["code"]


async def test_names_are_escaped_and_korean_round_trips(api: Budget) -> None:
    hostile = '<script>alert("x")</script> & ]]> 종로 \x01끝'
    projects = [
        {"project_id": "A", "name": hostile, "cost_krw": 600_000},
        {"project_id": "B", "name": "공원 <b>", "cost_krw": 500_000},
    ]
    election = await create_election(api, name_ko=hostile, projects=projects)
    response = await api.client.get(f"/budget/elections/{election['id']}/outcome.svg", headers=api.city)
    root = parsed(response)
    assert not [e for e in root.iter() if e.tag.endswith("script") or e.tag.endswith("}b")]
    assert b"<script>" not in response.content
    shown = hostile.replace("\x01", "\ufffd")
    assert rows(root)["A"].startswith(f"{shown} (A): ")
    assert rows(root)["B"].startswith("공원 <b> (B): ")
    title = root.find(f"{SVG}title")
    assert title is not None and title.text == f"{shown} 결과"


def chart(budget: Fraction, costs: list[Fraction], currency: str = "KRW") -> ChartInput:
    projects = [
        ChartProject(f"P{i}", f"사업 {i}", cost, 0, Fraction(0), "0", selected=i == 0)
        for i, cost in enumerate(costs)
    ]
    return ChartInput("시험", budget, currency, "greedy", 0, projects)


def budget_line_x(svg: bytes) -> float:
    line = parse(svg).find(f"{SVG}line")
    assert line is not None
    return float(line.attrib["x1"])


@pytest.mark.parametrize(
    ("budget", "costs", "x"),
    [
        (Fraction(100), [Fraction(100)], 388.0),  # all projects cost exactly the budget: the right edge
        (Fraction(100), [Fraction(99)], 388.0),  # just below: the budget is the scale
        (Fraction(100), [Fraction(101)], 12 + Fraction(376 * 100, 101)),  # just above: the costs are
        (Fraction(0), [], 12.0),  # nothing at all: no division by zero
        (Fraction(0), [Fraction(5)], 12.0),
    ],
)
def test_the_budget_line_at_its_edges(budget: Fraction, costs: list[Fraction], x: float) -> None:
    assert budget_line_x(render_svg(chart(budget, costs))) == pytest.approx(float(x), abs=0.05)


def test_zero_votes_draw_empty_bars() -> None:
    root = parse(render_svg(chart(Fraction(10), [Fraction(3), Fraction(4)])))
    bars = [r for r in root.iter(f"{SVG}rect") if r.attrib.get("height") == "12"]
    assert [b.attrib["width"] for b in bars] == ["260", "0.0", "260", "0.0"]


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (Fraction(0), "KRW", "0원"),
        (Fraction(999), "KRW", "999원"),
        (Fraction(1000), "KRW", "1,000원"),
        (Fraction(4_611_935_000), "KRW", "4,611,935,000원"),
        (Fraction("1234.5"), "PLN", "1,234.5 PLN"),
        (Fraction("0.05"), "EUR", "0.05 EUR"),
        (Fraction(1, 3), "PLN", "1/3 PLN"),
    ],
)
def test_money_labels_are_exact(amount: Fraction, currency: str, shown: str) -> None:
    assert money(amount, currency) == shown


def test_long_names_are_shortened_on_the_page_and_whole_in_the_tooltip() -> None:
    name = "가" * 22
    longer = "나" * 23
    projects = [
        ChartProject("A", name, Fraction(1), 1, Fraction(1), "1", selected=True),
        ChartProject("B", longer, Fraction(1), 0, Fraction(0), "0", selected=False),
    ]
    root = parse(render_svg(ChartInput("t", Fraction(2), "KRW", "mes-add1", 1, projects)))
    labels = texts(root)
    assert name in labels and "나" * 21 + "…" in labels and longer not in labels
    assert rows(root)["B"].startswith(longer)
    assert "선정 규칙: 균등 몫 방식 (Method of Equal Shares, Add1)" in labels

"""What a frontend team's page does in a real browser: CORS calls, the docs offline, the outcome chart."""

import io
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image, ImageStat
from selenium import webdriver
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import PHONE, chromium, processes_using
from tests.e2e.conftest import System

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

PROJECTS = [
    {"project_id": "P1", "name": "마을 도서관", "cost_krw": 600_000},
    {"project_id": "P2", "name": "공원 벤치", "cost_krw": 300_000},
    {"project_id": "P3", "name": "놀이터 그늘막", "cost_krw": 200_000},
    {"project_id": "P4", "name": "골목 정원", "cost_krw": 150_000},
]
BALLOTS = [["P1", "P2"], ["P1"], ["P2", "P3"], ["P1", "P4"], ["P2"]]  # P1 and P2 3 votes, P3 and P4 1

FETCH = """
const [url, init, done] = arguments;
fetch(url, init).then(
  async (r) => done({ok: true, status: r.status, requestId: r.headers.get("x-request-id"),
                     etag: r.headers.get("etag"), body: await r.text()}),
  (e) => done({ok: false, error: String(e)}),
);
"""


def election(system: System, auth: Callable[..., dict[str, str]], *, publish: bool) -> int:
    """An election on PROJECTS with BALLOTS cast through the gateway; closed and published if asked."""
    city = auth("city_officer")
    now = datetime.now(UTC)
    body = {
        "name_ko": "2026 관악구 주민참여예산 투표",
        "budget_krw": 1_000_000,
        "projects": PROJECTS,
        "opens_at": (now - timedelta(minutes=5)).isoformat(),
        "closes_at": (now + timedelta(hours=1)).isoformat(),
        "ballot": {"type": "approval", "max_length": 2},
    }
    with httpx.Client(base_url=system.gateway, timeout=30) as gateway:
        response = gateway.post("/budget/elections", json=body, headers=city)
        assert response.status_code == 201, response.text
        eid: int = response.json()["id"]
        if not publish:
            return eid
        for i, ballot in enumerate(BALLOTS):
            voter = auth("citizen", subject=f"browser-voter-{i}")
            cast = gateway.put(f"/budget/elections/{eid}/ballot", json={"project_ids": ballot}, headers=voter)
            assert cast.status_code == 200, cast.text
        for step in ("close", "publish"):
            done = gateway.post(f"/budget/elections/{eid}/{step}", headers=city)
            assert done.status_code == 200, done.text
    return eid


@pytest.fixture(scope="module")
def published(system: System, auth: Callable[..., dict[str, str]]) -> int:
    return election(system, auth, publish=True)


def fetch_from(browser: webdriver.Chrome, origin: str, url: str, init: dict[str, Any]) -> dict[str, Any]:
    """`fetch(url, init)` run by a page of `origin`; what the page could read of the answer."""
    browser.get(f"{origin}/index.html")
    result: dict[str, Any] = browser.execute_async_script(FETCH, url, init)
    return result


def test_a_page_of_an_allowed_origin_calls_the_api(
    browser: webdriver.Chrome,
    system: System,
    allowed_origin: str,
    published: int,
    auth: Callable[..., dict[str, str]],
) -> None:
    url = f"{system.gateway}/budget/elections/{published}/outcome"
    # A bearer token makes it a non-simple request: the browser sends a preflight first.
    init = {"headers": {**auth("citizen", subject="browser-reader"), "Accept-Language": "ko"}}
    answer = fetch_from(browser, allowed_origin, url, init)
    assert answer["ok"] and answer["status"] == 200, answer
    assert answer["requestId"] and answer["etag"] and answer["etag"].startswith('"outcome-')
    assert json.loads(answer["body"])["selected"] == ["P2", "P1"]  # the tie goes to the cheaper
    # An error answer is readable too, in Korean when the page asks for it.
    unpublished = election(system, auth, publish=False)
    refused = fetch_from(
        browser, allowed_origin, f"{system.gateway}/budget/elections/{unpublished}/outcome", init
    )
    assert refused["ok"] and refused["status"] == 403 and refused["requestId"], refused
    problem = json.loads(refused["body"])
    assert problem["code"] == "results-not-published" and re.search("[가-힣]", problem["title"]), problem


def test_a_page_of_another_origin_is_refused_by_the_browser(
    browser: webdriver.Chrome,
    system: System,
    other_origin: str,
    published: int,
    auth: Callable[..., dict[str, str]],
) -> None:
    url = f"{system.gateway}/budget/elections/{published}/outcome"
    for init in ({}, {"headers": auth("citizen", subject="browser-reader")}):
        answer = fetch_from(browser, other_origin, url, init)
        assert not answer["ok"] and "TypeError" in answer["error"], answer
    # The gateway answered the simple GET; only the browser kept it from the page.
    assert httpx.get(url, headers={"Origin": other_origin}).status_code == 200


def test_the_docs_load_with_the_network_closed_and_list_every_operation(
    browser: webdriver.Chrome, system: System
) -> None:
    spec = httpx.get(f"{system.gateway}/openapi.json").json()
    methods = {"get", "put", "post", "patch", "delete", "head", "options"}
    operations = sum(1 for item in spec["paths"].values() for method in item if method in methods)
    assert operations > 50
    browser.get(f"{system.gateway}/docs")
    WebDriverWait(browser, 60).until(
        lambda b: b.execute_script("return document.querySelectorAll('.opblock').length") == operations
    )
    title = browser.execute_script("return document.querySelector('.swagger-ui .info .title').textContent")
    assert spec["info"]["title"] in title
    loaded = browser.execute_script(
        "return performance.getEntriesByType('resource').map((e) => e.name)"
        ".concat([...document.querySelectorAll('script[src], link[href]')].map((e) => e.src || e.href))"
    )
    assert loaded and all(url.startswith(system.gateway + "/") for url in loaded), loaded
    # The browser really is closed to the outside: a CDN, had the page used one, would not load.
    outside = browser.execute_async_script(
        "fetch('https://cdn.jsdelivr.net/npm/swagger-ui-dist/swagger-ui.css')"
        ".then(() => arguments[0]('loaded'), (e) => arguments[0](String(e)))"
    )
    assert "TypeError" in outside


def pixels(png: bytes) -> Image.Image:
    return Image.open(io.BytesIO(png)).convert("RGB")


def near(image: Image.Image, colour: tuple[int, int, int], tolerance: int = 40) -> int:
    """How many pixels are within `tolerance` of `colour` on every channel."""
    raw = image.tobytes()
    return sum(
        1 for i in range(0, len(raw), 3) if all(abs(raw[i + k] - colour[k]) <= tolerance for k in range(3))
    )


def test_the_outcome_chart_renders_at_phone_width(
    browser: webdriver.Chrome, system: System, allowed_origin: str, published: int, tmp_path: Path
) -> None:
    url = f"{system.gateway}/budget/elections/{published}/outcome.svg"
    # A phone's viewport (headless windows are never narrower than 500 pixels).
    width, height = PHONE
    metrics = {"width": width, "height": height, "deviceScaleFactor": 2, "mobile": True}
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    browser.get(url)
    labels = browser.execute_script("return [...document.querySelectorAll('text')].map((t) => t.textContent)")
    expected = ("마을 도서관", "공원 벤치", "선정", "미선정", "예산선 1,000,000원", "전체 사업비 1,250,000원")
    for label in expected:
        assert label in labels, (label, labels)
    assert any(label.startswith("선정 규칙: 득표순") for label in labels)
    png = browser.get_screenshot_as_png()
    (tmp_path / "outcome.png").write_bytes(png)
    shot = pixels(png)
    assert ImageStat.Stat(shot.convert("L")).var[0] > 500  # not blank
    assert near(shot, (0x1F, 0x6F, 0xB2)) > 500  # the selected projects' bars
    assert near(shot, (0xB8, 0xBE, 0xC6), 12) > 500  # the others'
    assert near(shot, (0xD1, 0x34, 0x2F)) > 20  # the budget line

    # Embedded in a page of another origin, at a phone's width: it fills the width, keeps its shape.
    browser.get(f"{allowed_origin}/index.html")
    size = browser.execute_async_script(
        """
        const [src, done] = arguments;
        document.body.style.margin = "0";
        const img = new Image();
        img.style.width = "100%";
        img.onload = () => done({width: img.getBoundingClientRect().width,
                                 height: img.getBoundingClientRect().height,
                                 page: document.documentElement.clientWidth});
        img.onerror = () => done(null);
        document.body.appendChild(img);
        img.src = src;
        """,
        url,
    )
    assert size is not None and size["page"] == width
    assert size["width"] == width and size["height"] > size["width"]
    png = browser.get_screenshot_as_png()
    (tmp_path / "embedded.png").write_bytes(png)
    assert ImageStat.Stat(pixels(png).convert("L")).var[0] > 500
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_the_browser_leaves_no_process_behind(tmp_path_factory: pytest.TempPathFactory) -> None:
    profile = tmp_path_factory.mktemp("chromium-once") / "profile"
    with chromium(profile) as driver:
        driver.get("about:blank")
        assert processes_using(str(profile))
    assert processes_using(str(profile)) == []

"""The evaluation result and district money charts in a real browser at a phone's width: their Korean labels,
a screenshot that is not blank and shows each chart's bars, and their shape when embedded in another origin's
page; a chart only staff read, fetched with a token by that page, shows the comparison's bars."""

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import ImageStat
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from ops.evaluation_2017 import RUBRIC, SCHEDULE_2017
from services.evaluation.results.chart import HIDDEN_COMPARISON
from shared.settings import async_url
from tests.browser.conftest import PHONE
from tests.browser.test_browser import near, pixels
from tests.conftest import Database
from tests.e2e.conftest import System
from tests.evaluation.results_helpers import BANDS, SHEETS, Scored, panel

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

Auth = Callable[..., dict[str, str]]
ENVELOPE_BLUE = (0x1F, 0x6F, 0xB2)
EXPERT_GREEN = (0x2E, 0x8B, 0x57)
# Committed in the browser tests' own database, which the other browser tests share: a year none of them
# writes or lists (budget money, evaluation cycle).
YEAR = 2089
SCHEDULE = {
    phase: (f"{YEAR}{starts[4:]}", f"{YEAR}{ends[4:]}") for phase, (starts, ends) in SCHEDULE_2017[1].items()
}

EMBED = """
const [src, token, done] = arguments;
document.body.style.margin = "0";
const img = new Image();
img.style.width = "100%";
img.onload = () => done({width: img.getBoundingClientRect().width, height: img.getBoundingClientRect().height,
                         page: document.documentElement.clientWidth, svg});
img.onerror = () => done(null);
document.body.appendChild(img);
let svg = null;
if (token) {
  fetch(src, {headers: {Authorization: `Bearer ${token}`}})
    .then((r) => r.text())
    .then((body) => { svg = body; img.src = URL.createObjectURL(new Blob([body], {type: "image/svg+xml"})); },
          () => done(null));
} else {
  img.src = src;
}
"""


def ok(response: httpx.Response) -> Any:
    assert response.status_code in (200, 201), response.text
    return response.json()


def district_money(system: System, auth: Auth) -> str:
    """Jongno's type and an envelope of 400,000,000원 in YEAR (the gateway); nothing granted or spent."""
    city = auth("city_officer", subject="city-officer-1")
    with httpx.Client(base_url=system.gateway, timeout=30, headers=city) as gateway:
        ok(
            gateway.put(
                f"/budget/districts/11110/funding/{YEAR}",
                json={"funding_type": "separate", "neighbourhoods": 2},
            )
        )
        cycle = ok(
            gateway.post("/budget/cycles", json={"name_ko": f"{YEAR} 주민참여예산", "fiscal_year": YEAR})
        )
        body = {"district_code": "11110", "track": "general", "amount_krw": 400_000_000}
        ok(gateway.post(f"/budget/cycles/{cycle['id']}/envelopes", json=body))
    return f"{system.gateway}/budget/summaries/{YEAR}/districts/11110.svg"


async def _sheets(database: Database, scored: Scored) -> None:
    engine = create_async_engine(async_url(database.service_urls["evaluation"]))
    try:
        async with engine.begin() as conn:
            await panel(conn, scored, SHEETS)
    finally:
        await engine.dispose()


async def _confirm(database: Database, result_id: int) -> None:
    """Notified and confirmed as the windows would allow (the services run on the real clock, the windows
    are YEAR's); the result_guard trigger still checks each step."""
    engine = create_async_engine(async_url(database.service_urls["evaluation"]))
    try:
        async with engine.begin() as conn:
            for step in (
                "status = 'notified', notified_at = now(), notified_by = 'city-officer-1'",
                "status = 'confirmed', category = 'continue', category_source = 'bands',"
                " confirmed_at = now(), confirmed_by = 'city-officer-1'",
            ):
                await conn.execute(
                    text(f"UPDATE evaluation.results SET {step} WHERE id = :id"), {"id": result_id}
                )
    finally:
        await engine.dispose()


def published_result(system: System, auth: Auth, database: Database) -> str:
    """A round-1 target scored by five raters (78.67: a 60-point unit indicator, a 40-point qualitative one
    with one N/A), its result computed, confirmed and published; the chart's URL."""
    city = auth("city_officer", subject="city-officer-1")
    with httpx.Client(base_url=system.gateway, timeout=30, headers=city) as gateway:
        body = {"classification": "consortium", "name_ko": "관악 시민협력 컨소시엄", "district_code": "11620"}
        organization_id = ok(gateway.post("/councils/organizations", json=body))["id"]
        body = {"programme": "civic_platform", "name_ko": f"{YEAR} 시민협력플랫폼 성과평가", "year": YEAR}
        cycle_id = ok(gateway.post("/evaluation/cycles", json=body))["id"]
        for phase, (starts, ends) in SCHEDULE.items():
            window = {"phase": phase, "starts_on": starts, "ends_on": ends}
            ok(gateway.post(f"/evaluation/cycles/{cycle_id}/rounds/1/windows", json=window))
        target = ok(
            gateway.post(
                f"/evaluation/cycles/{cycle_id}/targets",
                json={"organization_id": organization_id, "district_code": "11620", "round": 1},
            )
        )
        rubric = ok(gateway.post(f"/evaluation/cycles/{cycle_id}/rubrics", json=RUBRIC))
        unit = ok(
            gateway.post(
                f"/evaluation/cycles/{cycle_id}/indicators",
                json={
                    "name_ko": "공론장 운영 횟수",
                    "measure": "unit",
                    "weight": 60,
                    "baseline": 4,
                    "target": 12,
                },
            )
        )
        quality = ok(
            gateway.post(
                f"/evaluation/targets/{target['id']}/indicators",
                json={
                    "name_ko": "민관 협력 수준",
                    "measure": "qualitative",
                    "weight": 40,
                    "rubric_id": rubric["id"],
                },
            )
        )
        ok(gateway.post(f"/evaluation/targets/{target['id']}/open"))
        asyncio.run(_sheets(database, Scored(cycle_id, target, unit, quality, {})))
        ok(gateway.put(f"/evaluation/cycles/{cycle_id}/result-settings", json={"bands": BANDS}))
        result = ok(gateway.post(f"/evaluation/targets/{target['id']}/result"))
        asyncio.run(_confirm(database, result["id"]))
        ok(gateway.post(f"/evaluation/targets/{target['id']}/result/publish"))
    return f"{system.gateway}/evaluation/targets/{target['id']}/result.svg"


def rendered(browser: Any, url: str, expected: tuple[str, ...], shot: Path) -> Any:
    """The chart opened at a phone's width: its labels, and a screenshot that is not blank."""
    width, height = PHONE
    metrics = {"width": width, "height": height, "deviceScaleFactor": 2, "mobile": True}
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    browser.get(url)
    labels = browser.execute_script("return [...document.querySelectorAll('text')].map((t) => t.textContent)")
    for label in expected:
        assert label in labels, (label, labels)
    png = browser.get_screenshot_as_png()
    shot.write_bytes(png)
    image = pixels(png)
    assert ImageStat.Stat(image.convert("L")).var[0] > 500  # not blank
    return image


def embedded(
    browser: Any, origin: str, url: str, token: str | None, shot: Path
) -> tuple[dict[str, Any], Any]:
    """The chart in an <img> at 100% of a phone-wide page of another origin (fetched with the token if
    given): it fills the width and keeps its shape."""
    browser.get(f"{origin}/index.html")
    size = browser.execute_async_script(EMBED, url, token)
    assert size is not None and size["page"] == PHONE[0]
    assert size["width"] == PHONE[0] and size["height"] > 0
    png = browser.get_screenshot_as_png()
    shot.write_bytes(png)
    image = pixels(png)
    assert ImageStat.Stat(image.convert("L")).var[0] > 500
    return size, image


def test_the_district_money_chart_renders_at_phone_width(
    browser: Any, system: System, allowed_origin: str, auth: Auth, tmp_path: Path
) -> None:
    url = district_money(system, auth)
    labels = (
        f"{YEAR}년 자치구 11110 주민참여 예산",
        "예산 배정",
        "400,000,000원",
        "집행",
        "잔액 400,000,000원",
    )
    image = rendered(
        browser,
        url,
        (*labels, "지원 유형 분리형 · 한도 900,000,000원", "아직 집행 기록이 없습니다."),
        tmp_path / "money.png",
    )
    assert near(image, ENVELOPE_BLUE) > 2000  # the envelope's bar: the whole track
    _, shown = embedded(browser, allowed_origin, url, None, tmp_path / "money-embedded.png")
    assert near(shown, ENVELOPE_BLUE) > 2000
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_the_evaluation_result_chart_renders_at_phone_width(
    browser: Any, system: System, allowed_origin: str, auth: Auth, database: Database, tmp_path: Path
) -> None:
    url = published_result(system, auth, database)
    labels = ("총점 78.67점 / 100점", "공론장 운영 횟수", "민관 협력 수준", "46.67 / 60점", HIDDEN_COMPARISON)
    image = rendered(browser, url, labels, tmp_path / "result.png")
    assert near(image, ENVELOPE_BLUE) > 1000  # the indicators' points
    assert near(image, EXPERT_GREEN) == 0  # no comparison for an anonymous reader
    size, shown = embedded(browser, allowed_origin, url, None, tmp_path / "result-embedded.png")
    assert size["height"] > 0 and near(shown, ENVELOPE_BLUE) > 1000
    # A city officer's page fetches it with its token: the comparison's bars are drawn too.
    token = auth("city_officer")["Authorization"].removeprefix("Bearer ")
    size, shown = embedded(browser, allowed_origin, url, token, tmp_path / "result-staff.png")
    assert "평가자 유형별 비교" in size["svg"] and near(shown, EXPERT_GREEN) > 200
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

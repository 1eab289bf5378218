"""A district's money in a year as an SVG picture to embed: envelope, grants (시비 and 구비), spent.

Drawn from the JSON read's own answer (`DistrictYearSummary`) with the helpers every chart shares
(`shared/svg.py`). The three bars share one scale, so their lengths compare.
"""

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from services.budget.envelopes import service as envelopes
from services.budget.summaries import service
from services.budget.summaries.schemas import DistrictYearSummary
from shared.svg import MARGIN, TRACK, WIDTH, content_etag, document, money, share, x
from shared.svg import text as _text

ENVELOPE = "#1f6fb2"
CITY_SHARE = "#2e8b57"
DISTRICT_SHARE = "#7cc49a"
SPENT = "#d1842f"
BAR_WIDTH = WIDTH - 2 * MARGIN


@dataclass(frozen=True, slots=True)
class Segment:
    amount: int
    fill: str
    label: str


def _bar(parts: list[str], y: int, label: str, total: int, scale: int, segments: list[Segment]) -> int:
    """One labelled bar (its segments stacked) with its amount; returns the height used."""
    add = parts.append
    amount = money(total)
    add(f'<g class="bar" data-amount="{total}">')
    add(f"<title>{_text(label)} {_text(amount)}</title>")
    add(f'<text x="{MARGIN}" y="{y + 14}" class="name chosen">{_text(label)}</text>')
    add(f'<text x="{WIDTH - MARGIN}" y="{y + 14}" class="name" text-anchor="end">{_text(amount)}</text>')
    add(f'<rect x="{MARGIN}" y="{y + 22}" width="{BAR_WIDTH}" height="18" fill="{TRACK}"/>')
    offset = 0
    for segment in segments:
        if segment.amount <= 0:
            continue
        add(
            f'<rect x="{x(MARGIN + BAR_WIDTH * share(offset, scale))}" y="{y + 22}"'
            f' width="{x(BAR_WIDTH * share(segment.amount, scale))}" height="18" fill="{segment.fill}"'
            ' stroke="#ffffff" stroke-width="0.5"/>'
        )
        offset += segment.amount
    add("</g>")
    return 50


def render_svg(summary: DistrictYearSummary, funding_type_ko: str | None = None) -> bytes:
    """The picture of one district's line of the year's summary; `funding_type_ko` names its type."""
    year, code = summary.fiscal_year, summary.district_code
    title = f"{year}년 자치구 {code} 주민참여 예산"
    funding = funding_type_ko or summary.funding_type or "미지정"
    cap = money(summary.cap_krw) if summary.cap_krw is not None else "없음"
    scale = max(summary.envelope_krw, summary.grants_krw, summary.spent_krw)
    parts: list[str] = []
    add = parts.append
    add(f'<text x="{MARGIN}" y="26" class="title">{_text(title)}</text>')
    add(f'<text x="{MARGIN}" y="46" class="small">지원 유형 {_text(funding)} · 한도 {_text(cap)}</text>')
    y = 56
    y += _bar(
        parts,
        y,
        "예산 배정",
        summary.envelope_krw,
        scale,
        [Segment(summary.envelope_krw, ENVELOPE, "예산 배정")],
    )
    y += _bar(
        parts,
        y,
        "보조금 (시비 + 구비)",
        summary.grants_krw,
        scale,
        [
            Segment(summary.city_share_krw, CITY_SHARE, "시비"),
            Segment(summary.district_share_krw, DISTRICT_SHARE, "구비"),
        ],
    )
    add(
        f'<text x="{MARGIN}" y="{y + 2}" class="small">시비 {_text(money(summary.city_share_krw))}'
        f" · 구비 {_text(money(summary.district_share_krw))}</text>"
    )
    y += 12
    y += _bar(parts, y, "집행", summary.spent_krw, scale, [Segment(summary.spent_krw, SPENT, "집행")])
    add(f'<text x="{MARGIN}" y="{y + 6}" class="name">잔액 {_text(money(summary.remaining_krw))}</text>')
    notes = []
    if scale == 0:
        notes.append("이 해에 배정된 예산과 보조금이 없습니다.")
    elif summary.spent_krw == 0:
        notes.append("아직 집행 기록이 없습니다.")
    for note in notes:
        y += 18
        add(f'<text x="{MARGIN}" y="{y + 6}" class="small">{_text(note)}</text>')
    height = y + 14 + MARGIN
    desc = (
        f"{year}년 자치구 {code}: 예산 배정 {money(summary.envelope_krw)}, 보조금 {money(summary.grants_krw)}"
        f" (시비 {money(summary.city_share_krw)}, 구비 {money(summary.district_share_krw)}),"
        f" 집행 {money(summary.spent_krw)}, 잔액 {money(summary.remaining_krw)}."
    )
    return document(title=title, desc=desc, height=height, body="".join(parts))


async def district_svg(session: AsyncSession, fiscal_year: int, district_code: str) -> tuple[bytes, str]:
    """The SVG of what `GET /budget/summaries/{year}/districts/{code}` answers, and its ETag (of its bytes:
    the summary changes with every envelope, grant and expenditure)."""
    summary = (await service.summaries(session, fiscal_year, [district_code]))[0]
    names = {row.code: row.name_ko for row in await envelopes.list_funding_types(session)}
    svg = render_svg(summary, names.get(summary.funding_type or ""))
    return svg, content_etag(f"summary-{fiscal_year}-{district_code}-svg", svg)

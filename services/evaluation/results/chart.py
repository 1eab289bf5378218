"""An evaluation result as an SVG picture to embed: points by indicator against its weight, and self vs
official vs expert.

Drawn from what the JSON reads answer (`ResultOut` and its arithmetic; `TargetComparisonOut`) with the helpers
every chart shares (`shared/svg.py`). The comparison shows the agency's self-evaluation, which only city
officers, auditors and admins read (`GET …/comparison`); for anyone else the picture says so instead of
drawing it, so the chart never shows more than its reader may read as JSON.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from sqlalchemy.ext.asyncio import AsyncSession

from services.evaluation.comparison import service as comparison
from services.evaluation.comparison.schemas import TargetComparisonOut
from services.evaluation.indicators import repository as indicators
from services.evaluation.results import service
from services.evaluation.results.schemas import ResultOut
from shared.auth import Identity, Role
from shared.svg import MARGIN, TRACK, WIDTH, content_etag, document, share, short, x
from shared.svg import attr as _attr
from shared.svg import text as _text

CHART_VERSION = 1
"""Part of a published result's SVG ETag: a new layout must not be served under the ETag of the old one."""

POINTS = "#1f6fb2"
RATER_FILL = {"self": "#d1842f", "official": "#1f6fb2", "expert": "#2e8b57"}
RATER_KO = {"self": "자체평가", "official": "공무원", "expert": "전문가"}
STATUS_KO = {
    "draft": "산출(초안)",
    "notified": "통보",
    "appealed": "이의신청",
    "re_reviewed": "재심사",
    "confirmed": "확정",
    "published": "공개",
}
COMPARISON_READERS = (Role.city_officer, Role.auditor, Role.admin)
HIDDEN_COMPARISON = "자체평가·공무원·전문가 점수 비교는 시 담당자와 감사 권한으로만 볼 수 있습니다."
OLDER_VERSION = "이전 심사 차수의 결과여서 평가자 유형별 비교는 표시하지 않습니다."
BAR_WIDTH = 250
MAX_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class ResultChart:
    """What one read answers: the SVG, and its ETag and cache rule when it may be kept by anyone."""

    svg: bytes
    etag: str
    public: bool


def chart_etag(result_id: int) -> str:
    """A published result never changes: its id and the layout version identify its public picture."""
    return f'"result-{result_id}-svg{CHART_VERSION}"'


def _decimal(value: str | None) -> str | None:
    """A points string without trailing zeros ("20.0000" → "20", "12.3450" → "12.345")."""
    if value is None:
        return None
    exact = Decimal(value).normalize()
    return format(exact if exact != exact.to_integral() else exact.quantize(Decimal(1)), "f")


def _fraction(value: str | None) -> Fraction | None:
    return None if value is None else Fraction(value)


def _indicators(parts: list[str], result: ResultOut, names: Mapping[int, str], y: int) -> int:
    """Each indicator's points against its weight (the bar's track is the weight); returns the height used."""
    add = parts.append
    rows: Sequence[Mapping[str, object]] = result.arithmetic.get("indicators", [])
    top = max((int(str(row["weight"])) for row in rows), default=0)
    add(f'<text x="{MARGIN}" y="{y + 14}" class="name chosen">지표별 점수 (막대 길이: 배점)</text>')
    y += 22
    for row in rows:
        indicator_id = int(str(row["indicator_id"]))
        weight = int(str(row["weight"]))
        name = names.get(indicator_id, f"지표 {indicator_id}")
        counted = int(str(row.get("n", 0)))
        na = len(row.get("not_applicable", []) or [])  # type: ignore[arg-type]
        points = _fraction(str(row["points"])) if row.get("points") is not None and counted else None
        shown = f"{row['points_display']} / {weight}점" if points is not None else f"해당 없음 / {weight}점"
        note = f"평가 {counted}건" + (f" · 해당 없음 {na}건 제외" if na else "")
        track = Fraction(BAR_WIDTH * weight, top) if top else Fraction(0)
        add(f'<g class="indicator" data-indicator-id="{indicator_id}">')
        add(f"<title>{_text(f'{name}: {shown}, {note}')}</title>")
        add(f'<text x="{MARGIN}" y="{y + 12}" class="name">{_text(short(name, 26))}</text>')
        add(f'<rect x="{MARGIN}" y="{y + 18}" width="{x(track)}" height="12" fill="{TRACK}"/>')
        if points is not None:
            filled = track * share(points, weight)
            add(f'<rect x="{MARGIN}" y="{y + 18}" width="{x(filled)}" height="12" fill="{POINTS}"/>')
        add(f'<text x="{WIDTH - MARGIN}" y="{y + 28}" class="small" text-anchor="end">{_text(shown)}</text>')
        add(f'<text x="{MARGIN}" y="{y + 42}" class="small">{_text(note)}</text>')
        add("</g>")
        y += 50
    return y


def _comparison(parts: list[str], data: TargetComparisonOut, y: int) -> int:
    """Each rater type's total, then its mean points per indicator; a type without scores says so."""
    add = parts.append
    add(f'<text x="{MARGIN}" y="{y + 14}" class="name chosen">평가자 유형별 비교</text>')
    y += 22
    for kind, fill in RATER_FILL.items():
        add(
            f'<rect x="{MARGIN + 110 * list(RATER_FILL).index(kind)}" y="{y}" width="10" height="10"'
            f' fill="{fill}"/>'
        )
        add(
            f'<text x="{MARGIN + 14 + 110 * list(RATER_FILL).index(kind)}" y="{y + 9}" class="small">'
            f"{RATER_KO[kind]}</text>"
        )
    y += 16
    bars: list[tuple[str, str, int, dict[str, str | None]]] = [
        ("총점", "total", 100, {str(k): t.points for k, t in data.totals.items()}),
        *[
            (i.name_ko, str(i.indicator_id), i.weight, {str(k): t.points for k, t in i.by_rater_type.items()})
            for i in data.indicators
        ],
    ]
    for label, key, weight, by_type in bars:
        add(f'<g class="comparison" data-key={_attr(key)}>')
        add(f'<text x="{MARGIN}" y="{y + 12}" class="name">{_text(short(label, 26))} ({weight}점)</text>')
        y += 16
        for kind, fill in RATER_FILL.items():
            value = by_type.get(kind)
            shown = f"{_decimal(value)}점" if value is not None else "점수 없음"
            add(f'<text x="{MARGIN}" y="{y + 9}" class="small">{RATER_KO[kind]}</text>')
            add(f'<rect x="{MARGIN + 52}" y="{y + 1}" width="{BAR_WIDTH - 52}" height="9" fill="{TRACK}"/>')
            if value is not None:
                filled = (BAR_WIDTH - 52) * share(Fraction(value), weight)
                add(f'<rect x="{MARGIN + 52}" y="{y + 1}" width="{x(filled)}" height="9" fill="{fill}"/>')
            add(
                f'<text x="{WIDTH - MARGIN}" y="{y + 9}" class="small rater-{kind}" text-anchor="end">'
                f"{_text(shown)}</text>"
            )
            y += 13
        add("</g>")
        y += 8
    return y


def render_svg(
    result: ResultOut,
    *,
    names: Mapping[int, str],
    comparison_data: TargetComparisonOut | None,
    withheld: str = HIDDEN_COMPARISON,
) -> bytes:
    """The picture of one result; the comparison drawn when given, `withheld` saying why not otherwise."""
    title = f"평가 대상 {result.target_id} · {result.review_version}차 평가 결과"
    category = result.category_ko or "미정"
    status = STATUS_KO.get(result.status, result.status)
    parts: list[str] = []
    add = parts.append
    add(f'<text x="{MARGIN}" y="26" class="title">{_text(title)}</text>')
    add(f'<text x="{MARGIN}" y="48" class="name chosen">총점 {_text(result.total_display)}점 / 100점</text>')
    add(f'<text x="{MARGIN}" y="66" class="small">등급 {_text(category)} · 상태 {_text(status)}</text>')
    y = _indicators(parts, result, names, 76)
    if comparison_data is not None:
        y = _comparison(parts, comparison_data, y + 6)
    else:
        add(f'<text x="{MARGIN}" y="{y + 14}" class="small">{_text(withheld)}</text>')
        y += 20
    desc = (
        f"평가 대상 {result.target_id}, {result.review_version}차, 상태 {status}:"
        f" 총점 {result.total_display}점, 등급 {category}. 지표별 점수는 배점 대비 막대로 표시합니다."
    )
    return document(title=title, desc=desc, height=y + MARGIN, body="".join(parts))


async def result_svg(
    session: AsyncSession, *, target_id: int, version: int | None, reader: Identity | None
) -> ResultChart:
    """The SVG of the result `GET /evaluation/targets/{id}/result` gives this reader, under the same rules
    (404 for a result the reader may not read); with the comparison of that review version for its readers."""
    result = await service.read_result(session, target_id=target_id, version=version, reader=reader)
    rows = await indicators.list_indicators(
        session,
        cycle_id=result.cycle_id,
        scope=None,
        target_id=target_id,
        with_common=True,
        after_id=None,
        limit=MAX_LIMIT,
    )
    names = {row.id: row.name_ko for row in rows}
    if reader is None or reader.role not in COMPARISON_READERS:
        svg = render_svg(result, names=names, comparison_data=None)
        if result.status == "published":
            return ResultChart(svg, chart_etag(result.id), public=True)
        return ResultChart(svg, content_etag(f"result-{result.id}-svg", svg), public=False)
    data = await comparison.compare_target(session, target_id=target_id)
    # The comparison is of the target's current review version; an older result is drawn without it.
    if data.review_version == result.review_version:
        svg = render_svg(result, names=names, comparison_data=data)
    else:
        svg = render_svg(result, names=names, comparison_data=None, withheld=OLDER_VERSION)
    return ResultChart(svg, content_etag(f"result-{result.id}-svg", svg), public=False)

"""An election outcome as an SVG picture to embed: votes or score, cost, selection, the budget line, the rule.

One bar list and one stacked bar, drawn with the helpers every chart shares (`shared/svg.py`: escaping,
amounts, coordinates, the document with its viewBox at the container's width).
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.budget.elections import outcomes, repository
from services.budget.elections.computations import OutcomeComputations
from services.budget.elections.published import OutcomeAnswer, PublishedBodies
from services.budget.elections.service import load_election
from shared.auth import Identity
from shared.svg import MARGIN, TRACK, WIDTH, document, money, number, short
from shared.svg import attr as _attr
from shared.svg import text as _text
from shared.svg import x as _x

CHART_VERSION = 1
"""Part of the SVG's ETag: a new layout must not be served under the ETag of the old one."""

BAR_WIDTH = 260
ROW = 42
SELECTED = "#1f6fb2"
SELECTED_ALT = "#4a93d1"
NOT_SELECTED = "#b8bec6"
BUDGET_LINE = "#d1342f"

RULE_LABELS = {
    "greedy": "득표순 선정 (예산 안에서, 넘치는 사업은 건너뜀)",
    "greedy-threshold": "최소 득표 기준을 넘은 사업을 득표순 선정",
    "greedy-no-skip": "득표순 선정 (예산을 넘는 첫 사업에서 멈춤)",
    "mes-add1": "균등 몫 방식 (Method of Equal Shares, Add1)",
    "mes-add1-comparison": "균등 몫 방식 (Add1, 득표순 비교 보완)",
}


@dataclass(frozen=True, slots=True)
class ChartProject:
    project_id: str
    name: str | None
    cost: Fraction
    votes: int
    score: Fraction
    score_text: str
    selected: bool


@dataclass(frozen=True, slots=True)
class ChartInput:
    title: str
    budget: Fraction
    currency: str
    rule: str
    n_ballots: int
    projects: Sequence[ChartProject]


def chart_etag(record_id: int) -> str:
    """A strong ETag for the SVG of outcome record N: the record and the layout version identify it."""
    return f'"outcome-{record_id}-svg{CHART_VERSION}"'


def chart_input(
    *,
    title: str,
    budget: Any,
    currency: str,
    outcome: Mapping[str, Any],
    names: Mapping[str, str | None],
) -> ChartInput:
    """From an outcome's JSON (OutcomeOut) and the election's project names; in the outcome's order."""
    order = {pid: i for i, pid in enumerate(outcome["selected"])}
    projects = [
        ChartProject(
            project_id=row["project_id"],
            name=names.get(row["project_id"]),
            cost=Fraction(str(row["cost"])),
            votes=int(row["votes"]),
            score=Fraction(str(row["score"])),
            score_text=str(row["score"]),
            selected=bool(row["selected"]),
        )
        for row in outcome["projects"]
    ]
    # Selected projects in the order they were selected, then the others by score, highest first.
    projects.sort(key=lambda p: (0, order[p.project_id]) if p.project_id in order else (1, -p.score))
    return ChartInput(
        title=title,
        budget=Fraction(str(budget)),
        currency=currency,
        rule=outcome["rule"],
        n_ballots=int(outcome["n_ballots"]),
        projects=projects,
    )


def render_svg(chart: ChartInput) -> bytes:
    projects = chart.projects
    selected_cost = sum((p.cost for p in projects if p.selected), Fraction(0))
    top_score = max((p.score for p in projects), default=Fraction(0))
    rule = RULE_LABELS.get(chart.rule, chart.rule)
    parts: list[str] = []
    add = parts.append
    add(f'<text x="{MARGIN}" y="26" class="title">{_text(short(chart.title, 24))}</text>')
    add(f'<text x="{MARGIN}" y="46" class="small">선정 규칙: {_text(rule)}</text>')
    add(
        f'<text x="{MARGIN}" y="62" class="small">'
        f"규칙 코드: {_text(chart.rule)} · 투표 {chart.n_ballots:,}명</text>"
    )
    n_selected = sum(p.selected for p in projects)
    add(
        f'<text x="{MARGIN}" y="78" class="small">예산 {_text(money(chart.budget, chart.currency))} · '
        f"선정 {n_selected}개 사업 {_text(money(selected_cost, chart.currency))}</text>"
    )
    add(f'<rect x="{MARGIN}" y="88" width="10" height="10" fill="{SELECTED}"/>')
    add(f'<text x="{MARGIN + 14}" y="97" class="small">선정</text>')
    add(f'<rect x="{MARGIN + 50}" y="88" width="10" height="10" fill="{NOT_SELECTED}"/>')
    add(f'<text x="{MARGIN + 64}" y="97" class="small">미선정</text>')
    add(f'<text x="{WIDTH - MARGIN}" y="97" class="small" text-anchor="end">막대: 득표(점수)</text>')
    y = 112
    for project in projects:
        name = project.name or project.project_id
        status = "선정" if project.selected else "미선정"
        share = project.score / top_score if top_score > 0 else Fraction(0)
        tally = f"득표 {project.votes:,}"
        if project.score != project.votes:
            score = number(project.score) if project.score.denominator == 1 else project.score_text
            tally += f" · 점수 {score}"
        full = f"{name} ({project.project_id}): {status}, {tally}, 비용 {money(project.cost, chart.currency)}"
        add(f'<g class="project" data-project-id={_attr(project.project_id)}>')
        add(f"<title>{_text(full)}</title>")
        add(
            f'<text x="{MARGIN}" y="{y + 12}" class="name{" chosen" if project.selected else ""}">'
            f"{_text(short(name, 22))}</text>"
        )
        add(f'<text x="{WIDTH - MARGIN}" y="{y + 12}" class="small" text-anchor="end">{status}</text>')
        fill = SELECTED if project.selected else NOT_SELECTED
        add(f'<rect x="{MARGIN}" y="{y + 18}" width="{BAR_WIDTH}" height="12" fill="{TRACK}"/>')
        add(f'<rect x="{MARGIN}" y="{y + 18}" width="{_x(BAR_WIDTH * share)}" height="12" fill="{fill}"/>')
        add(f'<text x="{MARGIN + BAR_WIDTH + 6}" y="{y + 28}" class="small">{_text(tally)}</text>')
        add(
            f'<text x="{MARGIN}" y="{y + 40}" class="small">'
            f"비용 {_text(money(project.cost, chart.currency))}</text>"
        )
        add("</g>")
        y += ROW + 8
    y += _budget_bar(add, chart, y)
    height = y + MARGIN
    return document(title=f"{chart.title} 결과", desc=None, height=height, body="".join(parts))


def _budget_bar(add: Any, chart: ChartInput, y: int) -> int:
    """Every project's cost stacked, selected first, against the budget line; returns the height used."""
    track = WIDTH - 2 * MARGIN
    total = sum((p.cost for p in chart.projects), Fraction(0))
    scale = max(total, chart.budget)
    add(f'<text x="{MARGIN}" y="{y + 14}" class="name chosen">예산 대비 사업비</text>')
    add(f'<rect x="{MARGIN}" y="{y + 26}" width="{track}" height="18" fill="{TRACK}"/>')
    offset = Fraction(0)
    for i, project in enumerate(chart.projects):
        if scale == 0:
            break
        fill = (SELECTED if i % 2 == 0 else SELECTED_ALT) if project.selected else NOT_SELECTED
        x = MARGIN + track * offset / scale
        width = track * project.cost / scale
        add(
            f'<rect x="{_x(x)}" y="{y + 26}" width="{_x(width)}" height="18" fill="{fill}"'
            ' stroke="#ffffff" stroke-width="0.5"/>'
        )
        offset += project.cost
    line = MARGIN + (track * chart.budget / scale if scale else Fraction(0))
    add(
        f'<line class="budget-line" x1="{_x(line)}" y1="{y + 20}" x2="{_x(line)}" y2="{y + 50}"'
        f' stroke="{BUDGET_LINE}" stroke-width="2" stroke-dasharray="4 2"/>'
    )
    anchor = "end" if line > WIDTH / 2 else "start"
    add(
        f'<text x="{_x(line)}" y="{y + 64}" class="small" text-anchor="{anchor}"'
        f' style="fill:{BUDGET_LINE}">'
        f"예산선 {_text(money(chart.budget, chart.currency))}</text>"
    )
    add(
        f'<text x="{MARGIN}" y="{y + 80}" class="small">'
        f"전체 사업비 {_text(money(total, chart.currency))}</text>"
    )
    return 84


async def outcome_svg(
    session: AsyncSession,
    computations: OutcomeComputations,
    *,
    read: AsyncSession,
    bodies: PublishedBodies,
    charts: PublishedBodies,
    election_id: int,
    identity: Identity | None,
    if_none_match: str | None,
) -> OutcomeAnswer:
    """The SVG of the outcome the JSON read (without parameters) gives this caller, under the same rules.

    The published outcome's SVG is kept in `charts` by record id (the record and the election's names never
    change); an outcome a result reader sees before publication is drawn anew for each read.
    """
    answer = await outcomes.outcome(
        session,
        computations,
        read=read,
        bodies=bodies,
        election_id=election_id,
        rule=None,
        threshold=None,
        tie_break=None,
        identity=identity,
        if_none_match=if_none_match,
        etag=chart_etag,
    )
    if answer.body is None:
        return answer
    if answer.published:
        kept = charts.get(answer.record_id)
        if kept is not None:
            return OutcomeAnswer(answer.record_id, True, kept)
    # A result reader's outcome was computed apart (and `read` closed): go on reading in `session`.
    source = read if answer.published else session
    election = await load_election(source, election_id)
    names = {p.project_id: p.name for p in await repository.projects_of(source, election_id)}
    svg = render_svg(
        chart_input(
            title=election.name_ko,
            budget=election.budget,
            currency=election.currency,
            outcome=json.loads(answer.body),
            names=names,
        )
    )
    if answer.published:
        charts.put(answer.record_id, svg)
    return OutcomeAnswer(answer.record_id, answer.published, svg)

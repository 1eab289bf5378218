"""Amendments of a running project's budget: the 10 % rule routes them, the council or the city decides.

States: a council-route request is `pending_council` until the cited decision is confirmed by the councils
service (`council_approved`, applied at once) or found not to allow it (`council_refused`); while the councils
service cannot answer it stays pending and is checked again. A city-route request is `requested` until a city
officer approves it (applied; its budget becomes the new baseline) or rejects it, with a reason either way.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession

from services.budget.amendments import repository
from services.budget.amendments.council_check import CouncilCheck, check_council_decision, unanswered
from services.budget.amendments.errors import (
    AmendmentNotFound,
    AmendmentOpen,
    BelowSpent,
    CouncilDecisionRequired,
    InvalidAmendmentTransition,
    InvalidChanges,
    ProjectNotRunning,
)
from services.budget.amendments.models import Amendment
from services.budget.amendments.rule import Routing, route
from services.budget.amendments.schemas import AmendmentCreate, AmendmentDecision, AmendmentOut, ChangeOut
from services.budget.common import record_actor
from services.budget.expenditures.errors import LineNotFound
from services.budget.projects import repository as projects
from services.budget.projects.models import BudgetLine, Project
from services.budget.projects.service import ensure_district, load_project
from shared.auth import Identity
from shared.db import register_constraint
from shared.problems import ProblemError
from shared.seoul import today_seoul
from shared.service_auth import ServiceIdentity
from shared.service_client import ServiceClient

register_constraint(
    "ck_budget_lines_within_amount",
    BelowSpent,
    "a budget line cannot fall below what is already spent on it",
    "body.lines",
    detail_ko="예산 항목은 이미 지출된 금액보다 작아질 수 없습니다.",
)
register_constraint(
    "uq_amendments_one_open_per_project",
    AmendmentOpen,
    "the project already has an open amendment; it is decided first",
    "path.project_id",
    detail_ko="이 사업에는 아직 결정되지 않은 변경 요청이 있습니다. 그 요청이 먼저 결정되어야 합니다.",
)


def rule_text(routing: Routing) -> str:
    change, base = routing.change_krw, routing.baseline_krw
    arithmetic = (
        f"10 × |{change:+,}| = {10 * abs(change):,} {'<' if 10 * abs(change) < base else '≥'} {base:,}"
    )
    if routing.transfer:
        return f"a transfer between budget items (전용); {arithmetic}: the city decides"
    if routing.route == "council":
        return f"{arithmetic}: under 10 % of the last approved budget, the district council decides"
    return f"{arithmetic}: 10 % or more of the last approved budget, the city decides"


def out(amendment: Amendment) -> AmendmentOut:
    routing = Routing(
        route="council" if amendment.route == "council" else "city",
        transfer=amendment.transfer,
        change_krw=amendment.budget_after_krw - amendment.baseline_krw,
        baseline_krw=amendment.baseline_krw,
    )
    return AmendmentOut(
        id=amendment.id,
        project_id=amendment.project_id,
        route=routing.route,
        status=amendment.status,
        transfer=amendment.transfer,
        reason_ko=amendment.reason_ko,
        changes=[ChangeOut(**change) for change in amendment.changes],
        baseline_krw=amendment.baseline_krw,
        budget_before_krw=amendment.budget_before_krw,
        budget_after_krw=amendment.budget_after_krw,
        change_krw=routing.change_krw,
        rule=rule_text(routing),
        council_decision_id=amendment.council_decision_id,
        requested_on=amendment.requested_on,
        council_checked_at=amendment.council_checked_at,
        council_check_note=amendment.council_check_note,
        decided_by=amendment.decided_by,
        decided_at=amendment.decided_at,
        decision_reason=amendment.decision_reason,
        created_at=amendment.created_at,
        created_by=amendment.created_by,
    )


def _changes(data: AmendmentCreate, project_id: int, lines: list[BudgetLine]) -> list[dict[str, Any]]:
    by_id = {line.id: line for line in lines}
    names = {line.name_ko for line in lines}
    seen: set[int] = set()
    changes: list[dict[str, Any]] = []
    for index, change in enumerate(data.lines):
        field = f"body.lines.{index}"
        if change.line_id is not None:
            line = by_id.get(change.line_id)
            if line is None:
                raise LineNotFound(project_id, change.line_id, field=f"{field}.line_id")
            if change.line_id in seen:
                raise InvalidChanges(
                    f"line {change.line_id} is changed twice",
                    detail_ko=f"{change.line_id}번 항목이 두 번 변경됩니다",
                    field=f"{field}.line_id",
                )
            seen.add(change.line_id)
            if change.amount_krw < line.spent_krw:
                raise BelowSpent(
                    f"line {line.id} has {line.spent_krw:,} KRW spent;"
                    f" it cannot become {change.amount_krw:,}",
                    detail_ko=f"{line.id}번 항목은 이미 {line.spent_krw:,}원을 지출했으므로"
                    f" {change.amount_krw:,}원이 될 수 없습니다",
                    field=f"{field}.amount_krw",
                )
            changes.append(
                {
                    "line_id": line.id,
                    "name_ko": line.name_ko,
                    "from_krw": line.amount_krw,
                    "to_krw": change.amount_krw,
                }
            )
        else:
            assert change.name_ko is not None
            if change.name_ko in names:
                raise InvalidChanges(
                    f"the project already has a line named {change.name_ko!r}",
                    detail_ko=f"이미 {change.name_ko!r} 항목이 있습니다",
                    field=f"{field}.name_ko",
                )
            names.add(change.name_ko)
            changes.append(
                {"line_id": None, "name_ko": change.name_ko, "from_krw": 0, "to_krw": change.amount_krw}
            )
    if all(c["from_krw"] == c["to_krw"] for c in changes):
        raise InvalidChanges(
            "the amendment changes no amount", detail_ko="변경되는 금액이 없습니다", field="body.lines"
        )
    return changes


def _routing(lines: list[BudgetLine], changes: list[dict[str, Any]]) -> Routing:
    approved = {line.id: line.approved_amount_krw for line in lines}
    proposed = {line.id: line.amount_krw for line in lines}
    for index, change in enumerate(changes):
        proposed[change["line_id"] if change["line_id"] is not None else -1 - index] = change["to_krw"]
    return route(approved, proposed)


@dataclass(frozen=True, slots=True)
class Asked:
    """What councils was asked about (decision, district, day) and its answer."""

    decision_id: int
    district_code: str
    requested_on: date
    check: CouncilCheck


def _answer(asked: Asked | None, amendment: Amendment, project: Project) -> CouncilCheck:
    """The answer to record on the locked amendment: councils' when it was asked about this very
    decision, district and day; otherwise (the project changed between the read and the lock) none yet."""
    if asked is None or (asked.decision_id, asked.district_code, asked.requested_on) != (
        amendment.council_decision_id,
        project.district_code,
        amendment.requested_on,
    ):
        return unanswered("the request changed while councils was asked; check again")
    return asked.check


async def _done_reading(read: AsyncSession) -> None:
    # Its connection goes back to the pool before councils is asked; and on a connection the writing
    # session shares (the tests'), its savepoint ends before the writing one begins, not inside it.
    await read.close()


async def _ask_first(
    read: AsyncSession,
    project_id: int,
    data: AmendmentCreate,
    actor: Identity,
    requested_on: date,
    councils: ServiceClient,
) -> Asked | None:
    """Councils' answer about the cited decision, asked before the writing transaction: none when there is
    no decision to ask about or the request will fail anyway (the locked checks in `request` then say why)."""
    if data.council_decision_id is None:
        return None
    try:
        project = await load_project(read, project_id)
        ensure_district(actor, project)
        if project.status != "in_progress":
            return None
        lines = list(await projects.lines_of(read, project_id))
        if _routing(lines, _changes(data, project_id, lines)).route != "council":
            return None
    except ProblemError:
        return None
    finally:
        await _done_reading(read)
    check = await check_council_decision(
        councils, data.council_decision_id, project.district_code, requested_on
    )
    return Asked(data.council_decision_id, project.district_code, requested_on, check)


async def request(
    session: AsyncSession,
    read: AsyncSession,
    *,
    project_id: int,
    data: AmendmentCreate,
    actor: Identity,
    councils: ServiceClient,
) -> AmendmentOut:
    """The amendment, routed under the project's lock; councils was asked before it, with no transaction
    open (`read` reads without one), and its answer is recorded if it still concerns this amendment."""
    requested_on = today_seoul()
    asked = await _ask_first(read, project_id, data, actor, requested_on, councils)
    project = await load_project(session, project_id, lock=True)
    ensure_district(actor, project)
    if project.status != "in_progress":
        raise ProjectNotRunning(
            f"project {project_id} is {project.status}; amendments are for running (in_progress) projects",
            detail_ko=f"{project_id}번 사업은 {project.status} 상태이며 변경은 진행 중인 사업에만 가능합니다",
            field="path.project_id",
        )
    existing = await repository.open_of(session, project_id)
    if existing is not None:
        raise AmendmentOpen(
            f"project {project_id} has amendment {existing.id} ({existing.status}); it is decided first",
            detail_ko=f"{project_id}번 사업에 처리 중인 {existing.id}번 변경 요청"
            f"({existing.status})이 있습니다",
            field="path.project_id",
        )
    lines = list(await projects.lines_of(session, project_id, lock=True))
    changes = _changes(data, project_id, lines)
    routing = _routing(lines, changes)
    if routing.route == "council" and data.council_decision_id is None:
        raise CouncilDecisionRequired(
            f"{rule_text(routing)}; cite the council's decision in council_decision_id",
            detail_ko="10 % 미만의 변경은 자치구 협치회의가 결정합니다;"
            " council_decision_id에 결정을 인용하십시오",
            field="body.council_decision_id",
        )
    after = project.budget_krw + sum(c["to_krw"] - c["from_krw"] for c in changes)
    await record_actor(session, actor, data.reason_ko)
    amendment = Amendment(
        project_id=project_id,
        route=routing.route,
        status="pending_council" if routing.route == "council" else "requested",
        transfer=routing.transfer,
        reason_ko=data.reason_ko,
        changes=changes,
        baseline_krw=project.approved_budget_krw,
        budget_before_krw=project.budget_krw,
        budget_after_krw=after,
        council_decision_id=data.council_decision_id,
        requested_on=requested_on,
        created_by=actor.subject,
    )
    await repository.add(session, amendment)
    if routing.route == "council":
        await settle(session, amendment, project, actor, _answer(asked, amendment, project))
    await session.refresh(amendment)
    return out(amendment)


async def _apply(session: AsyncSession, amendment: Amendment, project: Project, *, city: bool) -> None:
    """Write the new amounts; a city approval also makes them the new baseline of the 10 % rule."""
    lines = {line.id: line for line in await projects.lines_of(session, project.id, lock=True)}
    position = await repository.next_position(session, project.id)
    for change in amendment.changes:
        if change["line_id"] is None:
            new = BudgetLine(
                project_id=project.id,
                position=position,
                name_ko=change["name_ko"],
                amount_krw=change["to_krw"],
                approved_amount_krw=0,
            )
            position += 1
            session.add(new)
        else:
            lines[change["line_id"]].amount_krw = change["to_krw"]
    await session.flush()
    if city:
        for line in await projects.lines_of(session, project.id):
            line.approved_amount_krw = line.amount_krw
        project.approved_budget_krw = amendment.budget_after_krw
        await session.flush()


async def settle(
    session: AsyncSession,
    amendment: Amendment,
    project: Project,
    actor: Identity | ServiceIdentity,
    check: CouncilCheck,
) -> None:
    """Record a council check on a locked `pending_council` amendment: applied, refused, or still pending."""
    amendment.council_checked_at = func.now()
    amendment.council_check_note = check.note
    if check.verdict != "unanswered":
        await record_actor(session, actor, check.note)
        if check.verdict == "passed":
            await _apply(session, amendment, project, city=False)
            amendment.status = "council_approved"
        else:
            amendment.status = "council_refused"
            amendment.decision_reason = check.note
        amendment.decided_by = f"council-decision-{amendment.council_decision_id}"
        amendment.decided_at = func.now()
    await session.flush()


async def _load(session: AsyncSession, amendment_id: int) -> Amendment:
    amendment = await repository.get_amendment(session, amendment_id)
    if amendment is None:
        raise AmendmentNotFound(amendment_id)
    return amendment


async def get(session: AsyncSession, amendment_id: int) -> AmendmentOut:
    return out(await _load(session, amendment_id))


async def of_project(session: AsyncSession, project_id: int) -> list[AmendmentOut]:
    await load_project(session, project_id)
    return [out(row) for row in await repository.of_project(session, project_id)]


async def _locked(session: AsyncSession, amendment_id: int, status: str) -> tuple[Amendment, Project]:
    amendment = await _load(session, amendment_id)
    project = await load_project(session, amendment.project_id, lock=True)  # project first, as in `request`
    amendment = await repository.get_amendment(session, amendment_id, lock=True) or amendment
    if amendment.status != status:
        raise InvalidAmendmentTransition(
            f"amendment {amendment_id} is {amendment.status}; this step is for one that is {status}",
            detail_ko=f"{amendment_id}번 변경 요청은 {amendment.status} 상태이며"
            f" 이 단계는 {status} 상태에서만 가능합니다",
            field="path.amendment_id",
        )
    return amendment, project


async def _ask_again(
    read: AsyncSession, amendment_id: int, actor: Identity, councils: ServiceClient
) -> Asked | None:
    """Councils' answer about a pending amendment's decision, asked with no transaction open: none when the
    re-check will fail anyway (the locked checks in `recheck` then say why)."""
    try:
        amendment = await repository.get_amendment(read, amendment_id)
        if amendment is None or amendment.status != "pending_council":
            return None
        project = await load_project(read, amendment.project_id)
        ensure_district(actor, project)
    except ProblemError:
        return None
    finally:
        await _done_reading(read)
    decision_id, district, day = amendment.council_decision_id, project.district_code, amendment.requested_on
    if decision_id is None:  # never for a council-route amendment (ck_amendments_council_cites_decision)
        return None
    check = await check_council_decision(councils, decision_id, district, day)
    return Asked(decision_id, district, day, check)


async def recheck(
    session: AsyncSession,
    read: AsyncSession,
    *,
    amendment_id: int,
    actor: Identity,
    councils: ServiceClient,
) -> AmendmentOut:
    """Councils asked first, with no transaction open; then, under the locks, the answer recorded only if
    the amendment is still pending (the re-check loop or another officer may have settled it meanwhile)."""
    asked = await _ask_again(read, amendment_id, actor, councils)
    amendment, project = await _locked(session, amendment_id, "pending_council")
    ensure_district(actor, project)
    await settle(session, amendment, project, actor, _answer(asked, amendment, project))
    await session.refresh(amendment)
    return out(amendment)


async def decide(
    session: AsyncSession, *, amendment_id: int, data: AmendmentDecision, actor: Identity
) -> AmendmentOut:
    amendment, project = await _locked(session, amendment_id, "requested")
    await record_actor(session, actor, data.reason_ko)
    if data.decision == "approved":
        await _apply(session, amendment, project, city=True)
    amendment.status = data.decision
    amendment.decided_by = actor.subject
    amendment.decided_at = func.now()
    amendment.decision_reason = data.reason_ko
    await session.flush()
    await session.refresh(amendment)
    return out(amendment)

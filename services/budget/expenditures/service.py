"""Itemised expenditures charged to a project's budget line, the project's spending summary and CSV export.

The friendly checks here run under the line's row lock; the trigger `expenditure_charge` makes them again and
the CHECK `spent_krw <= amount_krw` is the last word, so racing requests can never overspend a line (and so
never the project, whose budget is the sum of its lines).
"""

from sqlalchemy.ext.asyncio import AsyncSession

from services.budget.expenditures import repository
from services.budget.expenditures.errors import (
    AmountMismatch,
    LineNotFound,
    OverBudget,
    ProjectClosed,
    UnknownAccountCode,
)
from services.budget.expenditures.schemas import AccountCodeOut, ExpenditureCreate, ExpenditureOut
from services.budget.projects import repository as projects
from services.budget.projects.errors import FutureDate, NotYourDistrict
from services.budget.projects.schemas import AccountSummary, LineSummary, SpendingSummary
from services.budget.projects.service import ensure_district, load_project
from shared.auth import Identity, Role
from shared.csv_export import csv_text
from shared.pagination import BIG_ID, Page, decode_cursor, page_of
from shared.seoul import today_seoul


async def list_account_codes(session: AsyncSession) -> list[AccountCodeOut]:
    return [AccountCodeOut.model_validate(row) for row in await repository.account_codes(session)]


async def record(
    session: AsyncSession, *, project_id: int, data: ExpenditureCreate, actor: Identity
) -> ExpenditureOut:
    if data.unit_price_krw * data.quantity != data.amount_krw:
        raise AmountMismatch(data.unit_price_krw, data.quantity, data.amount_krw)
    today = today_seoul()
    if data.spent_on > today:
        raise FutureDate(
            f"spent_on {data.spent_on} is after today in Seoul ({today})",
            detail_ko=f"지출일 {data.spent_on}은(는) 서울 기준 오늘({today}) 이후입니다",
            field="body.spent_on",
        )
    context = await repository.charge_context(
        session,
        project_id=project_id,
        line_id=data.line_id,
        account_code=data.account_code,
        actor=actor.subject,
        role=actor.role.value,
    )
    if context is None:
        await _refuse_without_line(session, project_id, data, actor)
        raise LineNotFound(project_id, data.line_id)
    if not actor.can_write_district(context["district_code"]):
        raise NotYourDistrict(project_id, context["district_code"], actor.district_code)
    if context["status"] not in ("planned", "in_progress"):
        raise _closed(project_id, context["status"])
    if not context["known_code"]:
        raise UnknownAccountCode(data.account_code)
    if context["spent_krw"] + data.amount_krw > context["amount_krw"]:
        raise OverBudget(data.line_id, context["amount_krw"], context["spent_krw"], data.amount_krw)
    row = await repository.insert_expenditure(
        session, {**data.model_dump(), "project_id": project_id, "created_by": actor.subject}
    )
    return ExpenditureOut.model_validate(row)


def _closed(project_id: int, status: str) -> ProjectClosed:
    return ProjectClosed(
        f"project {project_id} is {status}; nothing more can be spent on it",
        detail_ko=f"{project_id}번 사업은 {status} 상태이므로 더 지출할 수 없습니다",
        field="path.project_id",
    )


async def _refuse_without_line(
    session: AsyncSession, project_id: int, data: ExpenditureCreate, actor: Identity
) -> None:
    """No such line in the project: the refusal a caller would get before the line's, if any (404 project,
    403 district, 409 closed, 422 account code), in that order."""
    project = await load_project(session, project_id)
    ensure_district(actor, project)
    if project.status not in ("planned", "in_progress"):
        raise _closed(project_id, project.status)
    if not await repository.account_code_exists(session, data.account_code):
        raise UnknownAccountCode(data.account_code)


async def _readable(session: AsyncSession, project_id: int, actor: Identity) -> None:
    project = await load_project(session, project_id)
    if actor.role == Role.district_officer:  # auditors, city officers and admins read every district
        ensure_district(actor, project)


async def list_expenditures(
    session: AsyncSession, *, project_id: int, actor: Identity, cursor: str | None, limit: int
) -> Page[ExpenditureOut]:
    key = decode_cursor(cursor, (BIG_ID,))
    await _readable(session, project_id, actor)
    rows = await repository.list_expenditures(
        session, project_id, after_id=int(key[0]) if key else None, limit=limit + 1
    )
    return page_of([ExpenditureOut.model_validate(row) for row in rows], limit, lambda item: [item.id])


CSV_HEADER = [
    "번호",
    "사업",
    "예산항목",
    "예산과목",
    "행사",
    "품목",
    "단가(원)",
    "수량",
    "금액(원)",
    "지출일",
    "지급처",
    "증빙",
]


async def export_csv(session: AsyncSession, *, project_id: int, actor: Identity) -> str:
    await _readable(session, project_id, actor)
    lines = {line.id: line.name_ko for line in await projects.lines_of(session, project_id)}
    rows = await repository.list_expenditures(session, project_id, after_id=None, limit=None)
    total = sum(row.amount_krw for row in rows)
    body: list[list[object]] = [
        [
            row.id,
            row.project_id,
            lines.get(row.line_id, row.line_id),
            row.account_code,
            row.event_ko,
            row.item_ko,
            row.unit_price_krw,
            row.quantity,
            row.amount_krw,
            row.spent_on.isoformat(),
            row.payee,
            row.receipt_ref,
        ]
        for row in rows
    ]
    body.append(["계", project_id, None, None, None, None, None, None, total, None, None, None])
    return csv_text(CSV_HEADER, body)


async def summary(session: AsyncSession, project_id: int) -> SpendingSummary:
    """What a project may spend and has spent, per line and per account code: sums in SQL, integers only."""
    project = await load_project(session, project_id)
    lines = await projects.lines_of(session, project_id)
    milestones = await projects.milestones_of(session, project_id)
    accounts = await repository.spent_by_account(session, project_id)
    spent = sum(line.spent_krw for line in lines)
    return SpendingSummary(
        project_id=project.id,
        district_code=project.district_code,
        status=project.status,
        budget_krw=project.budget_krw,
        approved_budget_krw=project.approved_budget_krw,
        spent_krw=spent,
        remaining_krw=project.budget_krw - spent,
        spent_per_mille=spent * 1000 // project.budget_krw if project.budget_krw else 0,
        progress=sum(m.weight for m in milestones if m.status == "done"),
        expenditures=sum(count for _, _, _, count in accounts),
        lines=[
            LineSummary(
                line_id=line.id,
                name_ko=line.name_ko,
                amount_krw=line.amount_krw,
                spent_krw=line.spent_krw,
                remaining_krw=line.amount_krw - line.spent_krw,
            )
            for line in lines
        ],
        accounts=[
            AccountSummary(account_code=code, name_ko=name, spent_krw=total, count=count)
            for code, name, total, count in accounts
        ],
    )

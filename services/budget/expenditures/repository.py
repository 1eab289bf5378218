from collections.abc import Sequence
from typing import Any

from sqlalchemy import RowMapping, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.budget.expenditures.models import AccountCode, Expenditure


async def account_codes(session: AsyncSession) -> Sequence[AccountCode]:
    return (await session.scalars(select(AccountCode).order_by(AccountCode.code))).all()


async def account_code_exists(session: AsyncSession, code: str) -> bool:
    return (await session.get(AccountCode, code)) is not None


_CHARGE_CONTEXT = text(
    "SELECT p.district_code, p.status, l.amount_krw, l.spent_krw,"
    " EXISTS (SELECT 1 FROM budget.account_codes a WHERE a.code = :code) AS known_code,"
    " set_config('budget.actor', :actor, true), set_config('budget.actor_role', :role, true),"
    " set_config('budget.reason', '', true)"
    " FROM budget.projects p JOIN budget.budget_lines l ON l.project_id = p.id AND l.id = :line"
    " WHERE p.id = :project FOR UPDATE OF l"
)


async def charge_context(
    session: AsyncSession, *, project_id: int, line_id: int, account_code: str, actor: str, role: str
) -> RowMapping | None:
    """One round trip for what a charge checks: the project's district and status, the line's amount and
    spent under its row lock (racing charges queue behind it), whether the account code exists; and the
    actor for the audit triggers (as `record_actor`). None when the project has no such line."""
    values = {
        "project": project_id,
        "line": line_id,
        "code": account_code,
        "actor": actor,
        "role": role,
    }
    return (await session.execute(_CHARGE_CONTEXT, values)).mappings().one_or_none()


async def insert_expenditure(session: AsyncSession, values: dict[str, Any]) -> Expenditure:
    statement = insert(Expenditure).values(**values).returning(Expenditure)
    return (await session.scalars(statement)).one()


async def list_expenditures(
    session: AsyncSession, project_id: int, *, after_id: int | None, limit: int | None
) -> Sequence[Expenditure]:
    query = select(Expenditure).where(Expenditure.project_id == project_id).order_by(Expenditure.id)
    if after_id is not None:
        query = query.where(Expenditure.id > after_id)
    if limit is not None:
        query = query.limit(limit)
    return (await session.scalars(query)).all()


async def spent_by_account(session: AsyncSession, project_id: int) -> list[tuple[str, str, int, int]]:
    """(code, name, Σ amount as bigint, count) per account code the project spent on."""
    query = (
        select(
            AccountCode.code,
            AccountCode.name_ko,
            func.sum(Expenditure.amount_krw),
            func.count(Expenditure.id),
        )
        .join(AccountCode, AccountCode.code == Expenditure.account_code)
        .where(Expenditure.project_id == project_id)
        .group_by(AccountCode.code, AccountCode.name_ko)
        .order_by(AccountCode.code)
    )
    return [(code, name, int(total), int(count)) for code, name, total, count in await session.execute(query)]

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.budget.expenditures.models import AccountCode, Expenditure
from services.budget.projects.models import BudgetLine


async def account_codes(session: AsyncSession) -> Sequence[AccountCode]:
    return (await session.scalars(select(AccountCode).order_by(AccountCode.code))).all()


async def account_code_exists(session: AsyncSession, code: str) -> bool:
    return (await session.get(AccountCode, code)) is not None


async def lock_line(session: AsyncSession, project_id: int, line_id: int) -> tuple[int, int] | None:
    """(amount, spent) of the line under its row lock, which racing charges queue behind."""
    query = (
        select(BudgetLine.amount_krw, BudgetLine.spent_krw)
        .where(BudgetLine.id == line_id, BudgetLine.project_id == project_id)
        .with_for_update()
    )
    row = (await session.execute(query)).one_or_none()
    return (int(row[0]), int(row[1])) if row is not None else None


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

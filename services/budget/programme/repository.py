from collections.abc import Sequence
from typing import Any

from sqlalchemy import RowMapping, text
from sqlalchemy.ext.asyncio import AsyncSession


async def list_nodes(session: AsyncSession, fiscal_year: int, *, lock: bool = False) -> Sequence[RowMapping]:
    if lock:  # the root first, as the deferred sum trigger does: batches of one tree are serialised
        await session.execute(
            text(
                "SELECT 1 FROM budget.programme_nodes"
                " WHERE fiscal_year = :y AND parent_code IS NULL FOR UPDATE"
            ),
            {"y": fiscal_year},
        )
    result = await session.execute(
        text(
            "SELECT code, parent_code, name_ko, amount_krw, source FROM budget.programme_nodes"
            " WHERE fiscal_year = :y ORDER BY position"
        ),
        {"y": fiscal_year},
    )
    return result.mappings().all()


async def insert_nodes(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    await session.execute(
        text(
            "INSERT INTO budget.programme_nodes"
            " (fiscal_year, code, parent_code, name_ko, amount_krw, position, source, created_by)"
            " VALUES (:fiscal_year, :code, :parent_code, :name_ko, :amount_krw, :position, :source,"
            " :created_by)"
        ),
        rows,
    )


async def update_amounts(session: AsyncSession, fiscal_year: int, amounts: dict[str, int]) -> None:
    await session.execute(
        text(
            "UPDATE budget.programme_nodes SET amount_krw = :amount WHERE fiscal_year = :y AND code = :code"
        ),
        [{"y": fiscal_year, "code": code, "amount": amount} for code, amount in amounts.items()],
    )

from typing import Any

from sqlalchemy import RowMapping, text
from sqlalchemy.ext.asyncio import AsyncSession

GRANT_COLUMNS = (
    "id, kind, phase, district_code, organization_id, fiscal_year, title_ko, platform_year,"
    " previous_grant_id, amount_krw, city_share_krw, district_share_krw, status, paid_krw, paid_on,"
    " awarded_at, evaluation_result_id,"
    " created_at, created_by"
)


async def get_policy(session: AsyncSession, year: int, kind: str) -> RowMapping | None:
    result = await session.execute(
        text("SELECT * FROM budget.grant_policies WHERE fiscal_year = :year AND kind = :kind"),
        {"year": year, "kind": kind},
    )
    return result.mappings().one_or_none()


async def list_phases(session: AsyncSession, policy_id: int) -> list[RowMapping]:
    result = await session.execute(
        text("SELECT * FROM budget.grant_phases WHERE policy_id = :id ORDER BY id"), {"id": policy_id}
    )
    return list(result.mappings().all())


async def upsert_policy(session: AsyncSession, values: dict[str, Any], phases: list[dict[str, Any]]) -> None:
    names = [name for name in values if name not in ("fiscal_year", "kind")]
    result = await session.execute(
        text(
            f"INSERT INTO budget.grant_policies (fiscal_year, kind, {', '.join(names)})"
            f" VALUES (:fiscal_year, :kind, {', '.join(':' + n for n in names)})"
            " ON CONFLICT (fiscal_year, kind) DO UPDATE SET "
            + ", ".join(f"{n} = excluded.{n}" for n in names if n != "created_by")
            + " RETURNING id"
        ),
        values,
    )
    policy_id = result.scalar_one()
    await session.execute(text("DELETE FROM budget.grant_phases WHERE policy_id = :id"), {"id": policy_id})
    await session.execute(
        text(
            "INSERT INTO budget.grant_phases (policy_id, phase, applications_open_on, application_deadline,"
            " starts_on, ends_on) VALUES (:policy_id, :phase, :applications_open_on, :application_deadline,"
            " :starts_on, :ends_on)"
        ),
        [{**phase, "policy_id": policy_id} for phase in phases],
    )


async def get_grant(session: AsyncSession, grant_id: int, *, lock: bool = False) -> RowMapping | None:
    query = f"SELECT {GRANT_COLUMNS} FROM budget.grants WHERE id = :id" + (" FOR UPDATE" if lock else "")
    return (await session.execute(text(query), {"id": grant_id})).mappings().one_or_none()


async def planning_grant(session: AsyncSession, district: str) -> RowMapping | None:
    result = await session.execute(
        text(
            f"SELECT {GRANT_COLUMNS} FROM budget.grants WHERE district_code = :district"
            " AND kind = 'innovation_plan' AND phase = 'planning' AND status <> 'rejected'"
        ),
        {"district": district},
    )
    return result.mappings().one_or_none()


async def insert_grant(session: AsyncSession, values: dict[str, Any]) -> RowMapping:
    names = list(values)
    result = await session.execute(
        text(
            f"INSERT INTO budget.grants ({', '.join(names)}) VALUES ({', '.join(':' + n for n in names)})"
            f" RETURNING {GRANT_COLUMNS}"
        ),
        values,
    )
    return result.mappings().one()


async def update_grant(session: AsyncSession, grant_id: int, values: dict[str, Any]) -> RowMapping:
    result = await session.execute(
        text(
            f"UPDATE budget.grants SET {', '.join(f'{n} = :{n}' for n in values)} WHERE id = :grant_id"
            f" RETURNING {GRANT_COLUMNS}"
        ),
        {**values, "grant_id": grant_id},
    )
    return result.mappings().one()


async def list_grants(
    session: AsyncSession, *, filters: dict[str, Any], after_id: int | None, limit: int
) -> list[RowMapping]:
    where = ["(CAST(:after_id AS integer) IS NULL OR id > :after_id)"]
    where += [f"{name} = :{name}" for name, value in filters.items() if value is not None]
    result = await session.execute(
        text(
            f"SELECT {GRANT_COLUMNS} FROM budget.grants WHERE {' AND '.join(where)} ORDER BY id LIMIT :limit"
        ),
        {**{k: v for k, v in filters.items() if v is not None}, "after_id": after_id, "limit": limit},
    )
    return list(result.mappings().all())


async def evaluation_result(
    session: AsyncSession, *, event_id: Any = None, grant_id: int | None = None
) -> RowMapping | None:
    column, value = ("event_id", event_id) if event_id is not None else ("grant_id", grant_id)
    result = await session.execute(
        text(f"SELECT * FROM budget.evaluation_results WHERE {column} = :value"), {"value": value}
    )
    return result.mappings().one_or_none()


async def insert_evaluation_result(session: AsyncSession, values: dict[str, Any]) -> RowMapping | None:
    """The stored row, or None when the event (or a result for the grant) was already there."""
    result = await session.execute(
        text(
            "INSERT INTO budget.evaluation_results (event_id, grant_id, cycle_year, category, confirmed_at,"
            " recorded_by) VALUES (:event_id, :grant_id, :cycle_year, :category, :confirmed_at, :recorded_by)"
            " ON CONFLICT DO NOTHING RETURNING *"
        ),
        values,
    )
    return result.mappings().one_or_none()

"""Grant policies per fiscal year and kind: limits, matching ratio, continuation steps, phase windows."""

from datetime import date

from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.budget.common import record_actor
from services.budget.grants import repository
from services.budget.grants.errors import PolicyInvalid, PolicyMissing, WindowClosed
from services.budget.grants.schemas import PHASES_OF, PhaseWindow, PolicyOut, PolicySet
from shared.auth import Identity
from shared.problems import NotFound
from shared.seoul import today_seoul

REQUIRED = {
    "innovation_plan": ("planning_max_krw", "plan_total_krw"),
    "civic_platform": ("yearly_max_krw", "max_years", "increase_percent", "reduce_percent"),
}


class PolicyNotFound(NotFound):
    code = "grant-policy-not-found"
    title = "Grant policy not found"
    title_ko = "보조금 정책을 찾을 수 없음"


def _out(row: RowMapping, phases: list[RowMapping]) -> PolicyOut:
    return PolicyOut(
        **{key: row[key] for key in PolicyOut.model_fields if key != "phases"},
        phases=[PhaseWindow.model_validate({k: p[k] for k in PhaseWindow.model_fields}) for p in phases],
    )


async def get_policy(session: AsyncSession, year: int, kind: str) -> PolicyOut:
    row = await repository.get_policy(session, year, kind)
    if row is None:
        raise PolicyNotFound(
            f"no {kind} policy is set for {year}",
            detail_ko=f"{year}년 {kind} 정책이 없습니다",
            field="path.fiscal_year",
        )
    return _out(row, await repository.list_phases(session, row["id"]))


async def set_policy(
    session: AsyncSession, *, year: int, kind: str, data: PolicySet, actor: Identity
) -> PolicyOut:
    for name in REQUIRED[kind]:
        if getattr(data, name) is None:
            raise PolicyInvalid(
                f"a {kind} policy needs {name}",
                detail_ko=f"{kind} 정책에는 {name} 값이 필요합니다",
                field=f"body.{name}",
            )
    if kind == "innovation_plan" and data.plan_total_krw < data.planning_max_krw:  # type: ignore[operator]
        raise PolicyInvalid(
            f"plan_total_krw {data.plan_total_krw:,} is below planning_max_krw {data.planning_max_krw:,}",
            detail_ko="plan_total_krw는 planning_max_krw 이상이어야 합니다",
            field="body.plan_total_krw",
        )
    seen: set[str] = set()
    for i, window in enumerate(data.phases):
        if window.phase not in PHASES_OF[kind] or window.phase in seen:
            raise PolicyInvalid(
                f"phase {window.phase} is not a phase of {kind} or is given twice; phases: {PHASES_OF[kind]}",
                detail_ko=f"{window.phase} 단계는 {kind}의 단계가 아니거나 중복입니다",
                field=f"body.phases.{i}.phase",
            )
        seen.add(window.phase)
        if window.applications_open_on and window.applications_open_on > window.application_deadline:
            raise PolicyInvalid(
                "applications_open_on is after application_deadline",
                detail_ko="신청 시작일이 마감일보다 늦습니다",
                field=f"body.phases.{i}.applications_open_on",
            )
        if window.starts_on and window.ends_on and window.starts_on > window.ends_on:
            raise PolicyInvalid(
                "starts_on is after ends_on",
                detail_ko="시작일이 종료일보다 늦습니다",
                field=f"body.phases.{i}.ends_on",
            )
    await record_actor(session, actor, data.source)
    values = data.model_dump(exclude={"phases"})
    await repository.upsert_policy(
        session,
        {**values, "fiscal_year": year, "kind": kind, "created_by": actor.subject},
        [window.model_dump() for window in data.phases],
    )
    return await get_policy(session, year, kind)


async def policy_for(session: AsyncSession, year: int, kind: str) -> RowMapping:
    row = await repository.get_policy(session, year, kind)
    if row is None:
        raise PolicyMissing(
            f"no {kind} grant policy is set for {year}; a city officer sets it first",
            detail_ko=f"{year}년 {kind} 보조금 정책이 없습니다. 시 담당자가 먼저 정해야 합니다",
            field="body.fiscal_year",
        )
    return row


def window_open(window: RowMapping, today: date) -> bool:
    """Applications are taken from the opening day to the deadline day, both inclusive, in Seoul."""
    opens = window["applications_open_on"]
    return (opens is None or opens <= today) and today <= window["application_deadline"]


async def ensure_window(session: AsyncSession, policy: RowMapping, phase: str) -> None:
    windows = {w["phase"]: w for w in await repository.list_phases(session, policy["id"])}
    window = windows.get(phase)
    today = today_seoul()
    if window is None:
        raise WindowClosed(
            f"the {policy['fiscal_year']} {policy['kind']} policy has no {phase} phase",
            detail_ko=f"{policy['fiscal_year']}년 {policy['kind']} 정책에 {phase} 단계가 없습니다",
            field="body.phase",
        )
    if not window_open(window, today):
        opens = window["applications_open_on"]
        raise WindowClosed(
            f"{phase} applications for {policy['fiscal_year']} are taken"
            f"{f' from {opens}' if opens else ''} until {window['application_deadline']} (Seoul);"
            f" today in Seoul is {today}",
            detail_ko=f"{policy['fiscal_year']}년 {phase} 신청 기간은"
            f" {window['application_deadline']}까지입니다"
            f" (오늘: {today})",
            field="body.phase",
        )

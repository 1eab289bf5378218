"""Funded projects: created from a published election's selected projects, then followed by their district.

Progress is Σ weight of the done milestones (an integer 0–100). Weights are explicit integers, never inferred:
a project's weights may not pass 100, and progress is reported (a milestone started or done) only once they
sum to exactly 100. A milestone counts fully when done and not at all before (no per-milestone percent).
"""

from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from services.budget.common import record_actor
from services.budget.elections import repository as elections
from services.budget.elections.service import load_election
from services.budget.envelopes import repository as envelopes
from services.budget.projects import repository
from services.budget.projects.errors import (
    ElectionNotPublished,
    ElectionWithoutDistrict,
    FutureDate,
    InvalidProjectTransition,
    LinesDoNotAddUp,
    MilestoneNotFound,
    NotYourDistrict,
    ProgressNotComplete,
    ProjectNotFound,
    UnknownElectionProject,
    WeightsIncomplete,
    WeightsOverHundred,
)
from services.budget.projects.models import Milestone, Project
from services.budget.projects.schemas import (
    LineIn,
    LineOut,
    MilestoneCreate,
    MilestoneOut,
    MilestoneStatusChange,
    ProjectDetail,
    ProjectOut,
    ProjectsCreate,
    ProjectsCreated,
    StatusChange,
)
from shared.auth import Identity
from shared.pagination import ID, Page, decode_cursor, page_of
from shared.seoul import today_seoul

DEFAULT_LINE = "사업비"
PROJECT_FLOW = {
    ("planned", "in_progress"),
    ("planned", "cancelled"),
    ("in_progress", "done"),
    ("in_progress", "cancelled"),
}
MILESTONE_FLOW = {("planned", "in_progress"), ("planned", "done"), ("in_progress", "done")}


async def load_project(session: AsyncSession, project_id: int, *, lock: bool = False) -> Project:
    project = await repository.get_project(session, project_id, lock=lock)
    if project is None:
        raise ProjectNotFound(project_id)
    return project


def ensure_district(actor: Identity, project: Project) -> None:
    """District officers act on their own district's projects only (403 naming the district)."""
    if not actor.can_write_district(project.district_code):
        raise NotYourDistrict(project.id, project.district_code, actor.district_code)


def _whole_krw(cost: Decimal, project_id: str) -> int:
    if cost != cost.to_integral_value() or cost <= 0:
        raise LinesDoNotAddUp(
            f"election project {project_id} costs {cost}, not a positive whole number of KRW",
            detail_ko=f"선거 사업 {project_id}의 사업비 {cost}은(는) 양의 정수 원이 아닙니다",
            field="path.election_id",
        )
    return int(cost)


def _check_lines(project_id: str, lines: list[LineIn], cost: int) -> None:
    total = sum(line.amount_krw for line in lines)
    if total != cost:
        shown = " + ".join(f"{line.amount_krw:,}" for line in lines)
        raise LinesDoNotAddUp(
            f"the lines of project {project_id} add up to {shown} = {total:,} KRW; its cost is {cost:,}",
            detail_ko=f"사업 {project_id}의 예산 항목 합계는 {shown} = {total:,}원이며"
            f" 사업비는 {cost:,}원입니다",
            field=f"body.lines.{project_id}",
        )


async def create_from_election(
    session: AsyncSession, *, election_id: int, data: ProjectsCreate, actor: Identity
) -> ProjectsCreated:
    """One project per selected project of the published outcome; a second call creates nothing more."""
    election = await load_election(session, election_id, lock="update")
    if election.published_at is None or election.published_outcome_id is None:
        raise ElectionNotPublished(
            f"election {election_id} has no published outcome; projects follow publication",
            detail_ko=f"{election_id}번 선거의 결과가 공개되지 않았습니다; 사업은 공개 후에 만들어집니다",
            field="path.election_id",
        )
    envelope = await envelopes.get_envelope(session, election.envelope_id) if election.envelope_id else None
    if envelope is None or envelope.district_code is None:
        raise ElectionWithoutDistrict(
            f"election {election_id} is not the vote of a district's envelope; its projects have no district",
            detail_ko=f"{election_id}번 선거는 자치구 예산의 투표가 아니어서 사업의 자치구가 없습니다",
            field="path.election_id",
        )
    outcome = await repository.outcome(session, election.published_outcome_id)
    selected = list(outcome.selected)
    on_ballot = {p.project_id: p for p in await elections.projects_of(session, election_id)}
    for key in data.lines:
        if key not in selected:
            raise UnknownElectionProject(
                f"{key!r} is not a selected project of election {election_id}",
                detail_ko=f"{key!r}은(는) {election_id}번 선거에서 선정된 사업이 아닙니다",
                field=f"body.lines.{key}",
            )
    await record_actor(session, actor, f"election {election_id}, outcome {outcome.id}")
    created = 0
    for project_id in selected:
        item = on_ballot[project_id]
        cost = _whole_krw(item.cost, project_id)
        lines = data.lines.get(project_id) or [LineIn(name_ko=DEFAULT_LINE, amount_krw=cost)]
        _check_lines(project_id, lines, cost)
        new_id = await repository.insert_project(
            session,
            {
                "election_id": election_id,
                "election_project_id": project_id,
                "outcome_id": outcome.id,
                "proposal_id": item.proposal_id,
                "district_code": envelope.district_code,
                "title_ko": item.name or f"사업 {project_id}",
                "approved_budget_krw": cost,
                "created_by": actor.subject,
            },
        )
        if new_id is None:
            continue
        created += 1
        await repository.insert_lines(
            session,
            [
                {
                    "project_id": new_id,
                    "position": position,
                    "name_ko": line.name_ko,
                    "amount_krw": line.amount_krw,
                    "approved_amount_krw": line.amount_krw,
                }
                for position, line in enumerate(lines, start=1)
            ],
        )
    items = [
        ProjectOut.model_validate(p) for p in await repository.projects_of_election(session, election_id)
    ]
    return ProjectsCreated(created=created, items=items)


async def list_projects(
    session: AsyncSession,
    *,
    cursor: str | None,
    limit: int,
    district_code: str | None,
    election_id: int | None,
    status: str | None,
) -> Page[ProjectOut]:
    key = decode_cursor(cursor, (ID,))
    rows = await repository.list_projects(
        session,
        after_id=int(key[0]) if key else None,
        limit=limit + 1,
        district_code=district_code,
        election_id=election_id,
        status=status,
    )
    return page_of([ProjectOut.model_validate(row) for row in rows], limit, lambda item: [item.id])


async def detail(session: AsyncSession, project_id: int) -> ProjectDetail:
    project = await load_project(session, project_id)
    lines = await repository.lines_of(session, project_id)
    milestones = await repository.milestones_of(session, project_id)
    spent = sum(line.spent_krw for line in lines)
    return ProjectDetail(
        **ProjectOut.model_validate(project).model_dump(),
        spent_krw=spent,
        remaining_krw=project.budget_krw - spent,
        progress=sum(m.weight for m in milestones if m.status == "done"),
        weights_total=sum(m.weight for m in milestones),
        lines=[LineOut.model_validate(line) for line in lines],
        milestones=[MilestoneOut.model_validate(m) for m in milestones],
    )


async def change_status(
    session: AsyncSession, *, project_id: int, data: StatusChange, actor: Identity
) -> ProjectDetail:
    project = await load_project(session, project_id, lock=True)
    ensure_district(actor, project)
    if (project.status, data.status) not in PROJECT_FLOW:
        raise InvalidProjectTransition(
            f"project {project_id} is {project.status}; it cannot become {data.status}",
            detail_ko=f"{project_id}번 사업은 {project.status} 상태이며 {data.status}(으)로 바꿀 수 없습니다",
            field="body.status",
        )
    if data.status == "done":
        milestones = await repository.milestones_of(session, project_id)
        progress = sum(m.weight for m in milestones if m.status == "done")
        if progress != 100:
            raise ProgressNotComplete(
                f"project {project_id} is {progress} % done; it is done at 100 %",
                detail_ko=f"{project_id}번 사업의 진척도는 {progress} %이며 100 %일 때 완료됩니다",
                field="body.status",
            )
    await record_actor(session, actor, data.reason)
    project.status = data.status
    await session.flush()
    return await detail(session, project_id)


async def add_milestone(
    session: AsyncSession, *, project_id: int, data: MilestoneCreate, actor: Identity
) -> MilestoneOut:
    project = await load_project(session, project_id, lock=True)
    ensure_district(actor, project)
    if project.status in ("done", "cancelled"):
        raise InvalidProjectTransition(
            f"project {project_id} is {project.status}; milestones are added before it ends",
            detail_ko=f"{project_id}번 사업은 {project.status} 상태이므로 단계를 추가할 수 없습니다",
            field="path.project_id",
        )
    total = await repository.weights_total(session, project_id)
    if total + data.weight > 100:
        raise WeightsOverHundred(
            f"milestone weights of project {project_id} would sum to {total} + {data.weight} ="
            f" {total + data.weight}, over 100",
            detail_ko=f"{project_id}번 사업의 단계 가중치 합계가 {total} + {data.weight} ="
            f" {total + data.weight}(으)로 100을 넘습니다",
            field="body.weight",
        )
    await record_actor(session, actor)
    milestone = Milestone(**data.model_dump(), project_id=project_id, created_by=actor.subject)
    await repository.add(session, milestone)
    return MilestoneOut.model_validate(milestone)


async def change_milestone(
    session: AsyncSession, *, project_id: int, milestone_id: int, data: MilestoneStatusChange, actor: Identity
) -> ProjectDetail:
    project = await load_project(session, project_id, lock=True)
    ensure_district(actor, project)
    milestone = await repository.get_milestone(session, project_id, milestone_id)
    if milestone is None:
        raise MilestoneNotFound(project_id, milestone_id)
    if (milestone.status, data.status) not in MILESTONE_FLOW:
        raise InvalidProjectTransition(
            f"milestone {milestone_id} is {milestone.status}; it cannot become {data.status}",
            detail_ko=f"{milestone_id}번 단계는 {milestone.status} 상태이며"
            f" {data.status}(으)로 바꿀 수 없습니다",
            field="body.status",
        )
    total = await repository.weights_total(session, project_id)
    if total != 100:
        raise WeightsIncomplete(
            f"milestone weights of project {project_id} sum to {total}, not 100:"
            " progress is reported once they do",
            detail_ko=f"{project_id}번 사업의 단계 가중치 합계가 {total}이며"
            " 100이 되어야 진척을 보고할 수 있습니다",
            field="path.milestone_id",
            extra={"weights_total": total},
        )
    if project.status != "in_progress":
        raise InvalidProjectTransition(
            f"project {project_id} is {project.status}; progress is reported while it is in_progress",
            detail_ko=f"{project_id}번 사업은 {project.status} 상태이며 진행 중일 때만 진척을 보고합니다",
            field="path.project_id",
        )
    today = today_seoul()
    done_on = data.done_on or today if data.status == "done" else None
    if done_on is not None and done_on > today:
        raise FutureDate(
            f"done_on {done_on} is after today in Seoul ({today})",
            detail_ko=f"완료일 {done_on}은(는) 서울 기준 오늘({today}) 이후입니다",
            field="body.done_on",
        )
    await record_actor(session, actor, data.reason)
    milestone.status = data.status
    milestone.done_on = done_on
    await session.flush()
    return await detail(session, project_id)

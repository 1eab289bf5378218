from shared.problems import Conflict, Forbidden, NotFound, RuleViolation


class ProjectNotFound(NotFound):
    code = "project-not-found"
    title = "Project not found"
    title_ko = "사업을 찾을 수 없음"

    def __init__(self, project_id: int, field: str = "path.project_id") -> None:
        super().__init__(
            f"no project has id {project_id}", detail_ko=f"{project_id}번 사업이 없습니다", field=field
        )


class MilestoneNotFound(NotFound):
    code = "milestone-not-found"
    title = "Milestone not found"
    title_ko = "단계를 찾을 수 없음"

    def __init__(self, project_id: int, milestone_id: int) -> None:
        super().__init__(
            f"project {project_id} has no milestone {milestone_id}",
            detail_ko=f"{project_id}번 사업에 {milestone_id}번 단계가 없습니다",
            field="path.milestone_id",
        )


class NotYourDistrict(Forbidden):
    code = "not-your-district"
    title = "Another district's project"
    title_ko = "다른 자치구의 사업"

    def __init__(self, project_id: int, district_code: str, actor_district: str | None) -> None:
        super().__init__(
            f"project {project_id} belongs to district {district_code}; your token is for district"
            f" {actor_district}",
            detail_ko=f"{project_id}번 사업은 {district_code} 자치구의 사업입니다"
            f" (토큰의 자치구: {actor_district})",
            field="path.project_id",
            extra={"district_code": district_code},
        )


class ElectionNotPublished(Conflict):
    code = "election-not-published"
    title = "The election's results are not published"
    title_ko = "선거 결과가 공개되지 않음"


class ElectionWithoutDistrict(RuleViolation):
    code = "election-without-district"
    title = "The election is not a district's"
    title_ko = "자치구 선거가 아님"


class LinesDoNotAddUp(RuleViolation):
    code = "lines-do-not-add-up"
    title = "Budget lines do not add up to the project's cost"
    title_ko = "예산 항목의 합계가 사업비와 다름"


class UnknownElectionProject(RuleViolation):
    code = "unknown-election-project"
    title = "Not a selected project of this election"
    title_ko = "이 선거에서 선정된 사업이 아님"


class InvalidProjectTransition(Conflict):
    code = "invalid-project-transition"
    title = "Not allowed in the project's current state"
    title_ko = "현재 사업 상태에서 허용되지 않음"


class WeightsOverHundred(RuleViolation):
    code = "weights-over-100"
    title = "Milestone weights would sum to more than 100"
    title_ko = "단계 가중치 합계가 100을 넘음"


class WeightsIncomplete(RuleViolation):
    code = "weights-incomplete"
    title = "Milestone weights do not sum to 100"
    title_ko = "단계 가중치 합계가 100이 아님"


class ProgressNotComplete(RuleViolation):
    code = "progress-incomplete"
    title = "The project is not 100 % done"
    title_ko = "사업 진척도가 100 %가 아님"


class FutureDate(RuleViolation):
    code = "date-in-future"
    title = "Date in the future"
    title_ko = "미래 날짜"

from shared.problems import Conflict, NotFound, RuleViolation


class AmendmentNotFound(NotFound):
    code = "amendment-not-found"
    title = "Amendment not found"
    title_ko = "변경 요청을 찾을 수 없음"

    def __init__(self, amendment_id: int) -> None:
        super().__init__(
            f"no amendment has id {amendment_id}",
            detail_ko=f"{amendment_id}번 변경 요청이 없습니다",
            field="path.amendment_id",
        )


class AmendmentOpen(Conflict):
    code = "amendment-open"
    title = "The project has an open amendment"
    title_ko = "처리 중인 변경 요청이 있음"


class InvalidAmendmentTransition(Conflict):
    code = "invalid-amendment-transition"
    title = "Not allowed in the amendment's current state"
    title_ko = "현재 변경 요청 상태에서 허용되지 않음"


class ProjectNotRunning(Conflict):
    code = "project-not-running"
    title = "The project is not running"
    title_ko = "진행 중인 사업이 아님"


class InvalidChanges(RuleViolation):
    code = "invalid-amendment-changes"
    title = "Invalid budget changes"
    title_ko = "잘못된 예산 변경"


class CouncilDecisionRequired(RuleViolation):
    code = "council-decision-required"
    title = "A council decision must be cited"
    title_ko = "협치회의 결정을 인용해야 함"


class BelowSpent(RuleViolation):
    code = "below-spent"
    title = "A line would fall below what is already spent on it"
    title_ko = "예산 항목이 이미 지출한 금액보다 적어짐"


class ReasonRequired(RuleViolation):
    code = "reason-required"
    title = "A rejection needs a reason"
    title_ko = "반려에는 사유가 필요함"

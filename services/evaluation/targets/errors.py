from shared.problems import Conflict, NotFound, RuleViolation


class TargetNotFound(NotFound):
    code = "evaluation-target-not-found"
    title = "Evaluation target not found"
    title_ko = "평가 대상을 찾을 수 없음"

    def __init__(self, target_id: int, field: str = "path.target_id") -> None:
        super().__init__(
            f"no evaluation target has id {target_id}",
            detail_ko=f"id가 {target_id}인 평가 대상이 없습니다.",
            field=field,
        )


class TargetExists(Conflict):
    code = "target-exists"
    title = "Target already exists"
    title_ko = "평가 대상이 이미 있음"


class TargetOpen(Conflict):
    code = "target-open"
    title = "Target is open"
    title_ko = "평가 대상이 열려 있음"


class RoundOpen(Conflict):
    code = "round-open"
    title = "Round is already open"
    title_ko = "평가 회차가 이미 열려 있음"


class WeightsNot100(RuleViolation):
    code = "weights-not-100"
    title = "Weights must sum to 100"
    title_ko = "가중치 합계는 100이어야 함"


class RoundHasNoTargets(RuleViolation):
    code = "round-has-no-targets"
    title = "Round has no targets to open"
    title_ko = "열 평가 대상이 없는 회차"


class WindowsMissing(RuleViolation):
    code = "windows-missing"
    title = "Phase windows missing"
    title_ko = "단계별 기간이 설정되지 않음"

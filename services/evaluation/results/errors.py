from shared.problems import Conflict, NotFound, RuleViolation


class ResultNotFound(NotFound):
    code = "result-not-found"
    title = "Result not found"
    title_ko = "평가 결과를 찾을 수 없음"


class PanelTooSmall(RuleViolation):
    code = "panel-too-small"
    title = "Too few scores for a result"
    title_ko = "평가 점수가 부족함"


class ResultFrozen(Conflict):
    code = "result-frozen"
    title = "Result can no longer be recomputed"
    title_ko = "평가 결과를 다시 산정할 수 없음"


class ResultStatus(Conflict):
    code = "result-status"
    title = "Result is not in the status this needs"
    title_ko = "평가 결과의 상태가 맞지 않음"


class TargetNotOpen(Conflict):
    code = "target-not-open"
    title = "Target is not open yet"
    title_ko = "평가 대상이 아직 열리지 않음"


class AppealExists(Conflict):
    code = "appeal-exists"
    title = "Appeal already made"
    title_ko = "이미 이의를 제기함"


class AppealNotFound(Conflict):
    code = "appeal-not-found"
    title = "No appeal to re-review"
    title_ko = "재심의할 이의 제기가 없음"


class GradeBandsNotSet(Conflict):
    code = "grade-bands-not-set"
    title = "Grade bands not set"
    title_ko = "등급 구간이 설정되지 않음"


class InvalidSettings(RuleViolation):
    code = "invalid-result-settings"
    title = "Invalid aggregation settings"
    title_ko = "잘못된 집계 설정"


class SettingsFrozen(Conflict):
    code = "result-settings-frozen"
    title = "Aggregation settings are frozen"
    title_ko = "집계 설정을 바꿀 수 없음"


class CategoryReason(RuleViolation):
    code = "category-reason"
    title = "A manual category needs a reason"
    title_ko = "직접 정한 등급에는 사유가 필요함"


class RubricNotScorable(RuleViolation):
    code = "rubric-not-scorable"
    title = "Rubric cannot give points"
    title_ko = "평가척도로 점수를 낼 수 없음"

from shared.problems import Conflict, NotFound, RuleViolation


class TargetNotOpen(Conflict):
    code = "target-not-open"
    title = "Target is not open yet"
    title_ko = "평가 대상이 아직 열리지 않음"


class ReportNotFound(NotFound):
    code = "evaluation-report-not-found"
    title = "Report not submitted"
    title_ko = "보고서가 제출되지 않음"


class InvalidSelfScore(RuleViolation):
    code = "invalid-self-score"
    title = "Invalid self-evaluation"
    title_ko = "유효하지 않은 자체평가"

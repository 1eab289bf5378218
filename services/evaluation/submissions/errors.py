from shared.problems import Conflict, NotFound, RuleViolation


class TargetNotOpen(Conflict):
    code = "target-not-open"
    title = "Target is not open yet"


class ReportNotFound(NotFound):
    code = "evaluation-report-not-found"
    title = "Report not submitted"


class InvalidSelfScore(RuleViolation):
    code = "invalid-self-score"
    title = "Invalid self-evaluation"

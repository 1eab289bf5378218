from shared.problems import Conflict, NotFound, RuleViolation


class TargetNotFound(NotFound):
    code = "evaluation-target-not-found"
    title = "Evaluation target not found"

    def __init__(self, target_id: int, field: str = "path.target_id") -> None:
        super().__init__(f"no evaluation target has id {target_id}", field=field)


class TargetExists(Conflict):
    code = "target-exists"
    title = "Target already exists"


class TargetOpen(Conflict):
    code = "target-open"
    title = "Target is open"


class RoundOpen(Conflict):
    code = "round-open"
    title = "Round is already open"


class WeightsNot100(RuleViolation):
    code = "weights-not-100"
    title = "Weights must sum to 100"


class RoundHasNoTargets(RuleViolation):
    code = "round-has-no-targets"
    title = "Round has no targets to open"


class WindowsMissing(RuleViolation):
    code = "windows-missing"
    title = "Phase windows missing"

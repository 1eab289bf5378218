from datetime import date

from services.evaluation.windows.phases import Phase
from shared.problems import Conflict, NotFound, RuleViolation


class WindowNotFound(NotFound):
    code = "window-not-found"
    title = "Phase window not found"

    def __init__(self, cycle_id: int, round: int, phase: Phase) -> None:
        super().__init__(f"round {round} of cycle {cycle_id} has no {phase.value} window", field="path.phase")


class WindowExists(Conflict):
    code = "window-exists"
    title = "Phase window already set"


class WindowNotSet(Conflict):
    """An action whose phase has no window yet: it cannot be inside one."""

    code = "window-not-set"
    title = "Phase window not set"

    def __init__(self, cycle_id: int, round: int, phase: Phase) -> None:
        super().__init__(
            f"round {round} of cycle {cycle_id} has no {phase.value} window yet",
            extra={"phase": phase.value, "round": round},
        )


class OutsideWindow(Conflict):
    code = "outside-window"
    title = "Outside the phase's window"

    def __init__(self, *, round: int, phase: Phase, starts_on: date, ends_on: date, on: date) -> None:
        super().__init__(
            f"the {phase.value} phase of round {round} runs from {starts_on} to {ends_on} (Asia/Seoul dates,"
            f" both included); {on} is outside it",
            extra={
                "phase": phase.value,
                "round": round,
                "starts_on": starts_on.isoformat(),
                "ends_on": ends_on.isoformat(),
                "on": on.isoformat(),
            },
        )


class ExtensionNotLater(RuleViolation):
    code = "extension-not-later"
    title = "An extension must end later"

from datetime import date

from services.evaluation.windows.phases import Phase
from shared.problems import Conflict, NotFound, RuleViolation


class WindowNotFound(NotFound):
    code = "window-not-found"
    title = "Phase window not found"
    title_ko = "단계별 기간을 찾을 수 없음"

    def __init__(self, cycle_id: int, round: int, phase: Phase) -> None:
        super().__init__(
            f"round {round} of cycle {cycle_id} has no {phase.value} window",
            detail_ko=f"주기 {cycle_id}의 {round}회차에는 {phase.value} 단계 기간이 없습니다.",
            field="path.phase",
        )


class WindowExists(Conflict):
    code = "window-exists"
    title = "Phase window already set"
    title_ko = "단계별 기간이 이미 설정됨"


class WindowNotSet(Conflict):
    """An action whose phase has no window yet: it cannot be inside one."""

    code = "window-not-set"
    title = "Phase window not set"
    title_ko = "단계별 기간이 설정되지 않음"

    def __init__(self, cycle_id: int, round: int, phase: Phase) -> None:
        super().__init__(
            f"round {round} of cycle {cycle_id} has no {phase.value} window yet",
            detail_ko=(
                f"주기 {cycle_id}의 {round}회차에는 아직 {phase.value} 단계 기간이 설정되지 않았습니다."
            ),
            extra={"phase": phase.value, "round": round},
        )


class OutsideWindow(Conflict):
    code = "outside-window"
    title = "Outside the phase's window"
    title_ko = "단계별 기간 밖"

    def __init__(self, *, round: int, phase: Phase, starts_on: date, ends_on: date, on: date) -> None:
        super().__init__(
            f"the {phase.value} phase of round {round} runs from {starts_on} to {ends_on} (Asia/Seoul dates,"
            f" both included); {on} is outside it",
            detail_ko=(
                f"{round}회차 {phase.value} 단계 기간은 {starts_on}부터 {ends_on}까지(서울 기준 날짜,"
                f" 양일 포함)이며 {on}은(는) 이 기간에 속하지 않습니다."
            ),
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
    title_ko = "연장 기간은 더 늦게 끝나야 함"

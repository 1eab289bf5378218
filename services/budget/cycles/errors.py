from shared.problems import NotFound


class CycleNotFound(NotFound):
    code = "cycle-not-found"
    title = "Budget cycle not found"
    title_ko = "예산 주기를 찾을 수 없음"

    def __init__(self, cycle_id: int) -> None:
        super().__init__(
            f"no budget cycle has id {cycle_id}",
            detail_ko=f"id가 {cycle_id}인 예산 주기가 없습니다.",
            field="path.cycle_id",
        )

from shared.problems import NotFound


class CycleNotFound(NotFound):
    code = "evaluation-cycle-not-found"
    title = "Evaluation cycle not found"
    title_ko = "평가 주기를 찾을 수 없음"

    def __init__(self, cycle_id: int, field: str = "path.cycle_id") -> None:
        super().__init__(
            f"no evaluation cycle has id {cycle_id}",
            detail_ko=f"id가 {cycle_id}인 평가 주기가 없습니다.",
            field=field,
        )

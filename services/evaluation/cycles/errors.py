from shared.problems import NotFound


class CycleNotFound(NotFound):
    code = "evaluation-cycle-not-found"
    title = "Evaluation cycle not found"

    def __init__(self, cycle_id: int, field: str = "path.cycle_id") -> None:
        super().__init__(f"no evaluation cycle has id {cycle_id}", field=field)

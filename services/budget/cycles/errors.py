from shared.problems import NotFound


class CycleNotFound(NotFound):
    code = "cycle-not-found"
    title = "Budget cycle not found"

    def __init__(self, cycle_id: int) -> None:
        super().__init__(f"no budget cycle has id {cycle_id}", field="path.cycle_id")

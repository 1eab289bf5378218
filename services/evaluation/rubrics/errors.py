from shared.problems import NotFound, RuleViolation


class RubricNotFound(NotFound):
    code = "rubric-not-found"
    title = "Rubric scale not found"

    def __init__(self, rubric_id: int, field: str = "path.rubric_id") -> None:
        super().__init__(f"no rubric scale has id {rubric_id}", field=field)


class InvalidRubric(RuleViolation):
    code = "invalid-rubric"
    title = "Invalid rubric scale"

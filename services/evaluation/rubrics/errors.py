from shared.problems import NotFound, RuleViolation


class RubricNotFound(NotFound):
    code = "rubric-not-found"
    title = "Rubric scale not found"
    title_ko = "평가 척도를 찾을 수 없음"

    def __init__(self, rubric_id: int, field: str = "path.rubric_id") -> None:
        super().__init__(
            f"no rubric scale has id {rubric_id}",
            detail_ko=f"id가 {rubric_id}인 평가 척도가 없습니다.",
            field=field,
        )


class InvalidRubric(RuleViolation):
    code = "invalid-rubric"
    title = "Invalid rubric scale"
    title_ko = "유효하지 않은 평가 척도"

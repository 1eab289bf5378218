from shared.problems import NotFound


class PersonNotFound(NotFound):
    code = "person-not-found"
    title = "Person not found"
    title_ko = "인물을 찾을 수 없음"

    def __init__(self, person_id: int, field: str = "path.person_id") -> None:
        super().__init__(
            f"no person has id {person_id}", detail_ko=f"id가 {person_id}인 인물이 없습니다.", field=field
        )

from shared.problems import NotFound


class PersonNotFound(NotFound):
    code = "person-not-found"
    title = "Person not found"

    def __init__(self, person_id: int, field: str = "path.person_id") -> None:
        super().__init__(f"no person has id {person_id}", field=field)

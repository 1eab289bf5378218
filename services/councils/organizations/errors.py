from shared.problems import NotFound, RuleViolation


class BodyNotFound(NotFound):
    code = "body-not-found"
    title = "Governance body not found"

    def __init__(self, body_id: int, field: str = "path.body_id") -> None:
        super().__init__(f"no governance body has id {body_id}", field=field)


class OrganizationNotFound(NotFound):
    code = "organization-not-found"
    title = "Organization not found"

    def __init__(self, organization_id: int, field: str = "path.organization_id") -> None:
        super().__init__(f"no organization has id {organization_id}", field=field)


class PostNotFound(NotFound):
    code = "post-not-found"
    title = "Post not found"

    def __init__(self, post_id: int, field: str = "path.post_id") -> None:
        super().__init__(f"no post has id {post_id}", field=field)


class UnknownDistrict(RuleViolation):
    code = "unknown-district"
    title = "Unknown district"

    def __init__(self, district_code: str, field: str = "body.district_code") -> None:
        super().__init__(f"no district has code {district_code}", field=field)


class InvalidParent(RuleViolation):
    code = "invalid-parent"
    title = "Invalid parent body"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, field="body.parent_id")

from shared.problems import NotFound, RuleViolation


class BodyNotFound(NotFound):
    code = "body-not-found"
    title = "Governance body not found"
    title_ko = "협치 기구를 찾을 수 없음"

    def __init__(self, body_id: int, field: str = "path.body_id") -> None:
        super().__init__(
            f"no governance body has id {body_id}",
            detail_ko=f"id가 {body_id}인 협치 기구가 없습니다.",
            field=field,
        )


class OrganizationNotFound(NotFound):
    code = "organization-not-found"
    title = "Organization not found"
    title_ko = "기관을 찾을 수 없음"

    def __init__(self, organization_id: int, field: str = "path.organization_id") -> None:
        super().__init__(
            f"no organization has id {organization_id}",
            detail_ko=f"id가 {organization_id}인 기관이 없습니다.",
            field=field,
        )


class PostNotFound(NotFound):
    code = "post-not-found"
    title = "Post not found"
    title_ko = "직위를 찾을 수 없음"

    def __init__(self, post_id: int, field: str = "path.post_id") -> None:
        super().__init__(
            f"no post has id {post_id}", detail_ko=f"id가 {post_id}인 직위가 없습니다.", field=field
        )


class UnknownDistrict(RuleViolation):
    code = "unknown-district"
    title = "Unknown district"
    title_ko = "알 수 없는 자치구"

    def __init__(self, district_code: str, field: str = "body.district_code") -> None:
        super().__init__(
            f"no district has code {district_code}",
            detail_ko=f"코드가 {district_code}인 자치구가 없습니다.",
            field=field,
        )


class InvalidParent(RuleViolation):
    code = "invalid-parent"
    title = "Invalid parent body"
    title_ko = "유효하지 않은 상위 기구"

    def __init__(self, detail: str, *, detail_ko: str) -> None:
        super().__init__(detail, detail_ko=detail_ko, field="body.parent_id")

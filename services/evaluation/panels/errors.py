from shared.problems import Conflict, Forbidden, NotFound, RuleViolation


class PanelMemberNotFound(NotFound):
    code = "panel-member-not-found"
    title = "Panel member not found"
    title_ko = "평가위원을 찾을 수 없음"

    def __init__(self, member_id: int, field: str = "path.member_id") -> None:
        super().__init__(
            f"no panel member has id {member_id}",
            detail_ko=f"평가위원 {member_id}이(가) 없습니다",
            field=field,
        )


class PanelMemberExists(Conflict):
    code = "panel-member-exists"
    title = "Already on the panel"
    title_ko = "이미 평가위원으로 위촉됨"


class PanelMemberInactive(Conflict):
    code = "panel-member-inactive"
    title = "Panel member was replaced"
    title_ko = "교체된 평가위원"


class TieExists(Conflict):
    code = "panel-tie-exists"
    title = "Tie already declared"
    title_ko = "이미 신고된 관계"


class TieNotFound(NotFound):
    code = "panel-tie-not-found"
    title = "Tie not found"
    title_ko = "신고된 관계를 찾을 수 없음"


class InvalidRater(RuleViolation):
    code = "invalid-rater"
    title = "Invalid rater"
    title_ko = "평가위원 정보가 올바르지 않음"


class NotOnPanel(Forbidden):
    code = "not-on-panel"
    title = "Not a member of the target's panel"
    title_ko = "해당 평가대상의 평가위원이 아님"

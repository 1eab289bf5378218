from typing import Any

from shared.problems import Conflict, Forbidden, NotFound, RuleViolation

GROUND_KO = {"exclusion": "제척", "challenge": "기피", "withdrawal": "회피"}


class RecusalNotFound(NotFound):
    code = "recusal-not-found"
    title = "Recusal not found"
    title_ko = "제척·기피·회피 기록을 찾을 수 없음"

    def __init__(self, recusal_id: int) -> None:
        super().__init__(
            f"no recusal has id {recusal_id}",
            detail_ko=f"제척·기피·회피 기록 {recusal_id}이(가) 없습니다",
            field="path.recusal_id",
        )


class RaterRecused(Forbidden):
    """The rater is kept from the target; `ground` is exclusion 제척, challenge 기피 or withdrawal 회피."""

    code = "rater-recused"
    title = "Rater is recused from this target"
    title_ko = "해당 평가대상에서 제척·기피·회피된 평가위원"
    ground = "exclusion"

    def __init__(
        self,
        detail: str | None = None,
        *,
        ground: str | None = None,
        detail_ko: str | None = None,
        field: str | None = "path.target_id",
        **kwargs: Any,
    ) -> None:
        ground = ground or self.ground
        super().__init__(
            detail or f"the rater is recused from this target (ground: {ground})",
            detail_ko=detail_ko or f"평가위원이 이 평가대상에서 {GROUND_KO[ground]}되었습니다",
            field=field,
            extra={"ground": ground, "ground_ko": GROUND_KO[ground]},
            **kwargs,
        )


class RaterExcluded(RaterRecused):
    ground = "exclusion"


class RaterChallengeUpheld(RaterRecused):
    ground = "challenge"


class RaterWithdrew(RaterRecused):
    ground = "withdrawal"


class RaterChallenged(Forbidden):
    code = "rater-challenged"
    title = "Rater is challenged for this target"
    title_ko = "기피 신청이 결정되지 않은 평가위원"

    def __init__(
        self, detail: str | None = None, *, field: str | None = "path.target_id", **kwargs: Any
    ) -> None:
        super().__init__(
            detail or "the rater is challenged (기피) for this target and cannot score until it is decided",
            detail_ko="이 평가대상에 대한 기피 신청이 결정될 때까지 평가할 수 없습니다",
            field=field,
            extra={"ground": "challenge", "ground_ko": GROUND_KO["challenge"]},
            **kwargs,
        )


class RecusalExists(Conflict):
    code = "recusal-exists"
    title = "Already recused or challenged"
    title_ko = "이미 제척·기피·회피 중"


class RecusalDecided(Conflict):
    code = "recusal-decided"
    title = "Challenge already decided"
    title_ko = "이미 결정된 기피 신청"


class ChallengedCannotDecide(Forbidden):
    code = "challenged-cannot-decide"
    title = "The challenged rater cannot decide the challenge"
    title_ko = "기피 신청된 평가위원은 결정할 수 없음"


class InvalidRecusal(RuleViolation):
    code = "invalid-recusal"
    title = "Invalid recusal"
    title_ko = "잘못된 제척·기피·회피 요청"


class InvalidMemberOrganizations(RuleViolation):
    code = "invalid-member-organizations"
    title = "Invalid member organisations"
    title_ko = "잘못된 구성 기관 목록"

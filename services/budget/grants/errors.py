from shared.problems import Conflict, Forbidden, NotFound, RuleViolation


class GrantNotFound(NotFound):
    code = "grant-not-found"
    title = "Grant not found"
    title_ko = "보조금을 찾을 수 없음"

    def __init__(self, grant_id: int, field: str = "path.grant_id") -> None:
        super().__init__(
            f"no grant has id {grant_id}", detail_ko=f"보조금 {grant_id}이(가) 없습니다", field=field
        )


class PolicyMissing(RuleViolation):
    code = "grant-policy-missing"
    title = "No grant policy for the year"
    title_ko = "해당 연도의 보조금 정책 없음"


class PolicyInvalid(RuleViolation):
    code = "grant-policy-invalid"
    title = "Grant policy incomplete"
    title_ko = "보조금 정책이 불완전함"


class WindowClosed(RuleViolation):
    code = "application-window-closed"
    title = "Outside the application window"
    title_ko = "신청 기간이 아님"


class NotInFundingType(RuleViolation):
    code = "innovation-plan-not-in-type"
    title = "The district's funding type has no Community Innovation Plan"
    title_ko = "자치구 지원 유형에 지역사회혁신계획이 없음"


class OverLimit(RuleViolation):
    code = "grant-over-limit"
    title = "Grant over its limit"
    title_ko = "보조금 한도 초과"


class AmountComputed(RuleViolation):
    code = "amount-computed"
    title = "This amount is computed, never given"
    title_ko = "금액은 계산되며 입력할 수 없음"


class AmountRequired(RuleViolation):
    code = "amount-required"
    title = "Amount required"
    title_ko = "금액 필요"


class PreconditionMissing(RuleViolation):
    """A grant that needs an earlier step first (the planning grant paid, a confirmed evaluation result)."""

    code = "grant-precondition-missing"
    title = "An earlier step is missing"
    title_ko = "선행 단계가 없음"


class PlatformStopped(RuleViolation):
    code = "platform-stopped"
    title = "The evaluation stopped the platform"
    title_ko = "평가 결과 지원 중단"


class PlatformYearsExhausted(RuleViolation):
    code = "platform-years-exhausted"
    title = "No further platform year"
    title_ko = "플랫폼 지원 기간 종료"


class SharesDoNotSum(RuleViolation):
    code = "shares-do-not-sum"
    title = "City and district shares do not sum to the grant"
    title_ko = "시비와 구비의 합이 보조금과 다름"


class DistrictShareTooLow(RuleViolation):
    code = "district-share-too-low"
    title = "District share below the required ratio"
    title_ko = "구비 분담 비율 미달"


class InvalidGrantTransition(Conflict):
    code = "invalid-transition"
    title = "Invalid state transition"
    title_ko = "잘못된 상태 전환"


class OtherDistrict(Forbidden):
    code = "other-district"
    title = "Another district's record"
    title_ko = "다른 자치구의 기록"


class EventIdReused(Conflict):
    code = "event-id-reused"
    title = "Event id already used for another result"
    title_ko = "이미 다른 결과에 사용된 이벤트 ID"


class AlreadyEvaluated(Conflict):
    code = "grant-already-evaluated"
    title = "Grant already has an evaluation result"
    title_ko = "이미 평가 결과가 있는 보조금"


class NotAPlatformGrant(RuleViolation):
    code = "not-a-platform-grant"
    title = "Not a Civic Cooperation Platform grant"
    title_ko = "시민협력플랫폼 보조금이 아님"

from shared.problems import NotFound, RuleViolation


class MeetingNotFound(NotFound):
    code = "meeting-not-found"
    title = "Meeting not found"
    title_ko = "회의를 찾을 수 없음"

    def __init__(self, meeting_id: int) -> None:
        super().__init__(
            f"no meeting has id {meeting_id}",
            detail_ko=f"id가 {meeting_id}인 회의가 없습니다.",
            field="path.meeting_id",
        )


class MotionNotFound(NotFound):
    code = "motion-not-found"
    title = "Motion not found"
    title_ko = "안건을 찾을 수 없음"

    def __init__(self, motion_id: int, field: str = "path.motion_id") -> None:
        super().__init__(
            f"no motion has id {motion_id}", detail_ko=f"id가 {motion_id}인 안건이 없습니다.", field=field
        )


class ScheduleNotFound(NotFound):
    code = "schedule-not-found"
    title = "Schedule not found"
    title_ko = "회의 일정을 찾을 수 없음"

    def __init__(self, schedule_id: int) -> None:
        super().__init__(
            f"no meeting schedule has id {schedule_id}",
            detail_ko=f"id가 {schedule_id}인 회의 일정이 없습니다.",
            field="path.schedule_id",
        )


class InvalidMeetingRecord(RuleViolation):
    code = "invalid-meeting-record"
    title = "Invalid meeting record"
    title_ko = "유효하지 않은 회의 기록"


class NotExtraordinary(RuleViolation):
    code = "not-extraordinary"
    title = "Only extraordinary meetings are requested or called"
    title_ko = "임시회의만 요구하거나 소집할 수 있음"


class ExtraordinaryNotScheduled(RuleViolation):
    code = "extraordinary-not-scheduled"
    title = "Extraordinary meetings are not on a regular schedule"
    title_ko = "임시회의는 정기 일정에 포함되지 않음"


class RequesterNotAMember(RuleViolation):
    code = "requester-not-a-member"
    title = "Requester is not a member on the meeting's date"
    title_ko = "요구자가 회의일에 위원이 아님"


class TooFewRequesters(RuleViolation):
    code = "too-few-requesters"
    title = "Too few members requested the extraordinary meeting"
    title_ko = "임시회의를 요구한 위원 수 부족"


class ResolutionRequired(RuleViolation):
    code = "resolution-required"
    title = "An extraordinary plenary needs the steering committee's resolution"
    title_ko = "임시 전체회의에는 운영위원회 의결이 필요함"


class ResolutionNotOfSteeringCommittee(RuleViolation):
    code = "resolution-not-of-steering-committee"
    title = "The resolution is not the steering committee's"
    title_ko = "운영위원회의 의결이 아님"


class ResolutionAfterMeeting(RuleViolation):
    code = "resolution-after-meeting"
    title = "The resolution is dated after the meeting"
    title_ko = "의결일이 회의일보다 늦음"


class ResolutionNotPassed(RuleViolation):
    code = "resolution-not-passed"
    title = "The resolution did not pass"
    title_ko = "의결이 가결되지 않음"

from shared.problems import NotFound, RuleViolation


class MeetingNotFound(NotFound):
    code = "meeting-not-found"
    title = "Meeting not found"

    def __init__(self, meeting_id: int) -> None:
        super().__init__(f"no meeting has id {meeting_id}", field="path.meeting_id")


class MotionNotFound(NotFound):
    code = "motion-not-found"
    title = "Motion not found"

    def __init__(self, motion_id: int, field: str = "path.motion_id") -> None:
        super().__init__(f"no motion has id {motion_id}", field=field)


class ScheduleNotFound(NotFound):
    code = "schedule-not-found"
    title = "Schedule not found"

    def __init__(self, schedule_id: int) -> None:
        super().__init__(f"no meeting schedule has id {schedule_id}", field="path.schedule_id")


class InvalidMeetingRecord(RuleViolation):
    code = "invalid-meeting-record"
    title = "Invalid meeting record"


class NotExtraordinary(RuleViolation):
    code = "not-extraordinary"
    title = "Only extraordinary meetings are requested or called"


class ExtraordinaryNotScheduled(RuleViolation):
    code = "extraordinary-not-scheduled"
    title = "Extraordinary meetings are not on a regular schedule"


class RequesterNotAMember(RuleViolation):
    code = "requester-not-a-member"
    title = "Requester is not a member on the meeting's date"


class TooFewRequesters(RuleViolation):
    code = "too-few-requesters"
    title = "Too few members requested the extraordinary meeting"


class ResolutionRequired(RuleViolation):
    code = "resolution-required"
    title = "An extraordinary plenary needs the steering committee's resolution"


class ResolutionNotOfSteeringCommittee(RuleViolation):
    code = "resolution-not-of-steering-committee"
    title = "The resolution is not the steering committee's"


class ResolutionAfterMeeting(RuleViolation):
    code = "resolution-after-meeting"
    title = "The resolution is dated after the meeting"


class ResolutionNotPassed(RuleViolation):
    code = "resolution-not-passed"
    title = "The resolution did not pass"

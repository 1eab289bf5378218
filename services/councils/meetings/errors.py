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

from shared.problems import Conflict, NotFound


class OutboxEventNotFound(NotFound):
    code = "outbox-event-not-found"
    title = "Outbox event not found"
    title_ko = "전달 이벤트를 찾을 수 없음"


class OutboxEventNotDead(Conflict):
    code = "outbox-event-not-dead"
    title = "Outbox event is not dead"
    title_ko = "전달 실패로 멈춘 이벤트가 아님"

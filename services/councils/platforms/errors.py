from shared.problems import NotFound


class PlatformNotFound(NotFound):
    code = "platform-not-found"
    title = "Civic platform not found"
    title_ko = "시민 플랫폼을 찾을 수 없음"

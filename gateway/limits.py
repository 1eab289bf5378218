"""Request-body limits, enforced before and while a body is relayed.

A method that carries no body (GET, HEAD, DELETE, OPTIONS) may carry none; every other request may carry
at most its route's limit (`GatewaySettings.max_body_bytes`, or a larger one named in
`GatewaySettings.body_limits`, such as the `.pb` import). A declared Content-Length over the limit is
refused before a byte is read; an unsized (chunked) body is counted as it streams and cut at the limit.
"""

from collections.abc import AsyncIterator, Mapping

from gateway.routes import PathTable
from shared.problems import ProblemError

NO_BODY_METHODS = frozenset({"GET", "HEAD", "DELETE", "OPTIONS"})


class BodyTooLarge(ProblemError):
    status, code, title = 413, "payload-too-large", "Content too large"
    title_ko = "요청 본문이 너무 큼"


class BodyNotAllowed(ProblemError):
    status, code, title = 400, "body-not-allowed", "Body not allowed"
    title_ko = "요청 본문을 허용하지 않음"


class BodyLimits:
    def __init__(self, default: int, per_route: Mapping[str, int]) -> None:
        """`per_route` keys are "METHOD /path/{template}", as in the OpenAPI document."""
        self.default = default
        self.routes: list[tuple[str, PathTable, int]] = []
        for key, limit in per_route.items():
            method, _, template = key.partition(" ")
            self.routes.append((method.upper(), PathTable({template: [method]}), limit))

    def limit(self, method: str, path: str) -> int:
        if method in NO_BODY_METHODS:
            return 0
        for route_method, table, limit in self.routes:
            if route_method == method and table.methods(path) is not None:
                return limit
        return self.default

    def refusal(self, method: str, path: str, content_length: int | None) -> ProblemError | None:
        """The problem for a declared length over the limit, or None."""
        if content_length is None or content_length <= (limit := self.limit(method, path)):
            return None
        return too_large(method, limit)


def too_large(method: str, limit: int) -> ProblemError:
    if limit == 0:
        return BodyNotAllowed(
            f"a {method} request carries no body",
            detail_ko=f"{method} 요청에는 본문을 보낼 수 없습니다.",
            field="body",
        )
    return BodyTooLarge(
        f"the body is larger than this route's limit of {limit} bytes",
        detail_ko=f"요청 본문이 이 경로의 한도 {limit}바이트보다 큽니다.",
        field="body",
    )


class CountedBody:
    """An unsized body relayed chunk by chunk; it stops (and says so) once more than `limit` bytes came."""

    def __init__(self, chunks: AsyncIterator[bytes], limit: int) -> None:
        self.chunks = chunks
        self.limit = limit
        self.received = 0
        self.exceeded = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self.chunks:
            self.received += len(chunk)
            if self.received > self.limit:
                self.exceeded = True
                raise BodyTooLarge(
                    f"the body is larger than this route's limit of {self.limit} bytes",
                    detail_ko=f"요청 본문이 이 경로의 한도 {self.limit}바이트보다 큽니다.",
                    field="body",
                )
            yield chunk

"""The explicit route table: which public path prefix goes to which upstream service."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Route:
    prefix: str
    upstream: str

    @property
    def path(self) -> str:
        """The metrics label of everything forwarded by this route."""
        return self.prefix + "*"


ROUTES: tuple[Route, ...] = (
    Route("/councils/", "councils"),
    Route("/budget/", "budget"),
    Route("/evaluation/", "evaluation"),
)


def match(path: str) -> Route | None:
    """The route whose prefix the path starts with; decided on the raw ASGI path, never a rebuilt URL."""
    for route in ROUTES:
        if path.startswith(route.prefix):
            return route
    return None

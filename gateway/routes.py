"""The route table: which public path goes to which upstream service, and with which methods.

Two layers. The prefix says which service a path belongs to. Then the path must be one the service
publishes in its OpenAPI document (`PathTable`, an allow-list): a service's own `/metrics`, `/livez`,
`/readyz`, `/openapi.json` and `/docs` are not under its prefix and are never reachable through the
gateway, however the path is spelled. `canonical_path` refuses every spelling that could make the
gateway and an upstream (or a URL library between them) disagree about which path was asked for.
"""

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from shared.problems import ProblemError


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

HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"})


class PathNotCanonical(ProblemError):
    status, code, title = 400, "path-not-canonical", "Path not canonical"
    title_ko = "경로가 정규 형식이 아님"


# Encoded "/" or "\" (a segment that a later decoder splits), an encoded "%" (double encoding), a raw "\".
_REFUSED_RAW = re.compile(rb"%2f|%5c|%25|\\", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def canonical_path(raw_path: bytes) -> str:
    """The percent-decoded path, or PathNotCanonical for a path that is not in its one plain spelling.

    Refused: dot segments ("." or "..", however encoded: `%2e`, `%2E`, mixed), encoded slashes and
    backslashes, double encoding, control characters, and percent-encodings that are not UTF-8.
    Accepted paths of up to `_REMEMBERED_LENGTH` bytes are remembered (the most recent `_REMEMBERED_PATHS`;
    a refusal never is: it is raised again each time).
    """
    if len(raw_path) <= _REMEMBERED_LENGTH:
        return _remembered_canonical_path(raw_path)
    return _canonical_path(raw_path)


def _canonical_path(raw_path: bytes) -> str:
    if _REFUSED_RAW.search(raw_path):
        raise PathNotCanonical(
            "the path has an encoded slash, backslash or percent sign",
            detail_ko="경로에 인코딩된 슬래시, 백슬래시 또는 퍼센트 기호가 있습니다.",
        )
    try:
        path = unquote(raw_path.decode("ascii"), errors="strict")
    except UnicodeError as exc:
        raise PathNotCanonical(
            "the path is not ASCII with UTF-8 percent-encodings",
            detail_ko="경로가 UTF-8 퍼센트 인코딩을 사용한 ASCII가 아닙니다.",
        ) from exc
    if any(segment in (".", "..") for segment in path.split("/")):
        raise PathNotCanonical(
            "the path has a '.' or '..' segment", detail_ko="경로에 '.' 또는 '..' 세그먼트가 있습니다."
        )
    if _CONTROL.search(path):
        raise PathNotCanonical("the path has a control character", detail_ko="경로에 제어 문자가 있습니다.")
    return path


_REMEMBERED_PATHS = 4096
_REMEMBERED_LENGTH = 256
_remembered_canonical_path = functools.lru_cache(maxsize=_REMEMBERED_PATHS)(_canonical_path)


def match(path: str) -> Route | None:
    """The route whose prefix the (canonical, decoded) path starts with."""
    for route in ROUTES:
        if path.startswith(route.prefix):
            return route
    return None


class PathTable:
    """A service's public paths (OpenAPI templates) and the methods each one declares."""

    def __init__(self, paths: Mapping[str, Iterable[str]]) -> None:
        # Templates by (segment count, third segment: `elections` in /budget/elections/…, None when it is a
        # parameter): a lookup compares a path with a few templates, not with every one of the service's.
        self._by_shape: dict[tuple[int, str | None], list[tuple[tuple[str | None, ...], frozenset[str]]]] = {}
        for template, methods in paths.items():
            # Exactly what the spec declares: FastAPI does not answer HEAD on a GET route (405).
            declared = {method.upper() for method in methods} & HTTP_METHODS
            segments = tuple(
                None if s.startswith("{") and s.endswith("}") else s for s in template.split("/")
            )
            key = (len(segments), segments[2] if len(segments) > 2 else None)
            self._by_shape.setdefault(key, []).append((segments, frozenset(declared)))
        self._remembered: dict[str, frozenset[str] | None] = {}

    @classmethod
    def from_openapi(cls, spec: Mapping[str, Any], prefix: str) -> "PathTable":
        """Only the paths under the service's prefix: the rest of its spec is not public."""
        paths = spec.get("paths", {})
        return cls(
            {
                path: [key for key in item if key.upper() in HTTP_METHODS]
                for path, item in paths.items()
                if isinstance(path, str) and path.startswith(prefix) and isinstance(item, Mapping)
            }
        )

    def methods(self, path: str) -> frozenset[str] | None:
        """The methods the path allows; None when no public path matches it.

        Remembered per path (the table never changes; a refresh builds a new one): a ballot's path is
        matched against ~10 templates (~8 µs) on every request otherwise. Bounded: only paths of up to
        `_REMEMBERED_LENGTH` characters, and all are forgotten once `_REMEMBERED_PATHS` are held.
        """
        if path in self._remembered:
            return self._remembered[path]
        found = self._match(path)
        if len(path) <= _REMEMBERED_LENGTH:
            if len(self._remembered) >= _REMEMBERED_PATHS:
                self._remembered.clear()
            self._remembered[path] = found
        return found

    def _match(self, path: str) -> frozenset[str] | None:
        segments = path.split("/")
        found: set[str] | None = None
        candidates = self._by_shape.get((len(segments), None), [])
        if len(segments) > 2:
            candidates = candidates + self._by_shape.get((len(segments), segments[2]), [])
        for template, methods in candidates:
            if all(
                (expected is None and actual != "") or expected == actual
                for expected, actual in zip(template, segments, strict=True)
            ):
                found = (found or set()) | methods
        return None if found is None else frozenset(found)


class MethodNotAllowed(ProblemError):
    status, code, title = 405, "method-not-allowed", "Method not allowed"
    title_ko = "허용되지 않는 메서드"

"""Body limits at their edges: none on reads, the default elsewhere, a larger one where named."""

from collections.abc import AsyncIterator

import pytest

from gateway.limits import BodyLimits, BodyNotAllowed, BodyTooLarge, CountedBody

LIMITS = BodyLimits(1000, {"POST /budget/elections/import": 5000})


@pytest.mark.parametrize("method", ["GET", "HEAD", "DELETE", "OPTIONS"])
def test_a_method_without_a_body_allows_none(method: str) -> None:
    assert LIMITS.refusal(method, "/budget/cycles", 0) is None
    assert LIMITS.refusal(method, "/budget/cycles", None) is None
    assert isinstance(LIMITS.refusal(method, "/budget/cycles", 1), BodyNotAllowed)


@pytest.mark.parametrize(
    ("method", "path", "limit"),
    [
        ("POST", "/budget/cycles", 1000),
        ("PATCH", "/budget/cycles/1", 1000),
        ("PUT", "/councils/people/1", 1000),
        ("POST", "/budget/elections/import", 5000),
        ("PATCH", "/budget/elections/import", 1000),  # the larger limit is the named method's only
    ],
)
def test_a_declared_length_is_refused_just_above_the_limit(method: str, path: str, limit: int) -> None:
    assert LIMITS.limit(method, path) == limit
    assert LIMITS.refusal(method, path, limit - 1) is None
    assert LIMITS.refusal(method, path, limit) is None
    refusal = LIMITS.refusal(method, path, limit + 1)
    assert isinstance(refusal, BodyTooLarge) and refusal.status == 413 and refusal.code == "payload-too-large"


def test_a_per_route_limit_names_a_template() -> None:
    limits = BodyLimits(10, {"POST /budget/cycles/{cycle_id}/import": 20})
    assert limits.limit("POST", "/budget/cycles/3/import") == 20
    assert limits.limit("POST", "/budget/cycles/3/import/x") == 10


async def _chunks(*sizes: int) -> AsyncIterator[bytes]:
    for size in sizes:
        yield b"a" * size


async def test_an_unsized_body_is_counted_and_cut_just_above_the_limit() -> None:
    within = CountedBody(_chunks(400, 600), 1000)
    assert sum([len(chunk) async for chunk in within]) == 1000 and not within.exceeded
    over = CountedBody(_chunks(400, 601), 1000)
    relayed = []
    with pytest.raises(BodyTooLarge):
        async for chunk in over:
            relayed.append(chunk)
    assert over.exceeded and sum(map(len, relayed)) == 400

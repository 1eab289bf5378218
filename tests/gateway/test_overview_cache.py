"""The overview cache: one fetch for concurrent misses, never kept across a write or with a missing part,
kept for its seconds only; entity tags compared as RFC 9110 says."""

import asyncio

import pytest

from gateway import overview_cache
from gateway.overview_cache import OverviewCache, Rendered, entity_tag, matches


class Upstream:
    def __init__(self, complete: bool = True) -> None:
        self.calls = 0
        self.complete = complete
        self.release = asyncio.Event()

    async def fetch(self) -> Rendered:
        self.calls += 1
        await self.release.wait()
        body = f"answer {self.calls}".encode()
        return Rendered(body, entity_tag(body), self.complete)


async def test_concurrent_misses_share_one_fetch_and_the_answer_is_kept() -> None:
    cache, upstream = OverviewCache(2), Upstream()
    waiting = [asyncio.create_task(cache.get("k", upstream.fetch)) for _ in range(5)]
    await asyncio.sleep(0)
    upstream.release.set()
    answers = await asyncio.gather(*waiting)
    assert upstream.calls == 1 and {a.body for a in answers} == {b"answer 1"}
    assert (await cache.get("k", upstream.fetch)).body == b"answer 1" and upstream.calls == 1


async def test_an_answer_fetched_across_a_write_is_not_kept() -> None:
    cache, upstream = OverviewCache(2), Upstream()
    pending = asyncio.create_task(cache.get("k", upstream.fetch))
    await asyncio.sleep(0)
    cache.invalidate()  # a write went through while the parts were being read
    upstream.release.set()
    assert (await pending).body == b"answer 1"
    assert (await cache.get("k", upstream.fetch)).body == b"answer 2"


async def test_a_write_empties_it_and_incomplete_answers_are_never_kept() -> None:
    cache, upstream = OverviewCache(2), Upstream()
    upstream.release.set()
    await cache.get("k", upstream.fetch)
    cache.invalidate()
    assert (await cache.get("k", upstream.fetch)).body == b"answer 2"
    partial = Upstream(complete=False)
    partial.release.set()
    await cache.get("p", partial.fetch)
    await cache.get("p", partial.fetch)
    assert partial.calls == 2


async def test_kept_for_its_seconds_only(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    monkeypatch.setattr(overview_cache, "_clock", lambda: now[0])
    cache, upstream = OverviewCache(2), Upstream()
    upstream.release.set()
    await cache.get("k", upstream.fetch)
    now[0] = 101.999
    assert (await cache.get("k", upstream.fetch)).body == b"answer 1"
    now[0] = 104.0  # past the stale window too: fetched while the caller waits
    assert (await cache.get("k", upstream.fetch)).body == b"answer 2"
    off = OverviewCache(0)
    await off.get("k", upstream.fetch)
    await off.get("k", upstream.fetch)
    assert upstream.calls == 4


async def test_a_failed_fetch_fails_every_waiter_and_is_not_kept() -> None:
    cache = OverviewCache(2)
    calls = 0

    async def broken() -> Rendered:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0)
        raise RuntimeError("boom")

    results = await asyncio.gather(*(cache.get("k", broken) for _ in range(3)), return_exceptions=True)
    assert all(isinstance(r, RuntimeError) for r in results) and calls == 1
    with pytest.raises(RuntimeError):
        await cache.get("k", broken)
    assert calls == 2


def test_if_none_match() -> None:
    tag = entity_tag(b"x")
    assert tag.startswith('"') and tag.endswith('"') and tag != entity_tag(b"y")
    assert matches(tag, tag) and matches(f'"other", {tag}', tag) and matches(f"W/{tag}", tag)
    assert matches("*", tag)
    assert not matches(None, tag) and not matches('"other"', tag) and not matches("", tag)


async def test_waiters_fetch_themselves_when_the_fetching_caller_goes_away() -> None:
    cache, upstream = OverviewCache(2), Upstream()
    leader = asyncio.create_task(cache.get("k", upstream.fetch))
    await asyncio.sleep(0)
    follower = asyncio.create_task(cache.get("k", upstream.fetch))
    await asyncio.sleep(0)
    leader.cancel()  # the visitor closed the page
    await asyncio.sleep(0)
    upstream.release.set()
    assert (await follower).body == b"answer 2" and leader.cancelled()


async def test_an_expired_answer_is_served_once_more_while_one_refresh_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [100.0]
    monkeypatch.setattr(overview_cache, "_clock", lambda: now[0])
    cache, upstream = OverviewCache(2), Upstream()
    upstream.release.set()
    await cache.get("k", upstream.fetch)
    now[0] = 102.5  # expired, within the stale window: the old answer at once, one refresh behind it
    assert (await cache.get("k", upstream.fetch)).body == b"answer 1"
    assert (await cache.get("k", upstream.fetch)).body == b"answer 1"
    await asyncio.gather(*cache.refreshing)
    assert upstream.calls == 2 and (await cache.get("k", upstream.fetch)).body == b"answer 2"
    now[0] = 200.0  # long past: fetched while the caller waits
    assert (await cache.get("k", upstream.fetch)).body == b"answer 3"

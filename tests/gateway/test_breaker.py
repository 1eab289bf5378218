"""The gateway's circuit breaker, at its edges: threshold, reset period, one trial at a time."""

import pytest

from shared.breaker import CircuitBreaker, State


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_opens_at_the_threshold_not_before(clock: Clock) -> None:
    breaker = CircuitBreaker(3, 10.0, clock)
    for _ in range(2):
        breaker.failed()
        assert breaker.state is State.CLOSED and breaker.allow()
    breaker.failed()
    assert breaker.state is State.OPEN and not breaker.allow()


def test_only_consecutive_failures_count(clock: Clock) -> None:
    breaker = CircuitBreaker(2, 10.0, clock)
    breaker.failed()
    breaker.succeeded()
    breaker.failed()
    assert breaker.state is State.CLOSED
    breaker.failed()
    assert breaker.state is State.OPEN


def test_stays_open_for_the_reset_period_then_lets_one_trial_through(clock: Clock) -> None:
    breaker = CircuitBreaker(1, 10.0, clock)
    breaker.failed()
    clock.now += 9.999
    assert not breaker.allow() and breaker.retry_after() == 1
    clock.now += 0.001
    assert breaker.state is State.HALF_OPEN
    assert breaker.allow()
    assert not breaker.allow(), "a second request while the trial runs"
    breaker.succeeded()
    assert breaker.state is State.CLOSED and breaker.allow() and breaker.allow()


def test_a_failed_trial_opens_again_for_a_full_period(clock: Clock) -> None:
    breaker = CircuitBreaker(1, 10.0, clock)
    breaker.failed()
    clock.now += 10
    assert breaker.allow()
    breaker.failed()
    assert breaker.state is State.OPEN and breaker.retry_after() == 10
    clock.now += 10
    assert breaker.allow()


def test_a_trial_that_ends_without_an_answer_frees_the_slot(clock: Clock) -> None:
    breaker = CircuitBreaker(1, 5.0, clock)
    breaker.failed()
    clock.now += 5
    assert breaker.allow()
    breaker.released()
    assert breaker.allow()


def test_retry_after_is_whole_seconds_rounded_up(clock: Clock) -> None:
    breaker = CircuitBreaker(1, 2.5, clock)
    breaker.failed()
    assert breaker.retry_after() == 3
    clock.now += 2.0
    assert breaker.retry_after() == 1


@pytest.mark.parametrize(("threshold", "reset"), [(0, 1.0), (1, 0.0), (1, -1.0)])
def test_nonsense_settings_are_refused(threshold: int, reset: float) -> None:
    with pytest.raises(ValueError):
        CircuitBreaker(threshold, reset)

"""A circuit breaker per upstream (the gateway's relay, a service's client): after repeated transport
failures, fail fast for a while.

Without it, every request to a service that is down waits for its connect timeout (or, for a
hung one, its read timeout) and holds a gateway connection meanwhile; callers then pile up
behind the dead service. After ``threshold`` consecutive transport failures the breaker
opens: requests get 503 at once, with Retry-After, for ``reset_after`` seconds. Then one
request is let through as a trial (half-open): if it succeeds the breaker closes, if it fails
the breaker opens again. HTTP answers, 5xx included, are the service speaking: only failures
to get an answer (connect errors, timeouts, broken connections) count.
"""

import math
import time
from collections.abc import Callable
from enum import Enum


class State(Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    def __init__(
        self, threshold: int, reset_after: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if threshold < 1 or reset_after <= 0:
            raise ValueError("a breaker needs threshold >= 1 and reset_after > 0")
        self.threshold = threshold
        self.reset_after = reset_after
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_running = False

    @property
    def state(self) -> State:
        if self._opened_at is None:
            return State.CLOSED
        if self._clock() - self._opened_at < self.reset_after:
            return State.OPEN
        return State.HALF_OPEN

    def allow(self) -> bool:
        """Whether a request may go upstream now; in half-open state, only one trial at a time."""
        state = self.state
        if state is State.CLOSED:
            return True
        if state is State.OPEN or self._trial_running:
            return False
        self._trial_running = True
        return True

    def retry_after(self) -> int:
        """Whole seconds until the next trial may go (at least 1)."""
        if self._opened_at is None:
            return 1
        left = self.reset_after - (self._clock() - self._opened_at)
        return max(1, math.ceil(left))

    def succeeded(self) -> None:
        self._failures = 0
        self._opened_at = None
        self._trial_running = False

    def failed(self) -> None:
        self._trial_running = False
        if self._opened_at is not None:
            self._opened_at = self._clock()  # the trial failed: open again for a full period
            return
        self._failures += 1
        if self._failures >= self.threshold:
            self._opened_at = self._clock()

    def released(self) -> None:
        """The request ended without telling whether the upstream works (e.g. the caller left)."""
        self._trial_running = False

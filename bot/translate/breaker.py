"""A circuit breaker per translation backend: closed, open for a cool-down, then half-open.

Google's free page fails for hours at a time; asking it again for every batch of every push
costs each digest the full retry budget before the next backend is tried. After `threshold`
failures in a row the breaker opens and the backend is skipped; after the cool-down it is
probed (half-open): the first answer closes the breaker, the first failure opens it again for
twice as long (capped), so a backend that stays down costs a request or two (those already on
their way) per cool-down, not a run's full retry budget.

Pure state and arithmetic: the clock is passed in, so tests move time by hand.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

# Failures in a row that open the breaker.
THRESHOLD = 3
# The first cool-down, and its cap while the backend keeps failing its probes.
COOL_DOWN = 600.0
MAX_COOL_DOWN = 6 * 3600.0


class State(StrEnum):
    """Where a breaker is."""

    CLOSED = "closed"  # in use
    OPEN = "open"  # skipped until the cool-down ends
    HALF_OPEN = "half-open"  # the cool-down is over: the next request is a probe


@dataclass
class Breaker:
    """The health of one backend, judged on its last requests."""

    threshold: int = THRESHOLD
    cool_down: float = COOL_DOWN
    max_cool_down: float = MAX_COOL_DOWN
    clock: Callable[[], float] = time.monotonic
    failures_in_a_row: int = 0
    opened_at: float | None = None
    current_cool_down: float = 0.0
    last_error: str = ""
    times_opened: int = field(default=0)

    @property
    def state(self) -> State:
        """CLOSED, OPEN (cooling down) or HALF_OPEN (the cool-down is over: probe)."""
        if self.opened_at is None:
            return State.CLOSED
        if self.clock() < self.opened_at + self.current_cool_down:
            return State.OPEN
        return State.HALF_OPEN

    @property
    def retry_in(self) -> float:
        """Seconds until the next probe may go (0 when closed or due)."""
        if self.opened_at is None:
            return 0.0
        return max(0.0, self.opened_at + self.current_cool_down - self.clock())

    def allow(self) -> bool:
        """May a request go now? Closed or half-open (a probe): yes. Open: no."""
        return self.state is not State.OPEN

    def success(self) -> None:
        """A request got an answer: the backend is healthy."""
        self.failures_in_a_row = 0
        self.opened_at = None
        self.current_cool_down = 0.0

    def failure(self, error: str, *, fatal: bool = False) -> None:
        """A request failed; `fatal` (a bad key, a spent quota) opens the breaker at once."""
        self.last_error = error
        self.failures_in_a_row += 1
        if self.state is State.HALF_OPEN:
            # A probe failed: stay away twice as long.
            self._open(min(self.current_cool_down * 2, self.max_cool_down))
        elif self.opened_at is None and (fatal or self.failures_in_a_row >= self.threshold):
            self._open(self.cool_down)

    def _open(self, cool_down: float) -> None:
        self.opened_at = self.clock()
        self.current_cool_down = cool_down
        self.times_opened += 1

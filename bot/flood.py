"""Per-chat flood control for commands and buttons: a sliding window, pure and clock-driven.

A script or a stuck client hammering the bot must not starve everyone else (every reply counts
against Telegram's 30 messages a second for the whole bot). A chat gets `limit` updates per
`window` seconds; the first one over is answered once with a "slow down", the rest are dropped
silently until the window has room again.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from enum import StrEnum

# Pruning stale chats keeps memory flat when many chats each send a little.
PRUNE_ABOVE = 10_000

# /search and the ▶/◀ under its results: each arXiv request waits its turn in one queue shared
# by every chat (3 s apart), so one chat may start at most this many per window. A page served
# from the search cache costs arXiv nothing and is not counted.
SEARCH_LIMIT = 5
SEARCH_WINDOW = 60.0


class Verdict(StrEnum):
    """What to do with one update."""

    ALLOW = "allow"
    WARN = "warn"  # the first over the limit: say "slow down" once
    DROP = "drop"


class FloodGuard:
    """At most `limit` updates per chat in any `window` seconds."""

    def __init__(
        self, limit: int = 30, window: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._seen: dict[int, deque[float]] = {}
        self._warned: dict[int, float] = {}

    def check(self, chat_id: int) -> Verdict:
        """Count one update from `chat_id` and say what to do with it."""
        now = self.clock()
        if len(self._seen) > PRUNE_ABOVE:
            self._prune(now)
        times = self._seen.setdefault(chat_id, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(times) < self.limit:
            times.append(now)
            self._warned.pop(chat_id, None)
            return Verdict.ALLOW
        if chat_id in self._warned:
            return Verdict.DROP
        self._warned[chat_id] = now
        return Verdict.WARN

    def retry_in(self, chat_id: int) -> float:
        """Seconds until the chat may send again."""
        times = self._seen.get(chat_id)
        if not times:
            return 0.0
        return max(times[0] + self.window - self.clock(), 0.0)

    def _prune(self, now: float) -> None:
        stale = [c for c, t in self._seen.items() if not t or t[-1] <= now - self.window]
        for chat_id in stale:
            del self._seen[chat_id]
            self._warned.pop(chat_id, None)


# Button presses and reactions: a reader rating a whole digest (20 papers, 👍 or 👎 and a ⭐ here
# and there) presses more in a minute than anyone types commands, and each press is cheap.
PRESS_LIMIT = 90


def press_quota() -> FloodGuard:
    """The per-chat limit on button presses and reactions (PRESS_LIMIT a minute)."""
    return FloodGuard(limit=PRESS_LIMIT)


def search_quota() -> FloodGuard:
    """The per-chat limit on arXiv searches (SEARCH_LIMIT per SEARCH_WINDOW seconds)."""
    return FloodGuard(limit=SEARCH_LIMIT, window=SEARCH_WINDOW)

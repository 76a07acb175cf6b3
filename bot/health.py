"""Is the bot healthy? Two questions an operator's probe (`/healthz`) can ask at any time.

1. Are updates coming in? In long polling, python-telegram-bot asks getUpdates in a loop, and
   each request returns within its timeout (seconds) even when nobody writes: so "getUpdates
   answered in the last few minutes, and the poller runs" means a user's message would be
   read. A webhook has no such heartbeat (Telegram posts only when someone writes), so there
   the question is whether the webhook server runs.
2. Is the announcement on time? The announcement arXiv should have published by now
   (bot.schedule.expected_announcement) is stored, or arXiv said it would not announce
   (bot.notices: an empty feed), or it is not yet `OVERDUE` past the time the feed should be
   rebuilt. A bot nobody subscribed through expects nothing.

`observe` reads the process and the database; `health_report` is pure.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from telegram.request import HTTPXRequest

from bot.notices import AnnouncementState, DayStatus, feed_ready_at
from bot.push import announcement_now
from storage import papers
from storage.chats import subscribed_categories
from storage.database import Store

# getUpdates returns within its long-polling timeout (10 s as `run_polling` asks, 1 s in tests)
# or its read timeout: three minutes of silence is not a slow network, the poller is stuck.
STALE_POLL = 180.0
# arXiv's feed is sometimes rebuilt an hour or two late; past this, readers miss their digest.
OVERDUE = timedelta(hours=3)

OK = "ok"


class UpdatesWatch:
    """When getUpdates last answered, and whether the bot runs a webhook instead."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.webhook = False
        # The first answer comes within one long-polling timeout: until then, count from now.
        self._last_answer = clock()

    def answered(self) -> None:
        """getUpdates answered (with updates or without)."""
        self._last_answer = self.clock()

    def poll_age(self) -> float:
        """Seconds since getUpdates last answered (or since the bot started)."""
        return self.clock() - self._last_answer

    def request(self) -> HTTPXRequest:
        """The request object for getUpdates: python-telegram-bot's own, as its builder makes
        it (one connection), noting each answer here."""
        return _WatchedRequest(self, connection_pool_size=1)


class _WatchedRequest(HTTPXRequest):
    def __init__(self, watch: UpdatesWatch, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._watch = watch

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        status, payload = await super().do_request(*args, **kwargs)
        if status == 200:  # a 409 Conflict (another bot polling) or a 502 is no heartbeat
            self._watch.answered()
        return status, payload


@dataclass(frozen=True)
class Observed:
    """What the health checks look at, read at one moment."""

    now: datetime
    receiving: bool  # python-telegram-bot's updater (poller or webhook server) runs
    webhook: bool
    poll_age: float
    # None when no chat follows a category: no announcement is expected.
    announcement: AnnouncementState | None
    latest: date | None


@dataclass(frozen=True)
class HealthReport:
    """Each check's verdict: "ok", or what is wrong in a few words; and how updates come."""

    updates: str
    announcement: str
    mode: str = "polling"  # or "webhook"

    @property
    def healthy(self) -> bool:
        return self.updates == OK and self.announcement == OK

    def as_dict(self) -> dict[str, object]:
        """The /healthz body."""
        return {
            "status": "ok" if self.healthy else "failing",
            "mode": self.mode,
            "updates": self.updates,
            "announcement": self.announcement,
        }


def check_updates(seen: Observed) -> str:
    """ "ok" while updates would be read, else why not."""
    if seen.webhook:
        return OK if seen.receiving else "webhook server stopped"
    if not seen.receiving:
        return "polling stopped"
    if seen.poll_age > STALE_POLL:
        return f"getUpdates has not answered for {seen.poll_age:.0f} s"
    return OK


def check_announcement(seen: Observed) -> str:
    """ "ok" unless the expected announcement is more than OVERDUE late."""
    state = seen.announcement
    if state is None or state.status is not DayStatus.DELAYED:
        return OK
    late = seen.now - feed_ready_at(state.expected)
    if late <= OVERDUE:
        return OK
    latest = seen.latest.isoformat() if seen.latest else "none"
    hours = late.total_seconds() / 3600
    return f"announcement of {state.expected} overdue by {hours:.1f} h (latest stored: {latest})"


def health_report(seen: Observed) -> HealthReport:
    """Both checks."""
    return HealthReport(
        updates=check_updates(seen),
        announcement=check_announcement(seen),
        mode="webhook" if seen.webhook else "polling",
    )


def observe(store: Store, watch: UpdatesWatch, *, receiving: bool, now: datetime) -> Observed:
    """Read the state the checks need (a few indexed queries)."""
    expecting = bool(subscribed_categories(store))
    return Observed(
        now=now,
        receiving=receiving,
        webhook=watch.webhook,
        poll_age=watch.poll_age(),
        announcement=announcement_now(store, now) if expecting else None,
        latest=papers.latest_announcement(store),
    )

"""When to fetch, and when a chat's digest is due: on its own clock, daylight saving included.

A chat is due when the latest stored announcement is newer than the last one queued for it and
its local delivery time has passed today. Queuing records the announcement for the chat, so a
bot that was down at 09:00 delivers when it comes back, and a chat that changes its time gets
the next announcement at the new time, never the same one twice.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def local_delivery_moment(day: date, delivery_time: str, timezone: str) -> datetime:
    """The aware datetime of `delivery_time` on `day` in `timezone`.

    A time that does not exist on a spring-forward day (02:30) resolves to the same wall time
    one hour later, as zoneinfo's fold rules give; a repeated autumn time takes its first
    occurrence.
    """
    hour, minute = (int(part) for part in delivery_time.split(":"))
    zone = ZoneInfo(timezone)
    naive = datetime.combine(day, time(hour, minute))
    moment = naive.replace(tzinfo=zone, fold=0)
    # Round-trip through UTC to normalise a nonexistent local time into a real instant.
    return moment.astimezone(ZoneInfo("UTC")).astimezone(zone)


def time_has_come(now: datetime, timezone: str, delivery_time: str) -> bool:
    """Whether `delivery_time` has passed today in `timezone` (`now` is timezone-aware)."""
    local_now = now.astimezone(ZoneInfo(timezone))
    return local_now >= local_delivery_moment(local_now.date(), delivery_time, timezone)


def is_due(
    now: datetime,
    *,
    timezone: str,
    delivery_time: str,
    last_queued: date | None,
    latest: date | None,
) -> bool:
    """Whether the chat should get the `latest` announcement now (`now` is timezone-aware)."""
    if latest is None or (last_queued is not None and last_queued >= latest):
        return False
    return time_has_come(now, timezone, delivery_time)


# arXiv announces Sunday to Thursday at 20:00 US Eastern; the RSS feed is rebuilt around midnight
# Eastern with the next day's date (Tuesday's feed carries Monday evening's announcement), so a
# new feed is expected shortly after 00:00 Eastern, Monday to Friday.
ARXIV_ZONE = ZoneInfo("America/New_York")
FEED_READY = time(0, 10)
# Keep polling a missing announcement this long (then it was a holiday), with backoff.
POLL_WINDOW = timedelta(hours=12)
POLL_BASE = timedelta(minutes=10)
POLL_MAX = timedelta(hours=1)
# After the window, look once in a while in case arXiv announced very late.
LATE_POLL = timedelta(hours=4)


def expected_announcement(now: datetime) -> date:
    """The date of the newest feed that should exist by `now` (a weekday, Eastern time)."""
    eastern = now.astimezone(ARXIV_ZONE)
    day = eastern.date()
    for back in range(8):
        candidate = day - timedelta(days=back)
        ready = datetime.combine(candidate, FEED_READY, ARXIV_ZONE)
        if candidate.weekday() < 5 and ready <= eastern:
            return candidate
    raise AssertionError("a weekday exists in every 8 days")


def should_fetch(
    now: datetime,
    *,
    latest: date | None,
    last_attempt: datetime | None,
    failures: int,
    new_categories: bool = False,
) -> bool:
    """Whether the fetch job should ask arXiv now.

    Yes at once for a category nobody had fetched; otherwise only while the expected
    announcement is missing, every 10 minutes doubling to an hour after failures or empty
    feeds, for 12 hours (holidays and unplanned gaps are recognised from the feed itself:
    it stays empty or keeps its date), then every 4 hours. No fetch storms, no polling on
    days arXiv is quiet.
    """
    if new_categories or last_attempt is None:
        return True
    expected = expected_announcement(now)
    if latest is not None and latest >= expected:
        return False
    since = now - last_attempt
    ready = datetime.combine(expected, FEED_READY, ARXIV_ZONE)
    if now - ready > POLL_WINDOW:
        return since >= LATE_POLL
    return since >= min(POLL_BASE * 2 ** min(failures, 6), POLL_MAX)

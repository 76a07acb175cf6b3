"""When a chat's digest is due: its own clock, in its own time zone, daylight saving included.

A chat is due when the latest stored announcement is newer than the last one queued for it and
its local delivery time has passed today. Queuing records the announcement for the chat, so a
bot that was down at 09:00 delivers when it comes back, and a chat that changes its time gets
the next announcement at the new time, never the same one twice.
"""

from __future__ import annotations

from datetime import date, datetime, time
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
    local_now = now.astimezone(ZoneInfo(timezone))
    return local_now >= local_delivery_moment(local_now.date(), delivery_time, timezone)

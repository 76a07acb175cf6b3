"""Days without a digest: was it a quiet day at arXiv, or is today's digest late?

The daily push says nothing when there is nothing to say, but silence is ambiguous: a reader
whose digest does not come cannot tell a holiday from a broken bot. So, per expected
announcement (bot.schedule.expected_announcement):

- `QUIET`: arXiv did not announce. The feed itself says so (an empty feed fetched after the
  announcement was due), or the feed kept its old date for the whole polling window. Chats that
  asked for it ("tell me when arXiv did not announce") get a one-line note; so does a chat that
  was told the digest was delayed, so the story has an end.
- `DELAYED`: the announcement should be here by now (an hour of grace after the feed is rebuilt)
  but is not: fetches fail, or arXiv is late. Every chat whose delivery time has passed gets one
  short "today's digest is delayed" note instead of silence; the digest follows when it comes.
- `WAITING`: not due yet; `ANNOUNCED`: stored, the normal digest handles it.

Everything here is pure; bot.push reads the store and queues the notes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from bot.schedule import (
    ARXIV_ZONE,
    FEED_READY,
    POLL_WINDOW,
    expected_announcement,
    time_has_come,
)

# How late the feed may be before readers hear about it: arXiv's rebuild sometimes runs late,
# and the fetch job polls every 10 minutes at first.
DELAY_GRACE = timedelta(hours=1)


class DayStatus(StrEnum):
    """What the bot knows about the expected announcement."""

    ANNOUNCED = "announced"
    WAITING = "waiting"
    DELAYED = "delayed"
    QUIET = "quiet"


class Notice(StrEnum):
    """The one-line notes a chat can get instead of a digest."""

    DELAYED = "delayed"
    QUIET = "quiet"


@dataclass(frozen=True)
class AnnouncementState:
    """The expected announcement's date and status."""

    expected: date
    status: DayStatus


def feed_ready_at(day: date) -> datetime:
    """When the feed dated `day` should exist (shortly after midnight Eastern)."""
    return datetime.combine(day, FEED_READY, ARXIV_ZONE)


def announcement_state(
    now: datetime,
    *,
    latest: date | None,
    empty_since_ready: bool,
    fetched_since_ready: bool,
) -> AnnouncementState:
    """The status of the announcement expected by `now` (aware).

    `empty_since_ready`: a fetch after the feed was due found it empty (no announcement).
    `fetched_since_ready`: a fetch after the feed was due got an answer from arXiv at all
    (not an error), so "same date for the whole window" means arXiv, not us.
    """
    expected = expected_announcement(now)
    if latest is not None and latest >= expected:
        return AnnouncementState(expected, DayStatus.ANNOUNCED)
    late = now - feed_ready_at(expected)
    if empty_since_ready or (fetched_since_ready and late >= POLL_WINDOW):
        return AnnouncementState(expected, DayStatus.QUIET)
    if late >= DELAY_GRACE:
        return AnnouncementState(expected, DayStatus.DELAYED)
    return AnnouncementState(expected, DayStatus.WAITING)


def notice_due(
    now: datetime,
    state: AnnouncementState,
    *,
    timezone: str,
    delivery_time: str,
    last_queued: date | None,
    told_for: date | None,
    told: Notice | None,
    wants_quiet_notes: bool,
) -> Notice | None:
    """Which note (if any) a chat should get now about `state.expected`.

    Only once the chat's own delivery time has passed today (a note before the digest would
    have come is noise), never for an announcement it already received, and at most one note
    of each kind per announcement.
    """
    if state.status not in (DayStatus.DELAYED, DayStatus.QUIET):
        return None
    if last_queued is not None and last_queued >= state.expected:
        return None
    if not time_has_come(now, timezone, delivery_time):
        return None
    already = told if told_for == state.expected else None
    if state.status is DayStatus.DELAYED:
        return Notice.DELAYED if already is None else None
    if already is Notice.QUIET:
        return None
    if wants_quiet_notes or already is Notice.DELAYED:
        return Notice.QUIET
    return None

"""Days without a digest: quiet days at arXiv and late announcements, decided purely."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.notices import (
    DELAY_GRACE,
    AnnouncementState,
    DayStatus,
    Notice,
    announcement_state,
    feed_ready_at,
    notice_due,
)
from bot.schedule import POLL_WINDOW

# Thanksgiving 2026 (Thursday 26 November): no announcement that evening, so the feed dated
# Friday 27 November is empty.
HOLIDAY = date(2026, 11, 27)
READY = feed_ready_at(HOLIDAY)  # 00:10 Eastern = 05:10 UTC
WEDNESDAY = date(2026, 11, 25)


def state(now: datetime, **kwargs: object) -> AnnouncementState:
    values: dict[object, object] = {
        "latest": date(2026, 11, 26),
        "empty_since_ready": False,
        "fetched_since_ready": False,
    }
    values.update(kwargs)
    return announcement_state(now, **values)  # type: ignore[arg-type]


def test_feed_ready_is_ten_past_midnight_eastern() -> None:
    assert READY.astimezone(UTC) == datetime(2026, 11, 27, 5, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "kwargs", "status"),
    [
        # Stored already: the normal digest handles it.
        (READY + timedelta(hours=3), {"latest": HOLIDAY}, DayStatus.ANNOUNCED),
        # Due, but within the grace: say nothing yet.
        (READY + DELAY_GRACE - timedelta(minutes=1), {}, DayStatus.WAITING),
        # Past the grace and nothing came: late.
        (READY + DELAY_GRACE, {}, DayStatus.DELAYED),
        # Fetches failing do not make it quiet, however long.
        (READY + POLL_WINDOW * 2, {}, DayStatus.DELAYED),
        # The feed itself says no announcement: quiet at once.
        (READY + timedelta(minutes=5), {"empty_since_ready": True}, DayStatus.QUIET),
        # arXiv answered but kept the old date all window: quiet.
        (READY + POLL_WINDOW, {"fetched_since_ready": True}, DayStatus.QUIET),
        (
            READY + POLL_WINDOW - timedelta(minutes=1),
            {"fetched_since_ready": True},
            DayStatus.DELAYED,
        ),
        # A bot with nothing stored yet is late too, not quiet.
        (READY + timedelta(hours=2), {"latest": None}, DayStatus.DELAYED),
    ],
)
def test_announcement_state(now: datetime, kwargs: dict[str, object], status: DayStatus) -> None:
    result = state(now, **kwargs)
    assert result.status is status
    assert result.expected == HOLIDAY


def test_weekends_expect_fridays_announcement_and_say_nothing() -> None:
    saturday_noon = datetime(2026, 11, 28, 17, 0, tzinfo=UTC)
    result = state(saturday_noon, latest=HOLIDAY)
    assert result == AnnouncementState(HOLIDAY, DayStatus.ANNOUNCED)
    # Friday's feed never came (a holiday) and Saturday still expects Friday: quiet, not a
    # new weekend announcement.
    assert state(saturday_noon, empty_since_ready=True).expected == HOLIDAY


def note(
    now: datetime,
    status: DayStatus,
    *,
    tz: str = "Europe/Berlin",
    at: str = "08:00",
    last: date | None = WEDNESDAY,
    told_for: date | None = None,
    told: Notice | None = None,
    wants: bool = False,
) -> Notice | None:
    return notice_due(
        now,
        AnnouncementState(HOLIDAY, status),
        timezone=tz,
        delivery_time=at,
        last_queued=last,
        told_for=told_for,
        told=told,
        wants_quiet_notes=wants,
    )


BERLIN_NINE = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)  # 09:00 in Berlin


def test_a_late_digest_is_announced_once_after_the_chats_own_time() -> None:
    assert note(BERLIN_NINE, DayStatus.DELAYED) is Notice.DELAYED
    assert note(BERLIN_NINE, DayStatus.DELAYED, told_for=HOLIDAY, told=Notice.DELAYED) is None
    # Before 08:00 in Los Angeles nothing would have come anyway: no note.
    assert note(BERLIN_NINE, DayStatus.DELAYED, tz="America/Los_Angeles") is None
    # A note about an older day does not count for this one.
    assert note(BERLIN_NINE, DayStatus.DELAYED, told_for=WEDNESDAY, told=Notice.QUIET) is (
        Notice.DELAYED
    )
    assert note(BERLIN_NINE, DayStatus.WAITING) is None
    assert note(BERLIN_NINE, DayStatus.ANNOUNCED) is None


def test_quiet_days_are_told_to_who_asked_or_who_was_told_delayed() -> None:
    assert note(BERLIN_NINE, DayStatus.QUIET) is None
    assert note(BERLIN_NINE, DayStatus.QUIET, wants=True) is Notice.QUIET
    assert note(BERLIN_NINE, DayStatus.QUIET, told_for=HOLIDAY, told=Notice.DELAYED) is (
        Notice.QUIET
    )
    assert note(BERLIN_NINE, DayStatus.QUIET, wants=True, told_for=HOLIDAY, told=Notice.QUIET) is (
        None
    )


def test_a_chat_that_already_has_the_announcement_gets_no_note() -> None:
    assert note(BERLIN_NINE, DayStatus.DELAYED, last=HOLIDAY) is None
    assert note(BERLIN_NINE, DayStatus.QUIET, last=HOLIDAY, wants=True) is None


def test_a_new_chat_that_never_got_a_digest_hears_about_delays_too() -> None:
    assert note(BERLIN_NINE, DayStatus.DELAYED, last=None) is Notice.DELAYED

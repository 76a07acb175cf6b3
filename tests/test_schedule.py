"""A chat's digest arrives on its own clock: time zones, daylight saving, catch-up, changes."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.schedule import is_due, local_delivery_moment

MAR_26 = date(2024, 3, 26)


def due(
    now: datetime,
    tz: str,
    at: str = "09:00",
    last: date | None = None,
    latest: date | None = MAR_26,
) -> bool:
    return is_due(now, timezone=tz, delivery_time=at, last_queued=last, latest=latest)


@pytest.mark.parametrize(
    ("utc", "tz", "expected"),
    [
        (datetime(2024, 3, 26, 0, 59, tzinfo=UTC), "Asia/Shanghai", False),  # 08:59 local
        (datetime(2024, 3, 26, 1, 0, tzinfo=UTC), "Asia/Shanghai", True),  # 09:00 local
        (datetime(2024, 3, 26, 7, 59, tzinfo=UTC), "Europe/Berlin", False),  # 08:59 CET
        (datetime(2024, 3, 26, 8, 0, tzinfo=UTC), "Europe/Berlin", True),
        (datetime(2024, 3, 26, 12, 59, tzinfo=UTC), "America/New_York", False),  # 08:59 EDT
        (datetime(2024, 3, 26, 13, 0, tzinfo=UTC), "America/New_York", True),
        (datetime(2024, 3, 26, 1, 0, tzinfo=UTC), "Etc/GMT-8", True),  # "+8"
    ],
)
def test_chats_in_several_time_zones(utc: datetime, tz: str, expected: bool) -> None:
    assert due(utc, tz) is expected


def test_daylight_saving_moves_the_utc_instant_not_the_local_time() -> None:
    # Berlin switches to summer time on 31 March 2024: 09:00 is 08:00 UTC before, 07:00 after.
    assert (
        local_delivery_moment(date(2024, 3, 30), "09:00", "Europe/Berlin").utcoffset().seconds
        == 3600
    )  # type: ignore[union-attr]
    before = due(
        datetime(2024, 3, 30, 7, 30, tzinfo=UTC), "Europe/Berlin", latest=date(2024, 3, 30)
    )
    after = due(datetime(2024, 4, 1, 7, 30, tzinfo=UTC), "Europe/Berlin", latest=date(2024, 4, 1))
    assert (before, after) == (False, True)
    # New York's autumn change (3 Nov 2024): 09:00 EST is 14:00 UTC.
    assert not due(
        datetime(2024, 11, 4, 13, 30, tzinfo=UTC), "America/New_York", latest=date(2024, 11, 4)
    )
    assert due(
        datetime(2024, 11, 4, 14, 0, tzinfo=UTC), "America/New_York", latest=date(2024, 11, 4)
    )


def test_a_delivery_time_that_does_not_exist_on_the_spring_day_still_happens() -> None:
    moment = local_delivery_moment(date(2024, 3, 31), "02:30", "Europe/Berlin")
    assert (moment.hour, moment.minute) == (3, 30)
    assert due(
        datetime(2024, 3, 31, 1, 30, tzinfo=UTC),
        "Europe/Berlin",
        at="02:30",
        latest=date(2024, 3, 31),
    )


def test_missed_delivery_is_caught_up_and_never_repeated() -> None:
    late = datetime(2024, 3, 26, 6, 0, tzinfo=UTC)  # 14:00 in Shanghai: the bot was down at 09:00
    assert due(late, "Asia/Shanghai")
    assert not due(late, "Asia/Shanghai", last=MAR_26)  # queued once: never again


def test_a_time_change_gets_the_next_announcement_not_the_same_one_twice() -> None:
    # Delivered at 09:00, then the chat moves its time to 10:00 the same day.
    assert not due(
        datetime(2024, 3, 26, 2, 0, tzinfo=UTC), "Asia/Shanghai", at="10:00", last=MAR_26
    )
    assert due(
        datetime(2024, 3, 27, 2, 0, tzinfo=UTC),
        "Asia/Shanghai",
        at="10:00",
        last=MAR_26,
        latest=date(2024, 3, 27),
    )


def test_nothing_announced_yet_is_never_due() -> None:
    assert not due(datetime(2024, 3, 26, 12, 0, tzinfo=UTC), "UTC", latest=None)


ET_MIDNIGHT_TUE = datetime(2024, 3, 26, 4, 10, tzinfo=UTC)  # 00:10 EDT, Tuesday


def test_expected_announcement_follows_arxivs_week() -> None:
    from bot.schedule import expected_announcement

    assert expected_announcement(ET_MIDNIGHT_TUE) == date(2024, 3, 26)
    assert expected_announcement(datetime(2024, 3, 26, 4, 0, tzinfo=UTC)) == date(2024, 3, 25)
    # Saturday and Sunday have no new feed: Friday's stays the newest.
    assert expected_announcement(datetime(2024, 3, 30, 12, 0, tzinfo=UTC)) == date(2024, 3, 29)
    assert expected_announcement(datetime(2024, 3, 31, 23, 0, tzinfo=UTC)) == date(2024, 3, 29)


def test_fetch_only_while_the_expected_announcement_is_missing_with_backoff() -> None:
    from datetime import timedelta

    from bot.schedule import should_fetch

    have = date(2024, 3, 26)
    now = ET_MIDNIGHT_TUE + timedelta(hours=1)
    # Already stored: nothing to do, however long ago the last fetch was.
    assert not should_fetch(now, latest=have, last_attempt=now - timedelta(hours=9), failures=0)
    # Missing: poll every 10 minutes, backing off after failures or empty feeds, capped at 1 h.
    missing = date(2024, 3, 25)
    assert should_fetch(now, latest=missing, last_attempt=now - timedelta(minutes=10), failures=0)
    assert not should_fetch(
        now, latest=missing, last_attempt=now - timedelta(minutes=9), failures=0
    )
    assert not should_fetch(
        now, latest=missing, last_attempt=now - timedelta(minutes=30), failures=2
    )
    assert should_fetch(now, latest=missing, last_attempt=now - timedelta(minutes=40), failures=2)
    assert should_fetch(now, latest=missing, last_attempt=now - timedelta(hours=1), failures=50)
    # A holiday: after the 12-hour window, only every 4 hours.
    late = ET_MIDNIGHT_TUE + timedelta(hours=13)
    assert not should_fetch(
        late, latest=missing, last_attempt=late - timedelta(hours=2), failures=9
    )
    assert should_fetch(late, latest=missing, last_attempt=late - timedelta(hours=4), failures=9)
    # On start (never fetched) and for a newly subscribed category: at once.
    assert should_fetch(now, latest=have, last_attempt=None, failures=0)
    assert should_fetch(now, latest=have, last_attempt=now, failures=0, new_categories=True)


def test_no_polling_over_the_weekend() -> None:
    from datetime import timedelta

    from bot.schedule import should_fetch

    saturday = datetime(2024, 3, 30, 15, 0, tzinfo=UTC)
    friday = date(2024, 3, 29)
    assert not should_fetch(
        saturday, latest=friday, last_attempt=saturday - timedelta(days=1), failures=0
    )

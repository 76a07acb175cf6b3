"""Late and missing announcements, and the admins' alerts, through the real library.

Dates are the real ones: the expected announcement is the one due by now, and "now" for the
queue is two hours after its feed was due, so the fetch log's real timestamps line up.
"""

from __future__ import annotations

import asyncio
import re
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

from bot.alerts import DELIVERY_SAMPLE, FETCH_ERRORS, Health, assess, update_alerts
from bot.ingest import fetch_and_store
from bot.notices import feed_ready_at
from bot.push import queue_due_digests
from bot.schedule import ARXIV_ZONE, expected_announcement
from bot.sender import SendLimits, drain_outbox
from storage import alerts, chats, outbox
from tests.conftest import RunningBot

pytestmark = pytest.mark.drain_by_hand

STAT = (Path(__file__).parent / "fixtures" / "rss-current-stat.xml").read_bytes()
FIXTURE_DATE = b"Tue, 17 Mar 2026 00:00:00 -0400"
FAST = SendLimits().scaled(0.05)
ADMIN = 999  # the running_bot fixture's ADMIN_IDS


def expected_now() -> tuple[Any, datetime]:
    """The announcement due by now, and a moment two hours after its feed was due."""
    expected = expected_announcement(datetime.now(UTC))
    return expected, feed_ready_at(expected) + timedelta(hours=2)


def feed_dated(day: Any, *, empty: bool = False) -> bytes:
    """The stat fixture as if announced on `day` (or an empty feed of that day)."""
    stamp = format_datetime(datetime.combine(day, datetime.min.time(), ARXIV_ZONE)).encode()
    body = STAT.replace(FIXTURE_DATE, stamp)
    return body.split(b"<item>", 1)[0] + b"</channel></rss>" if empty else body


def add_chat(bot: RunningBot, chat_id: int, *, quiet_notes: bool = False) -> None:
    chats.ensure_chat(bot.store, chat_id, language="en", timezone="UTC", delivery_time="00:00")
    chats.add_subscriptions(bot.store, chat_id, [chats.Subscription("category", "stat.ML")])
    chats.update_chat(bot.store, chat_id, notify_no_announcement=quiet_notes)


async def push(bot: RunningBot, now: datetime) -> int:
    services = bot.application.bot_data["services"]
    queued = await queue_due_digests(bot.store, services.translator, now)
    await drain_outbox(bot.application.bot, bot.store, limits=FAST, budget=10)
    return queued


async def tick(bot: RunningBot) -> None:
    """The minute tick, then a drain of what it queued (alerts go through the outbox too)."""
    from bot.app import _delivery_tick

    await _delivery_tick(bot.job_context())
    await drain_outbox(bot.application.bot, bot.store, limits=FAST, budget=5)


def add_admin(bot: RunningBot) -> None:
    """The admin opened a chat with the bot (Telegram lets a bot write only to those)."""
    chats.ensure_chat(bot.store, ADMIN, language="en", timezone="UTC", delivery_time="09:00")


def texts(bot: RunningBot, chat_id: int) -> list[str]:
    return [m["text"] for m in bot.api.sent(chat_id)]


async def test_a_late_announcement_gets_one_delayed_note_then_the_digest(
    running_bot: RunningBot,
) -> None:
    expected, now = expected_now()
    add_chat(running_bot, 201)
    add_chat(running_bot, 202, quiet_notes=True)
    running_bot.feeds.route("/rss/stat.ML", b"busy", status=503)
    report = await fetch_and_store(running_bot.settings, running_bot.store, ["stat.ML"], retries=0)
    assert report.status == "error"
    assert await push(running_bot, now) == 2
    for chat_id in (201, 202):
        [note] = texts(running_bot, chat_id)
        assert "delayed" in note
    # Once per announcement, however many ticks pass.
    assert await push(running_bot, now + timedelta(minutes=1)) == 0
    # The feed arrives: the digest follows, and no "quiet" note.
    running_bot.feeds.route("/rss/stat.ML", feed_dated(expected))
    report = await fetch_and_store(running_bot.settings, running_bot.store, ["stat.ML"])
    assert report.status == "ok" and report.announced == expected
    assert await push(running_bot, now + timedelta(minutes=2)) == 2
    for chat_id in (201, 202):
        received = texts(running_bot, chat_id)
        assert len(received) > 2 and "papers" in received[1]
        assert not any("did not announce" in text for text in received)


async def test_a_holiday_is_told_to_who_asked_and_to_who_heard_it_was_late(
    running_bot: RunningBot,
) -> None:
    expected, now = expected_now()
    add_chat(running_bot, 203)  # silence on quiet days (the default)
    add_chat(running_bot, 204, quiet_notes=True)
    running_bot.feeds.route("/rss/stat.ML", feed_dated(expected, empty=True))
    report = await fetch_and_store(running_bot.settings, running_bot.store, ["stat.ML"])
    assert report.status == "empty"
    assert await push(running_bot, now) == 1
    assert texts(running_bot, 203) == []
    [note] = texts(running_bot, 204)
    assert "did not announce" in note and expected.isoformat() in note
    assert await push(running_bot, now + timedelta(hours=1)) == 0
    # A chat that was told "delayed" before the empty feed came hears the end of the story.
    add_chat(running_bot, 205)
    chats.update_chat(
        running_bot.store, 205, notice_for=expected.isoformat(), notice_kind="delayed"
    )
    assert await push(running_bot, now + timedelta(hours=1)) == 1
    assert "did not announce" in texts(running_bot, 205)[0]


async def test_a_chat_in_another_zone_hears_only_after_its_own_time(
    running_bot: RunningBot,
) -> None:
    _expected, now = expected_now()
    add_chat(running_bot, 206)
    local = now.astimezone(ARXIV_ZONE)
    # Its delivery time is an hour after "now" in New York: nothing yet, then the note.
    later = (local + timedelta(hours=1)).strftime("%H:%M")
    chats.update_chat(running_bot.store, 206, timezone="America/New_York", delivery_time=later)
    running_bot.feeds.route("/rss/stat.ML", b"busy", status=503)
    await fetch_and_store(running_bot.settings, running_bot.store, ["stat.ML"], retries=0)
    if local.date() == (local + timedelta(hours=1)).date():
        assert await push(running_bot, now) == 0
    assert await push(running_bot, now + timedelta(hours=1, minutes=1)) == 1
    assert "delayed" in texts(running_bot, 206)[0]


async def test_admins_hear_once_when_fetching_breaks_and_once_when_it_recovers(
    running_bot: RunningBot,
) -> None:

    add_chat(running_bot, 207)
    # An admin who opened a chat with the bot can be alerted.
    chats.ensure_chat(
        running_bot.store, ADMIN, language="en", timezone="UTC", delivery_time="09:00"
    )
    running_bot.feeds.route("/rss/stat.ML", b"busy", status=503)
    for _ in range(FETCH_ERRORS - 1):
        await fetch_and_store(running_bot.settings, running_bot.store, ["stat.ML"], retries=0)
    await tick(running_bot)
    assert texts(running_bot, ADMIN) == []  # two failures: the job retries, nobody is paged
    await fetch_and_store(running_bot.settings, running_bot.store, ["stat.ML"], retries=0)
    for _ in range(3):
        await tick(running_bot)
    [alert] = texts(running_bot, ADMIN)
    assert "fetching arXiv failed 3 times" in alert and "503" in alert
    assert running_bot.settings.telegram_bot_token not in alert
    running_bot.feeds.route("/rss/stat.ML", STAT)
    await fetch_and_store(running_bot.settings, running_bot.store, ["stat.ML"])
    await tick(running_bot)
    await tick(running_bot)
    assert [t for t in texts(running_bot, ADMIN) if "Recovered" in t] == [
        "✅ Recovered: fetching arXiv works again."
    ]


async def test_admins_hear_about_translation_and_delivery_failures(
    running_bot: RunningBot,
) -> None:
    bot, store = running_bot.application.bot, running_bot.store
    for admin in (ADMIN, 998):
        chats.ensure_chat(store, admin, language="en", timezone="UTC", delivery_time="09:00")
    states = assess(
        Health(
            translation_outage="ConnectError, 4 failures in a row",
            delivery_attempts=DELIVERY_SAMPLE,
            delivery_failures=DELIVERY_SAMPLE // 4,
            delivery_errors=("TimedOut",) * 5,
        )
    )
    sent = update_alerts(store, [ADMIN, 998, 997], states)  # 997 never opened a chat
    await drain_outbox(bot, store, limits=FAST, budget=5)
    assert len(sent) == 2 and set(alerts.raised(store)) == {"translation", "delivery"}
    assert "translation is down (ConnectError" in sent[0]
    assert "5 of 20 deliveries failed (25%; TimedOut)" in sent[1]
    assert len(texts(running_bot, ADMIN)) == 2 and len(texts(running_bot, 998)) == 2
    # Still broken: nothing new. Too few deliveries to judge: the delivery alert stays.
    again = assess(Health(translation_outage="still down", delivery_attempts=3))
    assert "delivery" not in again
    assert update_alerts(store, [ADMIN], again) == []
    fine = assess(Health(delivery_attempts=DELIVERY_SAMPLE, delivery_failures=1))
    assert update_alerts(store, [ADMIN], fine) == [
        "✅ Recovered: translation works again.",
        "✅ Recovered: deliveries go through again.",
    ]
    assert alerts.raised(store) == {}
    await drain_outbox(bot, store, limits=FAST, budget=5)
    assert outbox.pending_count(store) == 0
    assert running_bot.api.sent(997) == []


async def test_translation_down_the_digest_goes_out_on_time_with_originals_then_recovers(
    running_bot: RunningBot,
) -> None:
    from bot.config import Settings
    from bot.translate import TranslationService
    from storage.translations import SqliteTranslationCache
    from tests.fakes.translate_server import FakeTranslateServer

    expected, now = expected_now()
    add_admin(running_bot)
    services = running_bot.application.bot_data["services"]
    with FakeTranslateServer() as server:
        server.mode = "error"
        services.translator = TranslationService(
            Settings(translator="google", google_translate_url=server.google_url),
            SqliteTranslationCache(running_bot.store),
            attempts=2,
            backoff=0.01,
            # The backend comes back within the test: probe it again at once, not after the
            # breaker's usual ten minutes.
            cool_down=0.0,
        )
        for chat_id in (211, 212):
            add_chat(running_bot, chat_id)
            chats.update_chat(running_bot.store, chat_id, language="zh-CN")
        # 212's time comes a minute after 211's (both in UTC).
        later = now.astimezone(UTC) + timedelta(minutes=1)
        chats.update_chat(running_bot.store, 212, delivery_time=later.strftime("%H:%M"))
        # Paused while the real-time tick below runs, so only `push` decides when it is due.
        chats.update_chat(running_bot.store, 212, paused=True)
        running_bot.feeds.route("/rss/stat.ML", feed_dated(expected))
        await fetch_and_store(running_bot.settings, running_bot.store, ["stat.ML"])
        assert await push(running_bot, now) == 1
        received = texts(running_bot, 211)
        assert len(received) > 1
        entries = [text for text in received if re.match(r"<b>\d+\. ", text)]
        assert len(entries) > 1
        assert all("翻译暂不可用" in text for text in entries)
        assert not any("译:" in text for text in received)
        await tick(running_bot)
        [alert] = texts(running_bot, ADMIN)
        assert "translation is down" in alert
        # The backend is back: failures were not cached, the next digest is translated.
        server.mode = "ok"
        chats.update_chat(running_bot.store, 212, paused=False)
        assert await push(running_bot, later) == 1
        translated = [t for t in texts(running_bot, 212) if re.match(r"<b>\d+\. ", t)]
        assert translated and all("译:" in text for text in translated)
        await tick(running_bot)
        assert texts(running_bot, ADMIN)[-1] == "✅ Recovered: translation works again."
        services.translator.close()


async def test_the_token_never_reaches_status_alerts_or_stored_errors(
    running_bot: RunningBot,
) -> None:
    from tests.test_bot_subscriptions import ask

    token = running_bot.settings.telegram_bot_token
    expected, now = expected_now()
    add_admin(running_bot)
    add_chat(running_bot, 208)
    # Fetching fails until the admins are paged, then the announcement arrives...
    running_bot.feeds.route("/rss/stat.ML", b"busy", status=503)
    for _ in range(FETCH_ERRORS):
        await fetch_and_store(running_bot.settings, running_bot.store, ["stat.ML"], retries=0)
    await tick(running_bot)
    running_bot.feeds.route("/rss/stat.ML", feed_dated(expected))
    await fetch_and_store(running_bot.settings, running_bot.store, ["stat.ML"])
    # ...and Telegram drops connections mid-request while the digest goes out.
    running_bot.api.faults = ["reset", "reset"]
    assert await push(running_bot, now) == 1
    deadline = time.monotonic() + 60
    while outbox.pending_count(running_bot.store):
        assert time.monotonic() < deadline, "the digest never went out"
        await asyncio.sleep(0.05)  # the retry's backoff
        await drain_outbox(running_bot.application.bot, running_bot.store, limits=FAST, budget=10)
    assert running_bot.api.faults == [] and not outbox.pending_count(running_bot.store)
    status = await ask(running_bot, "/status", chat_id=ADMIN)
    assert "stat.ML" in status["text"] or "2" in status["text"]
    assert texts(running_bot, 208), "the digest arrived once the connection held"
    shown = [m["text"] for m in running_bot.api.sent()]
    stored = [
        str(value)
        for table, column in (("outbox", "error"), ("fetch_log", "error"), ("alerts", "detail"))
        for (value,) in running_bot.store.db.execute(f"SELECT {column} FROM {table}")
    ]
    assert any("503" in text for text in shown)  # the alert and /status say what failed
    assert not [text for text in [*shown, *stored] if token in text or "/bot" in text]

"""Daily pushes through the real library and the fake Bot API: queue, drain, limits, failures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.ingest import fetch_and_store
from bot.push import queue_due_digests
from bot.sender import SendLimits, drain_outbox
from storage import chats, deliveries, outbox
from tests.conftest import RunningBot
from tests.telegram_html import check_telegram_html

pytestmark = pytest.mark.drain_by_hand

STAT = (Path(__file__).parent / "fixtures" / "rss-current-stat.xml").read_bytes()
MORNING = datetime(2026, 3, 17, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
FAST = SendLimits().scaled(0.05)  # Telegram's limits, 20 times faster


async def setup_chats(bot: RunningBot, chat_ids: list[int]) -> None:
    bot.feeds.route("/rss/stat.ML", STAT)
    for chat_id in chat_ids:
        chats.ensure_chat(
            bot.store,
            chat_id,
            language="en",
            timezone="Asia/Shanghai",
            delivery_time="09:00",
            kind="private" if chat_id > 0 else "group",
        )
        chats.add_subscriptions(
            bot.store,
            chat_id,
            [
                chats.Subscription("category", "stat.ML"),
                chats.Subscription("keyword", "conformal prediction", phrase=True),
            ],
        )
    report = await fetch_and_store(bot.settings, bot.store, ["stat.ML"])
    assert report.status == "ok"


def services(bot: RunningBot):  # type: ignore[no-untyped-def]
    return bot.application.bot_data["services"]


async def test_each_chat_gets_its_digest_once_in_order(running_bot: RunningBot) -> None:
    chat_ids = [101, 102, 103]
    await setup_chats(running_bot, chat_ids)
    queued = await queue_due_digests(running_bot.store, services(running_bot).translator, MORNING)
    assert queued == 3
    # Queuing again queues nothing: the announcement is marked for each chat.
    assert (
        await queue_due_digests(running_bot.store, services(running_bot).translator, MORNING) == 0
    )
    report = await drain_outbox(running_bot.application.bot, running_bot.store, limits=FAST)
    assert report.sent == 9 and outbox.pending_count(running_bot.store) == 0
    for chat_id in chat_ids:
        texts = [m["text"] for m in running_bot.api.sent(chat_id)]
        assert len(texts) == 3
        assert "2 papers" in texts[0]
        assert texts[1].startswith("<b>1. ") and texts[2].startswith("<b>2. ")
        assert all(check_telegram_html(t) is None for t in texts)
        assert set(
            deliveries.delivered_versions(running_bot.store, chat_id, ["2603.91001", "2603.91002"])
        ) == {"2603.91001", "2603.91002"}
    # Fair order: every overview went out before any chat's papers.
    order = [int(m["chat_id"]) for m in running_bot.api.sent()]
    first_entries = [i for i, m in enumerate(running_bot.api.sent()) if "<b>1. " in m["text"]]
    assert max(i for i, m in enumerate(running_bot.api.sent()) if "2 papers" in m["text"]) < min(
        first_entries
    )
    assert sorted(set(order)) == chat_ids
    # Nothing is sent twice by another drain.
    again = await drain_outbox(running_bot.application.bot, running_bot.store, budget=1.0)
    assert again.sent == 0


async def test_not_due_before_the_local_time(running_bot: RunningBot) -> None:
    await setup_chats(running_bot, [104])
    early = datetime(2026, 3, 17, 0, 30, tzinfo=UTC)  # 08:30 in Shanghai
    assert await queue_due_digests(running_bot.store, services(running_bot).translator, early) == 0


async def test_blocked_chat_is_marked_inactive_and_its_queue_dropped(
    running_bot: RunningBot,
) -> None:
    await setup_chats(running_bot, [105, 106])
    running_bot.api.blocked.add(105)
    await queue_due_digests(running_bot.store, services(running_bot).translator, MORNING)
    report = await drain_outbox(running_bot.application.bot, running_bot.store, limits=FAST)
    assert report.blocked_chats == 1 and report.sent == 3
    chat = chats.get_chat(running_bot.store, 105)
    assert chat is not None and not chat.active
    assert outbox.pending_count(running_bot.store) == 0


async def test_a_429_storm_waits_and_loses_nothing(running_bot: RunningBot) -> None:
    await setup_chats(running_bot, [107])
    running_bot.api.script = [
        (429, "Too Many Requests: retry after 1", {"retry_after": 1}),
        (429, "Too Many Requests: retry after 1", {"retry_after": 1}),
        (500, "Internal Server Error", {}),
    ]
    await queue_due_digests(running_bot.store, services(running_bot).translator, MORNING)
    report = await drain_outbox(
        running_bot.application.bot, running_bot.store, limits=FAST, budget=20
    )
    # The 5xx left one message for a later retry; drain again once it is due.
    if outbox.pending_count(running_bot.store):
        row = running_bot.store.db.execute(
            "SELECT id FROM outbox WHERE status='pending'"
        ).fetchone()
        running_bot.store.db.execute("UPDATE outbox SET not_before = 0 WHERE id = ?", [row[0]])
        await drain_outbox(running_bot.application.bot, running_bot.store, limits=FAST, budget=5)
    texts = [m["text"] for m in running_bot.api.sent(107)]
    assert len(texts) == 3 and len(set(texts)) == 3
    assert running_bot.api.rate_limited == 2
    assert report.failed == 0


async def test_a_migrated_group_gets_its_digest_at_the_new_id(running_bot: RunningBot) -> None:
    await setup_chats(running_bot, [-500])
    running_bot.api.migrated[-500] = -100500
    await queue_due_digests(running_bot.store, services(running_bot).translator, MORNING)
    await drain_outbox(running_bot.application.bot, running_bot.store, limits=FAST, budget=10)
    assert chats.get_chat(running_bot.store, -500) is None
    moved = chats.get_chat(running_bot.store, -100500)
    assert moved is not None
    assert [s.value for s in chats.subscriptions(running_bot.store, -100500)] == [
        "conformal prediction",
        "stat.ML",
    ] or len(chats.subscriptions(running_bot.store, -100500)) == 2
    assert len(running_bot.api.sent(-100500)) == 3


async def test_jobs_are_named_with_misfire_grace_and_coalescing(running_bot: RunningBot) -> None:
    from bot.app import schedule_jobs

    queue = running_bot.application.job_queue
    schedule_jobs(running_bot.application)
    jobs = {job.name: job for job in queue.jobs()}
    assert set(jobs) >= {"delivery-tick", "fetch"}
    for job in jobs.values():
        assert job.job.misfire_grace_time >= 55 and job.job.coalesce and job.job.max_instances == 1
        job.schedule_removal()


async def test_no_matches_is_silence_unless_the_chat_asked_for_a_note(
    running_bot: RunningBot,
) -> None:
    await setup_chats(running_bot, [108, 109])
    for chat_id in (108, 109):
        chats.add_subscriptions(
            running_bot.store, chat_id, [chats.Subscription("exclude", "conformal")]
        )
    chats.update_chat(running_bot.store, 109, notify_no_matches=True)
    assert (
        await queue_due_digests(running_bot.store, services(running_bot).translator, MORNING) == 2
    )
    await drain_outbox(running_bot.application.bot, running_bot.store, limits=FAST, budget=5)
    assert running_bot.api.sent(108) == []
    note = running_bot.api.sent(109)
    assert len(note) == 1 and "0 papers" in note[0]["text"] and "No new papers" in note[0]["text"]


async def test_the_fetch_job_fetches_new_categories_then_waits_for_the_next_announcement(
    running_bot: RunningBot,
) -> None:
    from bot.app import _fetch_tick

    running_bot.feeds.route("/rss/stat.ML", STAT)
    chats.ensure_chat(running_bot.store, 110, language="en", timezone="UTC", delivery_time="09:00")
    chats.add_subscriptions(running_bot.store, 110, [chats.Subscription("category", "stat.ML")])
    await _fetch_tick(running_bot.job_context())
    assert running_bot.feeds.count("/rss/stat.ML") == 1  # a never-fetched category: at once
    await _fetch_tick(running_bot.job_context())
    # The stored announcement is old (March 2026), so the job polls again only after the backoff.
    assert running_bot.feeds.count("/rss/stat.ML") == 1


async def test_time_zones_daylight_saving_catch_up_and_a_time_change_under_telegrams_limits(
    running_bot: RunningBot,
) -> None:
    from tests.fakes.bot_api import TelegramLimits

    running_bot.api.limits = TelegramLimits(scale=0.05)
    chat_ids = [301, 302, 303, 304]
    await setup_chats(running_bot, chat_ids)
    translator = services(running_bot).translator
    # Berlin springs forward on 31 March 2024: 02:30 does not exist there, so it means 03:30
    # CEST (01:30 UTC). New York is on daylight time since 10 March: 21:00 EDT on the 30th is
    # 01:00 UTC (02:00 in winter). 303 is in Shanghai at 09:00 (01:00 UTC); 304 in Shanghai at
    # 07:00, and the bot was down then: it catches up as soon as it runs.
    chats.update_chat(running_bot.store, 301, timezone="Europe/Berlin", delivery_time="02:30")
    chats.update_chat(running_bot.store, 302, timezone="America/New_York", delivery_time="21:00")
    chats.update_chat(running_bot.store, 304, delivery_time="07:00")
    queued_at: dict[int, datetime] = {}
    for minute in range(0, 3 * 60, 15):
        now = datetime(2024, 3, 31, 0, 0, tzinfo=UTC) + timedelta(minutes=minute)
        before = {c: len(outbox_rows(running_bot, c)) for c in chat_ids}
        await queue_due_digests(running_bot.store, translator, now)
        for chat_id in chat_ids:
            if len(outbox_rows(running_bot, chat_id)) > before[chat_id]:
                assert chat_id not in queued_at, "queued twice"
                queued_at[chat_id] = now
    assert queued_at == {
        304: datetime(2024, 3, 31, 0, 0, tzinfo=UTC),
        302: datetime(2024, 3, 31, 1, 0, tzinfo=UTC),
        303: datetime(2024, 3, 31, 1, 0, tzinfo=UTC),
        301: datetime(2024, 3, 31, 1, 30, tzinfo=UTC),
    }
    # A later time the same day does not bring the same announcement again.
    chats.update_chat(running_bot.store, 303, delivery_time="21:00")
    later = datetime(2024, 3, 31, 14, tzinfo=UTC)
    assert await queue_due_digests(running_bot.store, translator, later) == 0
    report = await drain_outbox(running_bot.application.bot, running_bot.store, limits=FAST)
    assert report.sent == 12 and running_bot.api.rate_limited == 0
    for chat_id in chat_ids:
        assert len(running_bot.api.sent(chat_id)) == 3


def outbox_rows(bot: RunningBot, chat_id: int) -> list[tuple[int]]:
    return bot.store.db.execute("SELECT id FROM outbox WHERE chat_id = ?", [chat_id]).fetchall()


async def test_a_big_push_wakes_the_sender_after_each_batch_not_after_the_last(
    running_bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.push

    monkeypatch.setattr(bot.push, "PUSH_BATCH", 4)  # a thousand, in production
    chat_ids = list(range(201, 211))
    await setup_chats(running_bot, chat_ids)
    queued_when_woken: list[int] = []

    def wake() -> None:
        queued_when_woken.append(outbox.pending_count(running_bot.store))

    queued = await queue_due_digests(
        running_bot.store, services(running_bot).translator, MORNING, queued_some=wake
    )
    assert queued == 10
    # Three messages a chat: woken with the first 4 chats queued, then 8, then all 10.
    assert queued_when_woken == [12, 24, 30]

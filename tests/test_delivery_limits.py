"""The drain against a fake Telegram that enforces Telegram's flood limits and breaks the network.

Time runs 20 times faster on both sides (TelegramLimits.scale, SendLimits.scaled and the
production AIORateLimiter alike), so a push that takes a minute at Telegram's pace takes three
seconds here, and the limits are checked exactly as they would be.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import replace
from datetime import date

import pytest

from bot.sender import Sender, SendLimits, drain_outbox
from storage import chats, outbox
from storage.database import Store, open_store
from storage.outbox import OutboxMessage
from tests.fakes.bot_api import FakeBotApi, FakeBotApiProcess, TelegramLimits, limited_bot

SCALE = 0.05
DAY = date(2026, 11, 20)


@pytest.fixture
def store(tmp_path):  # type: ignore[no-untyped-def]
    return open_store(tmp_path / "bot.sqlite3")


def queue(store: Store, chat_ids: list[int], per_chat: int) -> None:
    for chat_id in chat_ids:
        chats.ensure_chat(
            store,
            chat_id,
            language="en",
            timezone="UTC",
            delivery_time="09:00",
            kind="private" if chat_id > 0 else "group",
        )
        outbox.enqueue_digest(
            store,
            chat_id,
            DAY,
            [
                OutboxMessage(
                    chat_id,
                    seq,
                    f"chat {chat_id} message {seq}",
                    arxiv_id=f"2611.{seq:05d}" if seq else None,
                    version=1,
                    announced=DAY,
                )
                for seq in range(per_chat)
            ],
        )


def received(api: FakeBotApi) -> dict[int, list[str]]:
    by_chat: dict[int, list[str]] = defaultdict(list)
    for message in api.sent():
        by_chat[int(message["chat_id"])].append(message["text"])
    return by_chat


def assert_each_once_in_order(api: FakeBotApi, chat_ids: list[int], per_chat: int) -> None:
    got = received(api)
    for chat_id in chat_ids:
        assert got[chat_id] == [f"chat {chat_id} message {n}" for n in range(per_chat)], chat_id


async def test_a_push_inside_telegrams_limits_gets_no_429_and_keeps_every_gap(
    store: Store,
) -> None:
    private, groups = list(range(1, 61)), [-1, -2, -3]
    queue(store, private + groups, per_chat=4)
    # Arrival times are measured at the fake, so anything that holds it up for a moment (a busy
    # machine) delays a few arrivals into the next window, where they count with the ones sent
    # on time. At the production 28 a second that margin is 2 messages, 14 ms with time
    # running five times faster: the drain here keeps to 20 a second, a margin of 100 ms, and
    # a burst (sends not spaced, or catching up after a pause) still breaks the limit.
    # Telegram is in its own process, as in production: in this one its threads would wait
    # for the bot's turn at the GIL, bunching arrivals into bursts the drain never sent.
    scale = 0.2
    limits = replace(SendLimits(), per_second=20.0).scaled(scale)
    with FakeBotApiProcess(TelegramLimits(scale=scale)) as api:
        async with limited_bot(api.token, api.base_url, scale) as bot:
            report = await drain_outbox(bot, store, limits=limits, budget=60)
    assert api.rate_limited == 0
    assert report.sent == 63 * 4 and outbox.pending_count(store) == 0
    texts: dict[int, list[str]] = defaultdict(list)
    arrivals: dict[int, list[float]] = defaultdict(list)
    for chat_id, text, at in api.sent:
        texts[chat_id].append(text)
        arrivals[chat_id].append(at)
    for chat_id in private + groups:
        assert texts[chat_id] == [f"chat {chat_id} message {n}" for n in range(4)], chat_id
    for chat_id, times in arrivals.items():
        gap = 3.0 if chat_id < 0 else 1.0
        assert min(b - a for a, b in itertools.pairwise(times)) >= gap * scale
    # Fairness: every chat's first message went out before anyone's third.
    order = [text for _, text, _ in api.sent]
    last_first = max(i for i, text in enumerate(order) if text.endswith("message 0"))
    first_third = min(i for i, text in enumerate(order) if text.endswith("message 2"))
    assert last_first < first_third


async def test_a_429_storm_from_a_stricter_telegram_loses_and_repeats_nothing(
    store: Store,
) -> None:
    chat_ids = list(range(1, 13))
    queue(store, chat_ids, per_chat=3)
    with FakeBotApi() as api:
        # Telegram allows far less than the bot believes (4 a second): a storm of 429s.
        api.limits = TelegramLimits(per_second=4, scale=SCALE)
        async with limited_bot(api.token, api.base_url, SCALE) as bot:
            while outbox.pending_count(store):
                await drain_outbox(bot, store, limits=SendLimits().scaled(SCALE), budget=30)
        assert api.rate_limited > 0
        assert_each_once_in_order(api, chat_ids, 3)
    assert store.db.execute("SELECT COUNT(*) FROM deliveries").fetchone()[0] == 12 * 2


async def test_network_errors_and_5xx_are_retried_with_backoff_until_delivered(
    store: Store,
) -> None:
    chat_ids = [1, 2, 3]
    queue(store, chat_ids, per_chat=3)
    with FakeBotApi() as api:
        api.faults = ["reset", "timeout", "ok", "reset"]
        api.fault_delay = 1.0
        api.script = [(502, "Bad Gateway", {}), (500, "Internal Server Error", {})]
        async with limited_bot(api.token, api.base_url, SCALE, read_timeout=0.3) as bot:
            sender = Sender(bot, store, SendLimits().scaled(SCALE))
            sender.start()
            await api.wait_for(lambda: not outbox.pending_count(store), timeout=60)
            await sender.stop()
        assert outbox.pending_count(store) == 0
        got = received(api)
        for chat_id in chat_ids:
            expected = [f"chat {chat_id} message {n}" for n in range(3)]
            texts = got[chat_id]
            # Everything, in order; the one message that timed out after Telegram took it was
            # never confirmed, so it may arrive twice (the only repeat allowed).
            assert list(dict.fromkeys(texts)) == expected
        assert sum(len(texts) for texts in got.values()) <= 9 + 1
        assert sender.totals.retried >= 4 and sender.totals.failed == 0
        backoff = store.db.execute("SELECT MAX(attempts) FROM outbox").fetchone()[0]
        assert backoff >= 2


async def test_stopping_the_sender_finishes_and_records_the_messages_in_flight(
    store: Store,
) -> None:
    chat_ids = list(range(1, 21))
    queue(store, chat_ids, per_chat=2)
    with FakeBotApi() as api:
        api.send_delay = 0.3  # a slow Telegram: stop arrives while messages are in flight
        async with limited_bot(api.token, api.base_url, SCALE) as bot:
            sender = Sender(bot, store, SendLimits().scaled(SCALE))
            sender.start()
            await api.wait_for(lambda: len(api.calls) >= 3)
            await sender.stop()
            assert not sender.running
        delivered = len(api.sent())
        assert 0 < delivered < 40
    # Every message Telegram took is recorded as sent: a restart repeats none of them.
    assert store.db.execute("SELECT COUNT(*) FROM outbox WHERE status = 'sent'").fetchone()[0] == (
        delivered
    )

"""Many chats at once: each is answered while another waits, each in its own order, and every
bulk message keeps Telegram's pace, also across a restart.

Nothing here measures time: a slow arXiv is an arXiv that does not answer until the test lets
it, and Telegram's limits are enforced by the fake, which answers 429 when they are broken.
"""

from __future__ import annotations

import re
import threading
from datetime import date
from pathlib import Path

import pytest

from bot.sender import Pace, Sender, SendLimits, drain_outbox
from bot.updates import ChatOrderedProcessor, order_key
from storage import chats, outbox
from storage.database import Store, open_store
from storage.outbox import OutboxMessage
from tests.conftest import RunningBot
from tests.fakes.bot_api import FakeBotApi, TelegramLimits, limited_bot
from tests.test_bot_subscriptions import USER, ask
from tests.test_search import respond

SCALE = 0.1
STAT = (Path(__file__).parent / "fixtures" / "rss-current-stat.xml").read_bytes()
DAY = date(2026, 11, 20)


async def test_a_chat_waiting_on_arxiv_holds_up_no_other_chat_and_keeps_its_own_order(
    running_bot: RunningBot,
) -> None:
    release = threading.Event()

    def slow_arxiv(path: str) -> tuple[int, dict[str, str], bytes] | None:
        if "checkerboard" in path:
            release.wait(timeout=30)
        return respond(path)

    running_bot.feeds.responder = slow_arxiv
    a, c = 301, 303
    running_bot.api.push_message(a, "/search checkerboard")
    await running_bot.api.wait_for(lambda: running_bot.feeds.count() == 1)  # arXiv has it
    running_bot.api.push_message(a, "/help")  # A's next command: after A's search
    answer = await ask(running_bot, "/help", chat_id=c)
    assert "/subscribe" in answer["text"]
    # C was answered while A's search was still waiting on arXiv.
    assert not release.is_set() and running_bot.feeds.count() == 1
    release.set()
    await running_bot.api.wait_for(
        lambda: any("/subscribe" in m["text"] for m in running_bot.api.sent(a))
    )
    texts = [m["text"] for m in running_bot.api.sent(a)]
    results = next(i for i, t in enumerate(texts) if "checkerboard" in t.lower())
    help_at = next(i for i, t in enumerate(texts) if "/subscribe" in t)
    assert results < help_at, texts


async def test_one_chats_updates_run_in_order_while_others_interleave() -> None:
    """The processor alone: chat 1's second update waits for its first; chat 2's does not."""
    import asyncio

    from telegram import Chat, Message, Update, User

    def update(number: int, chat_id: int) -> Update:
        user = User(chat_id, "u", is_bot=False)
        chat = Chat(chat_id, "private")
        message = Message(number, date=None, chat=chat, from_user=user, text="x")  # type: ignore[arg-type]
        return Update(number, message=message)

    processor = ChatOrderedProcessor(running=8)
    log: list[str] = []
    first_may_end = asyncio.Event()

    async def work(name: str, wait: asyncio.Event | None = None) -> None:
        log.append(f"{name} start")
        if wait is not None:
            await wait.wait()
        log.append(f"{name} end")

    one_a = asyncio.create_task(processor.process_update(update(1, 1), work("1a", first_may_end)))
    one_b = asyncio.create_task(processor.process_update(update(2, 1), work("1b")))
    two = asyncio.create_task(processor.process_update(update(3, 2), work("2")))
    await two
    assert log == ["1a start", "2 start", "2 end"]  # 1b waits for 1a; 2 did not wait
    first_may_end.set()
    await asyncio.gather(one_a, one_b)
    assert log[3:] == ["1a end", "1b start", "1b end"]
    assert order_key(update(4, 7)) == 7 and order_key(object()) is None
    assert not processor._locks  # nothing kept for chats with nothing queued


async def test_a_22_paper_digest_goes_through_the_outbox_in_order_without_a_429(
    running_bot: RunningBot,
) -> None:
    services = running_bot.application.bot_data["services"]
    await services.sender.stop()
    services.sender = Sender(
        running_bot.application.bot, running_bot.store, SendLimits().scaled(SCALE)
    )
    services.sender.start()
    running_bot.feeds.route("/rss/stat.ML", STAT)
    await ask(running_bot, "/subscribe stat.ML")
    chats.update_chat(running_bot.store, USER, max_papers=22)
    running_bot.api.limits = TelegramLimits(scale=SCALE)
    before = len(running_bot.api.sent(USER))
    running_bot.api.push_message(USER, "/digest")
    numbered = re.compile(r"<b>(\d+)\. ")

    def entries() -> list[int]:
        return [
            int(found.group(1))
            for m in running_bot.api.sent(USER)[before:]
            if (found := numbered.match(m["text"]))
        ]

    await running_bot.api.wait_for(lambda: len(entries()) == 22, timeout=30)
    assert entries() == list(range(1, 23))
    assert running_bot.api.rate_limited == 0
    assert "2026-03-17" in running_bot.api.sent(USER)[before]["text"]  # the overview first
    # Each paper is in the ledger once Telegram confirmed it: the push will not repeat it.
    await running_bot.api.wait_for(lambda: outbox.pending_count(running_bot.store) == 0)
    marked = running_bot.store.db.execute(
        "SELECT COUNT(*) FROM deliveries WHERE chat_id = ?", [USER]
    ).fetchone()[0]
    assert marked == 22
    assert outbox.pending_count(running_bot.store) == 0


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return open_store(tmp_path / "bot.sqlite3")


def queue_one_each(store: Store, chat_ids: list[int], text: str) -> None:
    outbox.enqueue(store, [OutboxMessage(chat_id, 0, f"{text} {chat_id}") for chat_id in chat_ids])


async def test_a_restarted_sender_paces_each_chat_from_its_last_confirmed_message(
    store: Store,
) -> None:
    chat_ids = list(range(1, 11))
    for chat_id in chat_ids:
        chats.ensure_chat(store, chat_id, language="en", timezone="UTC", delivery_time="09:00")
    limits = SendLimits().scaled(SCALE)
    with FakeBotApi() as api:
        api.limits = TelegramLimits(scale=SCALE)
        async with limited_bot(api.token, api.base_url, scale=SCALE) as bot:
            queue_one_each(store, chat_ids, "before the crash")
            first = await drain_outbox(bot, store, limits=limits, budget=10)
            assert first.sent == 10
            # A new process: its pace knows nothing but what the outbox recorded.
            queue_one_each(store, chat_ids, "after the restart")
            second = await drain_outbox(bot, store, limits=limits, budget=10, pace=Pace(limits))
    assert second.sent == 10 and second.rate_limited == 0
    assert api.rate_limited == 0
    for chat_id in chat_ids:
        assert [m["text"] for m in api.sent(chat_id)] == [
            f"before the crash {chat_id}",
            f"after the restart {chat_id}",
        ]


async def test_replies_and_the_drain_share_one_pace(store: Store) -> None:
    """A reply to a chat that the drain just wrote to waits for the chat's interval."""
    chats.ensure_chat(store, 5, language="en", timezone="UTC", delivery_time="09:00")
    limits = SendLimits().scaled(SCALE)
    with FakeBotApi() as api:
        api.limits = TelegramLimits(scale=SCALE)
        async with limited_bot(api.token, api.base_url, scale=SCALE) as bot:
            sender = Sender(bot, store, limits)
            queue_one_each(store, [5], "pushed")
            await drain_outbox(bot, store, limits=limits, budget=10, pace=sender.pace)
            for number in range(3):
                assert await sender.send_now(5, f"reply {number}") is not None
    assert api.rate_limited == 0
    assert [m["text"] for m in api.sent(5)] == ["pushed 5", "reply 0", "reply 1", "reply 2"]


async def test_a_reply_to_a_chat_that_blocked_the_bot_marks_it_inactive(store: Store) -> None:
    chats.ensure_chat(store, 6, language="en", timezone="UTC", delivery_time="09:00")
    queue_one_each(store, [6], "waiting")
    with FakeBotApi() as api:
        api.blocked.add(6)
        async with limited_bot(api.token, api.base_url) as bot:
            assert await Sender(bot, store).send_now(6, "hello") is None
    chat = chats.get_chat(store, 6)
    assert chat is not None and not chat.active
    assert outbox.pending_count(store) == 0  # its queue was dropped, its data kept

"""Floods, edits and channel posts, through the real library and the fake Bot API."""

from __future__ import annotations

from telegram import Update
from telegram.ext import TypeHandler

from bot.flood import FloodGuard, Verdict
from storage import chats
from tests.conftest import RunningBot


def test_flood_guard_allows_the_limit_warns_once_then_drops_until_the_window_clears() -> None:
    now = [0.0]
    guard = FloodGuard(limit=3, window=10.0, clock=lambda: now[0])
    assert [guard.check(1) for _ in range(5)] == [
        Verdict.ALLOW,
        Verdict.ALLOW,
        Verdict.ALLOW,
        Verdict.WARN,
        Verdict.DROP,
    ]
    assert guard.check(2) is Verdict.ALLOW  # another chat is not affected
    assert guard.retry_in(1) == 10.0
    now[0] = 10.0
    assert guard.check(1) is Verdict.ALLOW
    # Many quiet chats do not pile up in memory.
    for chat_id in range(20_000):
        guard.check(1000 + chat_id)
        now[0] += 0.01
    assert len(guard._seen) <= 10_001


def seen_updates(running_bot: RunningBot) -> set[int]:
    """Ids of the updates the bot has started to handle, recorded before any of its handlers.

    A chat's updates are handled one after another, so once an update is seen here, every
    earlier update of its chat is finished: the way to know that something did not happen.
    """
    seen: set[int] = set()

    async def record(update: Update, context: object) -> None:
        seen.add(update.update_id)

    running_bot.application.add_handler(TypeHandler(Update, record), group=-2)
    return seen


async def test_a_flooding_chat_gets_one_slow_down_and_others_are_served(
    running_bot: RunningBot,
) -> None:
    flooder, other = 601, 602
    limit = running_bot.application.bot_data["services"].flood.limit
    seen = seen_updates(running_bot)
    for _ in range(limit + 10):
        running_bot.api.push_message(flooder, "/help")
    await running_bot.api.wait_for_messages(limit + 1, flooder)
    running_bot.api.push_message(other, "/help")
    await running_bot.api.wait_for_messages(1, other)
    # One more from the flooder: once the bot is on it, the ten dropped ones are behind it.
    last = running_bot.api.push_message(flooder, "/help")
    await running_bot.api.wait_for(lambda: last in seen)
    replies = [m["text"] for m in running_bot.api.sent(flooder)]
    assert len(replies) == limit + 1
    assert sum("Too many requests" in text for text in replies) == 1
    assert "Too many requests" in replies[-1]


async def test_edits_and_channel_posts_are_ignored_quietly(running_bot: RunningBot) -> None:
    seen = seen_updates(running_bot)
    running_bot.api.push_message(603, "/subscribe cs.CV", edited=True)
    running_bot.api.push_message(-100603, "/start", chat_type="channel")
    running_bot.api.push_message(-100603, "/subscribe cs.CV", chat_type="channel", edited=True)
    # Markers, one per chat: once the bot is on them, the edits and posts before are done.
    markers = [
        running_bot.api.push_message(603, "/subscribe cs.CV", edited=True),
        running_bot.api.push_message(-100603, "/help", chat_type="channel"),
    ]
    await running_bot.api.wait_for(lambda: all(m in seen for m in markers))
    assert running_bot.api.sent(603) == [] and running_bot.api.sent(-100603) == []
    assert chats.get_chat(running_bot.store, 603) is None
    assert chats.get_chat(running_bot.store, -100603) is None


async def test_a_reader_rating_a_whole_digest_is_not_told_to_slow_down(
    running_bot: RunningBot,
) -> None:
    """Forty presses in a minute (a digest rated paper by paper) are all let through, past the
    commands' limit of thirty; a press flood still gets its one alert."""
    reader = 604
    services = running_bot.application.bot_data["services"]
    assert services.flood.limit < 40 < services.presses.limit
    seen = seen_updates(running_bot)
    presses = [running_bot.api.push_callback(reader, 1, f"fb:1:2601.{i:05d}") for i in range(40)]
    await running_bot.api.wait_for(lambda: presses[-1] in seen)
    answers = running_bot.api.sent(method="answerCallbackQuery")
    assert not any("Too many requests" in a.get("text", "") for a in answers)
    # Commands keep their own count: the presses used none of it.
    running_bot.api.push_message(reader, "/help")
    assert (
        "Too many requests" not in (await running_bot.api.wait_for_messages(1, reader))[0]["text"]
    )
    services.presses = FloodGuard(limit=3)
    for i in range(5):
        running_bot.api.push_callback(reader, 1, f"fb:-1:2601.{i:05d}")
    await running_bot.api.wait_for(
        lambda: any(
            "Too many requests" in a.get("text", "")
            for a in running_bot.api.sent(method="answerCallbackQuery")
        )
    )

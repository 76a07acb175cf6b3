"""Admin commands, blocked users, and the token never reaching a log."""

from __future__ import annotations

import logging

import pytest

from storage import chats
from tests.conftest import RunningBot
from tests.test_bot_subscriptions import ask

ADMIN = 999


async def test_admin_commands_refuse_everyone_else(running_bot: RunningBot) -> None:
    assert "administrators" in (await ask(running_bot, "/stats", chat_id=5))["text"]
    assert "administrators" in (await ask(running_bot, "/broadcast hi", chat_id=5))["text"]
    assert not [m for m in running_bot.api.sent() if m["text"] == "hi"]


async def test_stats_for_an_admin(running_bot: RunningBot) -> None:
    await ask(running_bot, "/subscribe cs.CV", chat_id=5)
    stats = (await ask(running_bot, "/stats", chat_id=ADMIN))["text"]
    assert "chats: 2 (active 2, paused 0)" in stats
    assert "subscriptions: 1" in stats


async def test_broadcast_reaches_active_chats_and_marks_blocked_ones(
    running_bot: RunningBot,
) -> None:
    for chat_id in (11, 12, 13):
        await ask(running_bot, "/start", chat_id=chat_id)
    await ask(running_bot, "/stop", chat_id=13)
    running_bot.api.blocked.add(12)
    before = len(running_bot.api.sent(ADMIN))
    running_bot.api.push_message(ADMIN, "/broadcast New: <b>search</b> & more")
    messages = await running_bot.api.wait_for_messages(before + 2, ADMIN)
    # The admin's chat is a subscriber too: it gets the text, then the report.
    assert "2 sent, 1 blocked" in messages[-1]["text"]  # 11 and the admin; 12 blocked; 13 paused
    assert running_bot.api.sent(11)[-1]["text"] == "New: &lt;b&gt;search&lt;/b&gt; &amp; more"
    assert not any("search" in m["text"] for m in running_bot.api.sent(13))
    blocked = chats.get_chat(running_bot.store, 12)
    assert blocked is not None and not blocked.active
    assert chats.subscriptions(running_bot.store, 12) == []  # data kept, nothing deleted


async def test_a_blocked_user_does_not_break_the_bot(
    running_bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    running_bot.api.blocked.add(21)
    running_bot.api.push_message(21, "/help")
    await ask(running_bot, "/help", chat_id=22)  # the bot still answers others
    assert running_bot.api.sent(21) == []


async def test_the_token_never_reaches_the_logs(
    running_bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    from bot.cli import configure_logging

    configure_logging("DEBUG")
    await ask(running_bot, "/start")
    await ask(running_bot, "/subscribe cs.CVV")
    running_bot.api.blocked.add(42)
    running_bot.api.push_message(42, "/help")
    await ask(running_bot, "/help", chat_id=43)
    everything = "\n".join(
        f"{r.getMessage()} {r.exc_text or ''} {r.args!r}" for r in caplog.records
    )
    assert running_bot.settings.telegram_bot_token not in everything
    assert running_bot.settings.telegram_base_url not in everything

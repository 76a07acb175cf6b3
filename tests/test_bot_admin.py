"""Admin commands, blocked users, and the token never reaching a log."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from storage import chats
from tests.conftest import RunningBot
from tests.test_bot_subscriptions import ask, message_id_of

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


async def test_stats_in_a_chinese_chat_speaks_chinese(running_bot: RunningBot) -> None:
    await ask(running_bot, "/subscribe cs.CV", chat_id=5)
    stats = (await ask(running_bot, "/stats", chat_id=ADMIN, language_code="zh-CN"))["text"]
    assert stats.startswith("<b>统计</b>")
    assert "聊天：2（活跃 2，暂停 0）" in stats and "订阅：1" in stats
    assert "chats:" not in stats and "subscriptions" not in stats


def _button(message: dict[str, Any], starts: str) -> str:
    """The callback data of the message's button whose text starts with `starts`."""
    for row in message["reply_markup"]["inline_keyboard"]:
        for button in row:
            if button["text"].startswith(starts):
                return str(button["callback_data"])
    raise AssertionError(f"no button starting with {starts!r}")


async def test_broadcast_shows_a_preview_then_reaches_active_chats_when_confirmed(
    running_bot: RunningBot,
) -> None:
    for chat_id in (11, 12, 13):
        await ask(running_bot, "/start", chat_id=chat_id)
    await ask(running_bot, "/stop", chat_id=13)
    running_bot.api.blocked.add(12)
    preview = await ask(running_bot, "/broadcast New: <b>search</b> & more", chat_id=ADMIN)
    # Nothing goes out before the admin confirms; the preview shows the text as it will look.
    assert "Preview" in preview["text"] and "3 active chats" in preview["text"]
    assert "New: &lt;b&gt;search&lt;/b&gt; &amp; more" in preview["text"]
    assert not any("search" in m["text"] for m in running_bot.api.sent(11))
    preview_id, confirm = message_id_of(running_bot, preview), _button(preview, "✅")
    # Someone who is not an admin cannot press ✅ for them.
    running_bot.api.push_callback(ADMIN, preview_id, confirm, user_id=5, chat_type="group")
    await running_bot.api.wait_for(
        lambda: any(
            "administrators" in str(a.get("text"))
            for a in running_bot.api.sent(method="answerCallbackQuery")
        )
    )
    running_bot.api.push_callback(ADMIN, preview_id, confirm)
    # The admin's own chat is active too: it gets the broadcast like everyone else.
    for chat_id in (11, ADMIN):
        await running_bot.api.wait_for(
            lambda chat_id=chat_id: any(
                m["text"] == "New: &lt;b&gt;search&lt;/b&gt; &amp; more"
                for m in running_bot.api.sent(chat_id)
            )
        )
    await running_bot.api.wait_for(
        lambda: not chats.get_chat(running_bot.store, 12).active  # type: ignore[union-attr]
    )
    assert chats.subscriptions(running_bot.store, 12) == []  # data kept, nothing deleted
    assert not any("search" in m["text"] for m in running_bot.api.sent(13))  # paused
    # A second press queues nothing more.
    running_bot.api.push_callback(ADMIN, preview_id, confirm)
    await running_bot.api.wait_for(
        lambda: any("already" in m["text"] for m in running_bot.api.sent(method="editMessageText"))
    )
    stats = await ask(running_bot, "/stats", chat_id=ADMIN)
    assert "broadcast #1: 2 of 3 sent, 0 waiting, 0 failed, 1 blocked the bot" in stats["text"]
    assert len([m for m in running_bot.api.sent(11) if "search" in m["text"]]) == 1


async def test_a_cancelled_broadcast_sends_nothing(running_bot: RunningBot) -> None:
    await ask(running_bot, "/start", chat_id=11)
    preview = await ask(running_bot, "/broadcast oops", chat_id=ADMIN)
    preview_id = message_id_of(running_bot, preview)
    running_bot.api.push_callback(ADMIN, preview_id, _button(preview, "✖"))
    await running_bot.api.wait_for(
        lambda: any(
            "cancelled" in m["text"] for m in running_bot.api.sent(method="editMessageText")
        )
    )
    running_bot.api.push_callback(ADMIN, preview_id, _button(preview, "✅"))
    await running_bot.api.wait_for(
        lambda: any("already" in m["text"] for m in running_bot.api.sent(method="editMessageText"))
    )
    assert not any(m["text"] == "oops" for m in running_bot.api.sent())


async def test_a_blocked_user_does_not_break_the_bot(
    running_bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    running_bot.api.blocked.add(21)
    running_bot.api.push_message(21, "/help")
    # The reply was tried, refused with 403, and the chat marked inactive (its data kept)...
    await running_bot.api.wait_for(
        lambda: (chat := chats.get_chat(running_bot.store, 21)) is not None and not chat.active
    )
    assert any(
        name == "sendMessage" and str(params.get("chat_id")) == "21"
        for name, params in running_bot.api.calls
    )
    # ...and the bot still answers others, without a traceback.
    await ask(running_bot, "/help", chat_id=22)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_the_token_never_reaches_the_logs(
    running_bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    import sys
    import threading

    from bot.cli import configure_logging

    # The set-up is process-wide: put it back afterwards, or every later test runs with DEBUG
    # logging (slow enough to make the timing-sensitive delivery tests miss their pace).
    root = logging.getLogger()
    saved = (root.level, sys.excepthook, threading.excepthook)
    configure_logging("DEBUG")
    try:
        await ask(running_bot, "/start")
        await ask(running_bot, "/subscribe cs.CVV")
        running_bot.api.blocked.add(42)
        running_bot.api.push_message(42, "/help")
        await ask(running_bot, "/help", chat_id=43)
    finally:
        root.setLevel(saved[0])
        sys.excepthook, threading.excepthook = saved[1], saved[2]
        logging.captureWarnings(False)
    everything = "\n".join(
        f"{r.getMessage()} {r.exc_text or ''} {r.args!r}" for r in caplog.records
    )
    assert running_bot.settings.telegram_bot_token not in everything
    assert running_bot.settings.telegram_base_url not in everything

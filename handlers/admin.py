"""Admin commands, for the user ids in ADMIN_IDS only: /stats and /broadcast TEXT."""

from __future__ import annotations

import asyncio
import logging

from telegram import Update
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError

from bot.i18n import t
from bot.render.telegram import escape
from handlers.common import Context, command_args, register_chat, reply, services
from storage import chats
from storage.stats import active_chat_ids, collect

log = logging.getLogger(__name__)


async def _is_admin(update: Update, context: Context) -> bool:
    chat = register_chat(update, context)
    user = update.effective_user
    if user is not None and user.id in services(context).settings.admin_ids:
        return True
    await reply(update, t("bot_admins_only", chat.ui_language))
    return False


async def stats(update: Update, context: Context) -> None:
    """`/stats`: chats, active, subscriptions, last fetch, deliveries and failures today."""
    if not await _is_admin(update, context):
        return
    numbers = collect(services(context).store)
    lines = [
        "<b>Stats</b>",
        f"chats: {numbers.chats} (active {numbers.active}, paused {numbers.paused})",
        f"subscriptions: {numbers.subscriptions}",
        f"papers stored: {numbers.papers}, latest announcement: "
        f"{numbers.latest_announcement or '—'}",
        f"last fetch: {escape(numbers.last_fetch or '—')} ({numbers.last_fetch_status or '—'})",
        f"deliveries today: {numbers.deliveries_today}, "
        f"fetch failures today: {numbers.fetch_failures_today}",
    ]
    await reply(update, "\n".join(lines))


async def broadcast(update: Update, context: Context) -> None:
    """`/broadcast TEXT`: send TEXT to every active chat, within Telegram's limits.

    Blocked chats are marked inactive; a 429 waits exactly retry_after and resends.
    """
    if not await _is_admin(update, context):
        return
    text = command_args(context).strip()
    if not text:
        await reply(update, "Usage: <code>/broadcast TEXT</code>")
        return
    store = services(context).store
    sent = blocked = failed = 0
    for chat_id in active_chat_ids(store):
        for _ in range(5):
            try:
                await context.bot.send_message(chat_id, escape(text))
                sent += 1
            except RetryAfter as exc:
                delay = exc.retry_after
                await asyncio.sleep(
                    delay.total_seconds() if hasattr(delay, "total_seconds") else float(delay)
                )
                continue
            except Forbidden:
                chats.update_chat(store, chat_id, active=False)
                blocked += 1
            except ChatMigrated as exc:
                log.info("chat %s moved to %s", chat_id, exc.new_chat_id)
                failed += 1
            except BadRequest as exc:
                log.warning("broadcast to chat %s rejected: %s", chat_id, exc.message)
                failed += 1
            except TelegramError as exc:
                log.warning("broadcast to chat %s failed: %s", chat_id, type(exc).__name__)
                failed += 1
            break
    await reply(
        update, f"Broadcast: {sent} sent, {blocked} blocked (marked inactive), {failed} failed."
    )

"""/start, /help, /stop, and the answer to commands the bot does not know."""

from __future__ import annotations

from telegram import Update

from bot.chat_settings import zone_label
from bot.i18n import t
from bot.render.telegram import escape
from handlers.common import Context, may_change_settings, register_chat, reply, services
from storage import chats


async def start(update: Update, context: Context) -> None:
    """Register the chat, show the short guide, and resume pushes if they were paused."""
    chat = register_chat(update, context)
    lang = chat.ui_language
    if chat.paused or not chat.active:
        if not await may_change_settings(update, context, chat):
            return
        chats.update_chat(services(context).store, chat.chat_id, paused=False, active=True)
        await reply(update, context, t("resumed", lang))
    await reply(
        update,
        context,
        t(
            "start",
            lang,
            time=escape(chat.delivery_time),
            timezone=escape(zone_label(chat.timezone)),
        ),
    )


async def help_command(update: Update, context: Context) -> None:
    """Every command, one line each."""
    chat = register_chat(update, context)
    await reply(update, context, t("help", chat.ui_language))


async def stop(update: Update, context: Context) -> None:
    """Pause daily pushes; subscriptions and settings are kept."""
    chat = register_chat(update, context)
    if not await may_change_settings(update, context, chat):
        return
    chats.update_chat(services(context).store, chat.chat_id, paused=True)
    await reply(update, context, t("stopped", chat.ui_language))


async def unknown_command(update: Update, context: Context) -> None:
    """Any other /command gets a pointer to /help instead of silence."""
    chat = register_chat(update, context)
    await reply(update, context, t("unknown_command", chat.ui_language))

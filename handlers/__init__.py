"""Telegram commands and buttons: thin functions that parse input, call bot/ and storage/, reply.

`register` wires them into the Application built by `bot.app`.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    MessageReactionHandler,
    TypeHandler,
    filters,
)

from handlers import (
    admin,
    browser,
    digest,
    guard,
    ranking,
    search,
    settings,
    start,
    subscriptions,
)


def register(application: Application) -> None:  # type: ignore[type-arg,unused-ignore]
    """Add every command and button handler; unknown commands get a pointer to /help."""
    # Group -1 runs first: edits, channel posts and floods stop here.
    application.add_handler(TypeHandler(Update, guard.guard), group=-1)
    commands = {
        "start": start.start,
        "help": start.help_command,
        "stop": start.stop,
        "subscribe": subscriptions.subscribe,
        "keyword": subscriptions.keyword,
        "keywords": subscriptions.keyword,
        "author": subscriptions.author,
        "unsubscribe": subscriptions.unsubscribe,
        "list": subscriptions.list_subscriptions,
        "digest": digest.digest,
        "export": digest.export,
        "saved": digest.saved_list,
        "status": digest.status,
        "settings": settings.settings,
        "lang": settings.lang,
        "time": settings.time,
        "timezone": settings.timezone,
        "search": search.search,
        "stats": admin.stats,
        "broadcast": admin.broadcast,
        "calibrate": ranking.calibrate,
        "forget": ranking.forget,
    }
    for name, callback in commands.items():
        application.add_handler(CommandHandler(name, callback))
    application.add_handler(
        CallbackQueryHandler(subscriptions.unsubscribe_button, pattern=r"^unsub:")
    )
    application.add_handler(CallbackQueryHandler(browser.browser_button, pattern=r"^br:"))
    application.add_handler(CallbackQueryHandler(settings.settings_button, pattern=r"^set:"))
    application.add_handler(CallbackQueryHandler(search.search_button, pattern=r"^s[pdk]:"))
    application.add_handler(CallbackQueryHandler(digest.paper_button, pattern=r"^(save|fb):"))
    application.add_handler(CallbackQueryHandler(digest.saved_button, pattern=r"^sv:"))
    application.add_handler(CallbackQueryHandler(admin.broadcast_button, pattern=r"^bc:"))
    application.add_handler(CallbackQueryHandler(ranking.similar_button, pattern=r"^sim:"))
    application.add_handler(CallbackQueryHandler(ranking.forget_button, pattern=r"^fg:"))
    application.add_handler(
        MessageReactionHandler(
            ranking.reaction, message_reaction_types=MessageReactionHandler.MESSAGE_REACTION_UPDATED
        )
    )
    application.add_handler(MessageHandler(filters.COMMAND, start.unknown_command))

"""Runs before every handler: ignores edits and channel posts, keeps each chat inside its flood
limits (bot.flood): one for commands and messages, a larger one for button presses and
reactions.

Edits are ignored on purpose: the original command was already answered, and re-running an
edited `/broadcast` or `/digest` would surprise. Channel posts carry no user to check rights
against, so commands there are ignored quietly.
"""

from __future__ import annotations

import math

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.flood import Verdict
from bot.i18n import t, ui_language
from handlers.common import Context, reply, services


async def guard(update: Update, context: Context) -> None:
    """Let the update through, or stop it (ApplicationHandlerStop) with at most one reply."""
    if update.edited_message or update.edited_channel_post or update.channel_post:
        raise ApplicationHandlerStop
    chat = update.effective_chat
    if chat is None:
        return
    # Presses and reactions have their own, larger allowance: rating a digest is many of them.
    pressed = update.callback_query is not None or update.message_reaction is not None
    flood = services(context).presses if pressed else services(context).flood
    verdict = flood.check(chat.id)
    if verdict is Verdict.ALLOW:
        return
    if verdict is Verdict.WARN:
        user = update.effective_user
        text = t(
            "flood",
            ui_language(user.language_code if user else None),
            seconds=max(1, math.ceil(flood.retry_in(chat.id))),
        )
        if update.callback_query is not None:
            await update.callback_query.answer(text, show_alert=True)
        else:
            await reply(update, context, text)
    raise ApplicationHandlerStop

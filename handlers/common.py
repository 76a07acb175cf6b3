"""What every handler needs: services, the chat's record, its language, permission checks,
and the one way to reply."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatAction, ChatType
from telegram.error import BadRequest, TelegramError

from bot import subscriptions
from bot.i18n import t, ui_language
from bot.services import BotContext, Services
from storage import chats
from storage.chats import Chat

Context = BotContext

log = logging.getLogger(__name__)


def services(context: Context) -> Services:
    """The Services object `bot.app.build_application` stored for handlers."""
    return context.services


def register_chat(update: Update, context: Context) -> Chat:
    """The stored chat for this update, created with the defaults on first contact."""
    tg_chat = update.effective_chat
    assert tg_chat is not None
    settings = services(context).settings
    user = update.effective_user
    return chats.ensure_chat(
        services(context).store,
        tg_chat.id,
        kind=tg_chat.type,
        title=tg_chat.title or tg_chat.full_name or "",
        language=settings.translate_to,
        timezone=settings.default_timezone,
        delivery_time=settings.default_delivery_time,
        ui_language=ui_language(user.language_code if user else None),
    )


async def reply(
    update: Update,
    context: Context,
    text: str,
    *,
    reply_markup: InlineKeyboardMarkup | None = None,
) -> Message | None:
    """Answer in the chat the update came from, through the sender: split to fit, on the
    shared pace, with the one error policy (bot.sender). In groups the answer quotes the
    command, so it is clear whose it is. Returns the last message sent, or None."""
    chat = update.effective_chat
    if chat is None:
        return None
    message = update.effective_message
    quote = (
        message.message_id
        if message is not None and update.callback_query is None and chat.type != ChatType.PRIVATE
        else None
    )
    return await context.services.sender.send_now(
        chat.id, text, reply_markup=reply_markup, reply_to=quote
    )


async def edit(
    update: Update,
    context: Context,
    text: str,
    *,
    reply_markup: InlineKeyboardMarkup | None = None,
) -> None:
    """Show `text` in place of the message whose button was pressed.

    A press on an old message can find it deleted or too old to edit: the text then comes as a
    new message (through `reply`). Pressing a button that changes nothing ("not modified") is
    fine as it is.
    """
    query = update.callback_query
    assert query is not None
    try:
        await query.edit_message_text(text, reply_markup=reply_markup)
    except BadRequest as exc:
        reason = exc.message.lower()
        if "not modified" in reason:
            return
        if "not found" in reason or "can't be edited" in reason:
            await reply(update, context, text, reply_markup=reply_markup)
            return
        raise


async def may_change_settings(update: Update, context: Context, chat: Chat) -> bool:
    """Whether the sender may change this chat's subscriptions and settings (the rule is
    `bot.subscriptions.may_change`); tells the user when not."""
    tg_chat = update.effective_chat
    user = update.effective_user
    if tg_chat is None:
        return True
    status: str | None = None
    if tg_chat.type not in (ChatType.PRIVATE, ChatType.CHANNEL) and user is not None:
        # Only groups need Telegram's word on the sender; private chats and channels do not.
        status = (await context.bot.get_chat_member(tg_chat.id, user.id)).status
    if subscriptions.may_change(tg_chat.type, status):
        return True
    text = t("admins_only", chat.ui_language)
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
    else:
        await reply(update, context, text)
    return False


async def show_typing(context: Context, chat_id: int) -> None:
    """ "typing…" while a slow answer is prepared. Cosmetic: it takes no turn in the chat's
    pace (Telegram does not count it as a message) and a failure is left to the reply."""
    try:
        await context.bot.send_chat_action(chat_id, ChatAction.TYPING)
    except TelegramError as exc:
        log.debug("chat action for %s failed: %s", chat_id, type(exc).__name__)


def command_args(context: Context) -> str:
    """The text after the command, as one string (quotes are meaningful to our parsers)."""
    return " ".join(context.args or [])

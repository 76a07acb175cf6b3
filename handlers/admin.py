"""Admin commands, for the user ids in ADMIN_IDS only: /stats and /broadcast TEXT (previewed,
then sent through the outbox when confirmed with ✅)."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.i18n import t
from bot.render.fit import split_message
from bot.render.telegram import escape
from handlers.common import Context, command_args, edit, register_chat, reply, services
from storage import broadcasts, outbox
from storage.outbox import Kind, Status
from storage.stats import active_chat_ids, collect

log = logging.getLogger(__name__)


async def _is_admin(update: Update, context: Context) -> bool:
    chat = register_chat(update, context)
    user = update.effective_user
    if user is not None and user.id in services(context).settings.admin_ids:
        return True
    await reply(update, context, t("bot_admins_only", chat.ui_language))
    return False


async def stats(update: Update, context: Context) -> None:
    """`/stats`: chats, active, subscriptions, last fetch, deliveries and failures today, in the
    chat's interface language."""
    if not await _is_admin(update, context):
        return
    lang = register_chat(update, context).ui_language
    store = services(context).store
    numbers = collect(store)
    lines = [
        t("stats_title", lang),
        t("stats_chats", lang, chats=numbers.chats, active=numbers.active, paused=numbers.paused),
        t("stats_subscriptions", lang, count=numbers.subscriptions),
        t(
            "stats_papers",
            lang,
            papers=numbers.papers,
            latest=numbers.latest_announcement or "—",
        ),
        t(
            "stats_last_fetch",
            lang,
            time=escape(numbers.last_fetch or "—"),
            status=escape(numbers.last_fetch_status or "—"),
        ),
        t(
            "stats_today",
            lang,
            deliveries=numbers.deliveries_today,
            failures=numbers.fetch_failures_today,
        ),
        t("stats_outbox", lang, waiting=outbox.pending_count(store)),
    ]
    last = broadcasts.latest_queued(store)
    if last is not None:
        counts = outbox.counts_by_status(store, last.id, Kind.BROADCAST)
        lines.append(
            t(
                "stats_broadcast",
                lang,
                id=last.id,
                sent=counts.get(Status.SENT, 0),
                chats=last.chats,
                waiting=counts.get(Status.PENDING, 0),
                failed=counts.get(Status.FAILED, 0),
                blocked=counts.get(Status.DROPPED, 0),
            )
        )
    await reply(update, context, "\n".join(lines))


async def broadcast(update: Update, context: Context) -> None:
    """`/broadcast TEXT`: a preview with ✅ send / ✖️ cancel; nothing goes out until an admin
    confirms (a typo sent to every chat cannot be taken back)."""
    if not await _is_admin(update, context):
        return
    chat = register_chat(update, context)
    lang = chat.ui_language
    text = command_args(context).strip()
    if not text:
        await reply(update, context, t("broadcast_usage", lang))
        return
    store = services(context).store
    user = update.effective_user
    assert user is not None
    draft = broadcasts.create(store, user.id, text)
    count = len(active_chat_ids(store))
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t("broadcast_send", lang, chats=count), callback_data=f"bc:send:{draft.id}"
                ),
                InlineKeyboardButton(
                    t("broadcast_cancel", lang), callback_data=f"bc:cancel:{draft.id}"
                ),
            ]
        ]
    )
    await reply(
        update,
        context,
        t("broadcast_preview", lang, chats=count, text=escape(text)),
        reply_markup=keyboard,
    )


async def broadcast_button(update: Update, context: Context) -> None:
    """✅ queues the previewed broadcast in the outbox (the sender paces it like a push, so
    other chats keep being answered); ✖️ drops it. Admins only; a second press does nothing."""
    query = update.callback_query
    assert query is not None
    chat = register_chat(update, context)
    lang = chat.ui_language
    user = update.effective_user
    if user is None or user.id not in services(context).settings.admin_ids:
        await query.answer(t("bot_admins_only", lang), show_alert=True)
        return
    action, _, number = (query.data or "").removeprefix("bc:").partition(":")
    store = services(context).store
    draft = broadcasts.get(store, int(number)) if number.isdigit() else None
    if draft is None or action not in ("send", "cancel"):
        await query.answer()
        return
    if action == "cancel":
        done = broadcasts.cancel(store, draft.id)
        await query.answer()
        key = "broadcast_cancelled" if done else "broadcast_done_already"
        await edit(update, context, t(key, lang))
        return
    count = broadcasts.queue(store, draft.id, split_message(escape(draft.text)))
    await query.answer()
    if count is None:
        await edit(update, context, t("broadcast_done_already", lang))
        return
    log.info("broadcast %d queued for %d chats by admin %s", draft.id, count, user.id)
    services(context).sender.wake()
    await edit(update, context, t("broadcast_queued", lang, id=draft.id, chats=count))

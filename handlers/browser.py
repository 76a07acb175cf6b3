"""The category browser: `/subscribe` with no argument. Archives → categories, tap to toggle.

Callback data stays short: `br:a:P` (archive list, page P), `br:c:ARCHIVE:P` (an archive's
categories, page P), `br:t:CODE:P` (toggle a category, stay on page P). The longest code is
well under Telegram's 64 bytes.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.i18n import t
from bot.render.telegram import escape
from bot.sources.taxonomy import get_taxonomy
from handlers.common import (
    Context,
    edit,
    may_change_settings,
    register_chat,
    reply,
    services,
)
from storage import chats
from storage.chats import Chat, Subscription

PAGE = 8


def _subscribed(context: Context, chat_id: int) -> set[str]:
    return {
        s.value
        for s in chats.subscriptions(services(context).store, chat_id)
        if s.kind == "category"
    }


def _pager(prefix: str, page: int, pages: int) -> list[InlineKeyboardButton]:
    row = []
    if page > 0:
        row.append(InlineKeyboardButton("◀", callback_data=f"{prefix}:{page - 1}"))
    if pages > 1:
        row.append(InlineKeyboardButton(f"{page + 1}/{pages}", callback_data="br:noop"))
    if page < pages - 1:
        row.append(InlineKeyboardButton("▶", callback_data=f"{prefix}:{page + 1}"))
    return row


def archives_view(subscribed: set[str], lang: str, page: int) -> tuple[str, InlineKeyboardMarkup]:
    """The first level: every archive, with a ✓ when the chat follows it or one of its parts."""
    taxonomy = get_taxonomy()
    archives = taxonomy.archives()
    pages = max((len(archives) + PAGE - 1) // PAGE, 1)
    page = min(max(page, 0), pages - 1)
    rows = []
    for archive in archives[page * PAGE : (page + 1) * PAGE]:
        codes = set(taxonomy.categories_in(archive.code)) | {archive.code}
        mark = "✓ " if codes & subscribed else ""
        if taxonomy.is_archive(archive.code):
            data = f"br:c:{archive.code}:0"
        else:
            data = f"br:t:{archive.code}:a{page}"
        rows.append(
            [
                InlineKeyboardButton(
                    f"{mark}{archive.code} · {archive.name}"[:60], callback_data=data
                )
            ]
        )
    rows.append(_pager("br:a", page, pages))
    return t("browser_archives", lang), InlineKeyboardMarkup([r for r in rows if r])


def categories_view(
    archive: str, subscribed: set[str], lang: str, page: int
) -> tuple[str, InlineKeyboardMarkup]:
    """The second level: an archive's categories with names, ✓ on subscribed ones, and "all"."""
    taxonomy = get_taxonomy()
    codes = list(taxonomy.categories_in(archive))
    pages = max((len(codes) + PAGE - 1) // PAGE, 1)
    page = min(max(page, 0), pages - 1)
    rows = []
    whole = "✓ " if archive in subscribed else ""
    rows.append(
        [
            InlineKeyboardButton(
                f"{whole}{t('browser_whole_archive', lang)} {archive}",
                callback_data=f"br:t:{archive}:{page}",
            )
        ]
    )
    for code in codes[page * PAGE : (page + 1) * PAGE]:
        category = taxonomy.category(code)
        name = category.name if category else code
        mark = "✓ " if code in subscribed else ""
        rows.append(
            [
                InlineKeyboardButton(
                    f"{mark}{code} · {name}"[:60], callback_data=f"br:t:{code}:{page}"
                )
            ]
        )
    rows.append(_pager(f"br:c:{archive}", page, pages))
    rows.append([InlineKeyboardButton(t("browser_back", lang), callback_data="br:a:0")])
    title = t("browser_categories", lang, archive=escape(taxonomy.display_name(archive)))
    return title, InlineKeyboardMarkup([r for r in rows if r])


async def open_browser(update: Update, context: Context, chat: Chat) -> None:
    """Send the browser's first level."""
    text, keyboard = archives_view(_subscribed(context, chat.chat_id), chat.ui_language, 0)
    await reply(update, context, text, reply_markup=keyboard)


async def browser_button(update: Update, context: Context) -> None:
    """Every `br:` button: navigate, page, or toggle a subscription."""
    query = update.callback_query
    assert query is not None and query.data is not None
    chat = register_chat(update, context)
    lang = chat.ui_language
    parts = query.data.split(":")
    taxonomy = get_taxonomy()
    subscribed = _subscribed(context, chat.chat_id)
    try:
        if parts[1] == "noop":
            await query.answer()
            return
        if parts[1] == "a":
            text, keyboard = archives_view(subscribed, lang, int(parts[2]))
        elif parts[1] == "c" and taxonomy.archive(parts[2]):
            text, keyboard = categories_view(parts[2], subscribed, lang, int(parts[3]))
        elif parts[1] == "t" and taxonomy.canonical(parts[2]) == parts[2]:
            if not await may_change_settings(update, context, chat):
                return
            code = parts[2]
            store = services(context).store
            item = Subscription("category", code)
            if code in subscribed:
                chats.remove_subscriptions(store, chat.chat_id, [item])
                subscribed.discard(code)
                await query.answer(f"✖ {code}")
            else:
                if len(chats.subscriptions(store, chat.chat_id)) >= 50:
                    await query.answer(t("too_many_subscriptions", lang, limit=50), show_alert=True)
                    return
                chats.add_subscriptions(store, chat.chat_id, [item])
                subscribed.add(code)
                await query.answer(f"✓ {code}")
            back = parts[3] if len(parts) > 3 else "0"
            category = taxonomy.category(code)
            archive = category.archive if category else code
            if back.startswith("a") or not taxonomy.is_archive(archive):
                text, keyboard = archives_view(subscribed, lang, int(back.lstrip("a") or 0))
            else:
                text, keyboard = categories_view(archive, subscribed, lang, int(back))
            await edit(update, context, text, reply_markup=keyboard)
            return
        else:
            raise ValueError(query.data)
    except (ValueError, IndexError):
        # Forged or stale data: answer so the spinner stops, change nothing.
        await query.answer()
        return
    await query.answer()
    await edit(update, context, text, reply_markup=keyboard)

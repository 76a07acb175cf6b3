"""The category browser: `/subscribe` with no argument. Archives → categories, tap to toggle.

Callback data stays short: `br:a:P` (archive list, page P), `br:c:ARCHIVE:P` (an archive's
categories, page P), `br:t:CODE:P` (toggle a category, stay on page P). The longest code is
well under Telegram's 64 bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.i18n import t
from bot.models import SubscriptionKind
from bot.render.telegram import escape
from bot.sources.taxonomy import get_taxonomy
from bot.subscriptions import add
from handlers.common import (
    Context,
    edit,
    may_change_settings,
    register_chat,
    reply,
    services,
)
from handlers.subscriptions import refusal
from storage import chats
from storage.chats import Chat, Subscription

PAGE = 8


def _subscribed(context: Context, chat_id: int) -> set[str]:
    return {
        s.value
        for s in chats.subscriptions(services(context).store, chat_id)
        if s.kind is SubscriptionKind.CATEGORY
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


@dataclass(frozen=True)
class Press:
    """A browser button, parsed: `view` is `noop`, `archives`, `archive` or `toggle`."""

    view: str
    code: str = ""
    page: int = 0
    to_archives: bool = False  # a toggle on the archive list returns there


def _page(text: str) -> int:
    if not (text.isascii() and text.isdecimal()) or len(text) > 4:
        raise ValueError(text)
    return int(text)


def parse_press(data: str) -> Press | None:
    """The button behind callback data, or None for data the browser never sent (forged,
    truncated or from another version of the bot)."""
    prefix, *parts = data.split(":")
    if prefix != "br":
        return None
    try:
        match parts:
            case ["noop"]:
                return Press("noop")
            case ["a", page]:
                return Press("archives", page=_page(page))
            case ["c", code, page]:
                return Press("archive", code, _page(page))
            case ["t", code, back]:
                to_archives = back.startswith("a")
                return Press("toggle", code, _page(back.removeprefix("a")), to_archives)
    except ValueError:
        return None
    return None


async def browser_button(update: Update, context: Context) -> None:
    """Every `br:` button: navigate, page, or toggle a subscription."""
    query = update.callback_query
    assert query is not None
    chat = register_chat(update, context)
    lang = chat.ui_language
    press = parse_press(query.data or "")
    taxonomy = get_taxonomy()
    subscribed = _subscribed(context, chat.chat_id)
    if press is None or press.view == "noop":
        await query.answer()  # the spinner stops; nothing changes
        return
    if press.view == "archives":
        text, keyboard = archives_view(subscribed, lang, press.page)
    elif press.view == "archive" and taxonomy.archive(press.code):
        text, keyboard = categories_view(press.code, subscribed, lang, press.page)
    elif press.view == "toggle" and taxonomy.canonical(press.code) == press.code:
        if not await may_change_settings(update, context, chat):
            return
        if not await _toggle(update, context, chat, press.code, subscribed):
            return
        category = taxonomy.category(press.code)
        archive = category.archive if category else press.code
        if press.to_archives or not taxonomy.is_archive(archive):
            text, keyboard = archives_view(subscribed, lang, press.page)
        else:
            text, keyboard = categories_view(archive, subscribed, lang, press.page)
        await edit(update, context, text, reply_markup=keyboard)
        return
    else:
        await query.answer()  # a code the taxonomy does not know: forged or stale
        return
    await query.answer()
    await edit(update, context, text, reply_markup=keyboard)


async def _toggle(
    update: Update, context: Context, chat: Chat, code: str, subscribed: set[str]
) -> bool:
    """Follow or unfollow `code` and answer the press; False when a limit refused it."""
    query = update.callback_query
    assert query is not None
    store = services(context).store
    item = Subscription(SubscriptionKind.CATEGORY, code)
    if code in subscribed:
        chats.remove_subscriptions(store, chat.chat_id, [item])
        subscribed.discard(code)
        await query.answer(f"✖ {code}")
        return True
    refused = refusal(add(store, chat.chat_id, [item]), chat.ui_language)
    if refused:
        await query.answer(refused, show_alert=True)
        return False
    subscribed.add(code)
    await query.answer(f"✓ {code}")
    return True

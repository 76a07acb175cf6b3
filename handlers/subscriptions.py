"""/subscribe, /keyword, /author, /unsubscribe, /list and the list's remove buttons."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.i18n import t
from bot.match import parse_keywords
from bot.models import SubscriptionKind
from bot.names import followed_authors, name_tokens
from bot.render.telegram import echo, escape
from bot.sources.taxonomy import get_taxonomy
from bot.subscriptions import MAX_SUBSCRIPTIONS, MAX_VALUE_LENGTH, AddResult, Outcome, add
from handlers.common import (
    Context,
    command_args,
    edit,
    may_change_settings,
    register_chat,
    reply,
    services,
)
from storage import chats
from storage.chats import Subscription


def _codes(values: list[str]) -> str:
    # Up to 100 characters each: what was stored (keywords and names are shorter) shows whole,
    # what a user typed past that is summarised.
    return ", ".join(f"<code>{echo(v, 100)}</code>" for v in values)


def refusal(result: AddResult, lang: str) -> str | None:
    """What to tell a user whose request broke a limit; None when it did not."""
    if result.outcome is Outcome.OVER_CAP:
        return t("too_many_subscriptions", lang, limit=MAX_SUBSCRIPTIONS)
    if result.outcome is Outcome.TOO_LONG:
        return t("keyword_too_long", lang, limit=MAX_VALUE_LENGTH)
    return None


async def subscribe(update: Update, context: Context) -> None:
    """`/subscribe cs.CV cs.LG` (or an archive); near misses get "did you mean"."""
    chat = register_chat(update, context)
    lang = chat.ui_language
    text = command_args(context)
    if not text.strip():
        from handlers.browser import open_browser

        await open_browser(update, context, chat)
        return
    if not await may_change_settings(update, context, chat):
        return
    valid, invalid = get_taxonomy().validate(text.replace(",", " ").split())
    lines: list[str] = []
    for code, suggestions in invalid:
        line = t("unknown_category", lang, code=echo(code))
        if suggestions:
            line += t("did_you_mean", lang, suggestions=_codes(suggestions))
        lines.append(line)
    if valid:
        result = add(
            services(context).store,
            chat.chat_id,
            [Subscription(SubscriptionKind.CATEGORY, code) for code in valid],
        )
        key = "subscribed" if result.outcome is Outcome.ADDED else "already_subscribed"
        lines.append(refusal(result, lang) or t(key, lang, codes=_codes(valid)))
    if not valid and not invalid:
        lines.append(t("subscribe_usage", lang))
    await reply(update, context, "\n".join(lines))


async def keyword(update: Update, context: Context) -> None:
    """`/keyword word "a phrase" -excluded`."""
    chat = register_chat(update, context)
    lang = chat.ui_language
    includes, excludes = parse_keywords(command_args(context))
    if not includes and not excludes:
        await reply(update, context, t("keyword_usage", lang))
        return
    if not await may_change_settings(update, context, chat):
        return
    result = add(
        services(context).store,
        chat.chat_id,
        [Subscription(SubscriptionKind.KEYWORD, k.text, k.phrase) for k in includes]
        + [Subscription(SubscriptionKind.EXCLUDE, k.text, k.phrase) for k in excludes],
    )
    refused = refusal(result, lang)
    if refused:
        await reply(update, context, refused)
        return
    lines = []
    if includes:
        lines.append(t("keywords_added", lang, keywords=_codes([k.text for k in includes])))
    if excludes:
        lines.append(t("excludes_added", lang, keywords=_codes([k.text for k in excludes])))
    await reply(update, context, "\n".join(lines))


def _lines_after_command(update: Update) -> str:
    """The message after `/author`, line breaks kept: one author a line is a list (the
    command's args are split on any whitespace, which would lose them)."""
    message = update.effective_message
    text = (message.text or "") if message is not None else ""
    parts = text.split(maxsplit=1)
    return parts[1] if len(parts) == 2 and parts[0].startswith("/") else ""


async def author(update: Update, context: Context) -> None:
    """`/author Name`: several separated by `;`, new lines or commas, `Last, First` understood
    (bot/names.py); each is stored as `First Last`, which the reply shows."""
    chat = register_chat(update, context)
    lang = chat.ui_language
    names = followed_authors(_lines_after_command(update) or command_args(context))
    if not names:
        await reply(update, context, t("author_usage", lang))
        return
    if not await may_change_settings(update, context, chat):
        return
    result = add(
        services(context).store,
        chat.chat_id,
        [Subscription(SubscriptionKind.AUTHOR, n) for n in names],
    )
    await reply(
        update, context, refusal(result, lang) or t("authors_added", lang, authors=_codes(names))
    )


def _lookup(items: list[Subscription], token: str) -> list[Subscription]:
    """Subscriptions a user named in /unsubscribe: a code (aliases resolved), keyword or author."""
    wanted = token.strip().strip('"“”').casefold()
    canonical = get_taxonomy().canonical(token.strip())
    found = []
    for item in items:
        if item.value.casefold() == wanted or (
            item.kind is SubscriptionKind.CATEGORY
            and canonical is not None
            and item.value == canonical
        ):
            found.append(item)
    return found


def _followed_authors_named(items: list[Subscription], text: str) -> list[Subscription]:
    """The followed authors `text` names, read as /author reads names; empty unless every
    name in it is one the chat follows (then it is not a list of codes or keywords)."""
    wanted = [name_tokens(name) for name in followed_authors(text)]
    authors = [item for item in items if item.kind is SubscriptionKind.AUTHOR]
    found = [item for item in authors if name_tokens(item.value) in wanted]
    named = {name_tokens(item.value) for item in found}
    return found if wanted and all(w in named for w in wanted) else []


async def unsubscribe(update: Update, context: Context) -> None:
    """`/unsubscribe cs.CV`, several, a keyword or author, or `all` (confirmed by a button)."""
    chat = register_chat(update, context)
    lang = chat.ui_language
    text = command_args(context).strip()
    if not text:
        await reply(update, context, t("unsubscribe_usage", lang))
        return
    if not await may_change_settings(update, context, chat):
        return
    store = services(context).store
    items = chats.subscriptions(store, chat.chat_id)
    if text.casefold() == "all":
        if not items:
            await reply(update, context, t("nothing_to_remove", lang))
            return
        keyboard = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(t("yes_remove_all", lang), callback_data="unsub:all:yes"),
                    InlineKeyboardButton(t("cancel", lang), callback_data="unsub:all:no"),
                ]
            ]
        )
        await reply(
            update,
            context,
            t("confirm_unsubscribe_all", lang, count=len(items)),
            reply_markup=keyboard,
        )
        return
    includes, excludes = parse_keywords(text)
    tokens = [k.text for k in (*includes, *excludes)] if '"' in text else text.split()
    removed: list[Subscription] = _followed_authors_named(items, text)
    if removed:
        # `/unsubscribe Van Meter` or `Sathe, Pratik`: authors as /author reads them.
        tokens = []
    missing: list[str] = []
    for token in tokens:
        matches = _lookup(items, token)
        if matches:
            removed.extend(m for m in matches if m not in removed)
        else:
            missing.append(token)
    if removed:
        chats.remove_subscriptions(store, chat.chat_id, removed)
    if not removed and not missing:
        # Nothing named at all (`/unsubscribe "`): say what the command takes.
        await reply(update, context, t("unsubscribe_usage", lang))
        return
    lines = []
    if removed:
        lines.append(t("unsubscribed", lang, items=_codes([r.value for r in removed])))
    if missing:
        lines.append(t("not_subscribed", lang, items=_codes(missing)))
    await reply(update, context, "\n".join(lines))


def _list_view(items: list[Subscription], lang: str) -> tuple[str, InlineKeyboardMarkup | None]:
    if not items:
        return t("list_empty", lang), None
    groups = (
        (SubscriptionKind.CATEGORY, "list_categories"),
        (SubscriptionKind.KEYWORD, "list_keywords"),
        (SubscriptionKind.EXCLUDE, "list_excludes"),
        (SubscriptionKind.AUTHOR, "list_authors"),
    )
    taxonomy = get_taxonomy()
    lines = [t("list_title", lang, count=len(items))]
    buttons: list[list[InlineKeyboardButton]] = []
    for kind, label in groups:
        values = [item for item in items if item.kind == kind]
        if not values:
            continue
        lines.append(f"\n<b>{t(label, lang)}</b> ({len(values)})")
        for item in values:
            shown = (
                taxonomy.display_name(item.value)
                if kind is SubscriptionKind.CATEGORY
                else item.value
            )
            if kind is SubscriptionKind.EXCLUDE:
                shown = f"-{shown}"
            lines.append(f"• {escape(shown)}")
            caption = ("−" if kind is SubscriptionKind.EXCLUDE else "") + item.value
            buttons.append(
                [InlineKeyboardButton(f"✖ {caption[:40]}", callback_data=f"unsub:{item.id}")]
            )
    lines.append("\n" + t("list_hint", lang))
    return "\n".join(lines), InlineKeyboardMarkup(buttons)


async def list_subscriptions(update: Update, context: Context) -> None:
    """`/list`: grouped, with counts, each removable by a button."""
    chat = register_chat(update, context)
    items = chats.subscriptions(services(context).store, chat.chat_id)
    text, keyboard = _list_view(items, chat.ui_language)
    await reply(update, context, text, reply_markup=keyboard)


async def unsubscribe_button(update: Update, context: Context) -> None:
    """Buttons of /list (`unsub:ID`, a subscription's row id) and of the `all` confirmation
    (`unsub:all:yes|no`). Anything else (forged, truncated, stale) is answered and ignored."""
    query = update.callback_query
    assert query is not None
    chat = register_chat(update, context)
    lang = chat.ui_language
    prefix, _, action = (query.data or "").partition(":")
    if prefix != "unsub" or not (action in ("all:yes", "all:no") or action.isdecimal()):
        await query.answer()
        return
    if not await may_change_settings(update, context, chat):
        return
    store = services(context).store
    if action == "all:no":
        await query.answer()
        await edit(update, context, t("cancelled", lang))
        return
    if action == "all:yes":
        count = chats.clear_subscriptions(store, chat.chat_id)
        await query.answer()
        await edit(update, context, t("unsubscribed", lang, items=str(count)))
        return
    items = chats.subscriptions(store, chat.chat_id)
    item = next((i for i in items if i.id == int(action)), None)
    if item is None:
        # A stale or forged button: nothing to remove; show the current list.
        await query.answer()
    else:
        chats.remove_subscriptions(store, chat.chat_id, [item])
        await query.answer(f"✖ {item.value}"[:190])
        items = chats.subscriptions(store, chat.chat_id)
    text, keyboard = _list_view(items, lang)
    await edit(update, context, text, reply_markup=keyboard)

"""/search QUERY: arXiv results five at a time, translated titles, buttons to page and act.

Callback data carries a short key for the query (storage.searches), never the query itself:
`sp:KEY:PAGE` pages, `sd:KEY:PAGE:N` shows result N's abstract, `sk:KEY` follows what the
query means (authors, keywords, a category). ☆/⭐ reuses the paper buttons' `save:ID`
(bot.render.buttons).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.flood import SEARCH_LIMIT, Verdict
from bot.i18n import t
from bot.models import SubscriptionKind
from bot.render.buttons import save_label
from bot.render.latex import latex_to_text
from bot.render.telegram import authors_line, echo, escape, telegram_length
from bot.sources.search import (
    FollowPlan,
    FollowRefusal,
    SearchError,
    SearchHit,
    SearchPage,
    SearchQuery,
    follow_plan,
    parse_query,
)
from bot.subscriptions import add
from bot.text import cut_text
from handlers.common import (
    Context,
    command_args,
    edit,
    may_change_settings,
    register_chat,
    reply,
    services,
    show_typing,
)
from handlers.subscriptions import refusal
from storage import papers, saved, searches
from storage.chats import Chat, Subscription

# Pages past this are not offered by arXiv's API in practice; a bigger number is forged.
LAST_PAGE = 100


def _quota_wait(context: Context, chat: Chat, query: SearchQuery, page: int) -> int:
    """Whole seconds the chat must wait before this search may go to arXiv (0: go ahead).

    A page the search cache holds costs arXiv nothing, so it is never counted (bot.flood).
    """
    if services(context).search.cached(query, page) is not None:
        return 0
    quota = services(context).search_quota
    if quota.check(chat.chat_id) is Verdict.ALLOW:
        return 0
    return max(1, math.ceil(quota.retry_in(chat.chat_id)))


async def _titles(context: Context, chat: Chat, hits: tuple[SearchHit, ...]) -> dict[str, str]:
    titles = [hit.paper.title for hit in hits]
    translated = await services(context).translator.translate(titles, chat.language)
    return {title: translated.get(title) or title for title in titles}


def _saved_ids(context: Context, chat: Chat, page: SearchPage) -> frozenset[str]:
    """The results on this page the chat has saved (their stars are filled)."""
    store = services(context).store
    return frozenset(
        hit.paper.arxiv_id
        for hit in page.hits
        if saved.is_saved(store, chat.chat_id, hit.paper.arxiv_id)
    )


def results_view(
    page: SearchPage,
    key: str,
    titles: dict[str, str],
    lang: str,
    saved_ids: frozenset[str] = frozenset(),
) -> tuple[str, InlineKeyboardMarkup]:
    """The results message and its buttons; ⭐ on the results in `saved_ids`, ☆ on the rest."""
    lines = [t("search_title", lang, query=echo(page.query.text, 200), page=page.page + 1)]
    rows: list[list[InlineKeyboardButton]] = []
    for number, hit in enumerate(page.hits, page.page * 5 + 1):
        paper = hit.paper
        shown = latex_to_text(titles.get(paper.title, paper.title))
        original = latex_to_text(paper.title)
        block = [f"\n<b>{number}. {escape(shown)}</b>"]
        if shown != original:
            block.append(f"<i>{escape(original)}</i>")
        day = hit.published.isoformat() if hit.published else ""
        block.append(f"👥 {escape(authors_line(paper.authors, 5))}")
        block.append(f"📅 {day} · {escape(' '.join(paper.categories[:4]))}")
        block.append(
            f'🔗 <a href="{escape(paper.abs_url)}">arXiv:{escape(paper.versioned_id)}</a> · '
            f'<a href="{escape(paper.pdf_url)}">PDF</a>'
        )
        lines.extend(block)
        index = number - page.page * 5 - 1
        rows.append(
            [
                InlineKeyboardButton(f"ℹ️ {number}", callback_data=f"sd:{key}:{page.page}:{index}"),
                InlineKeyboardButton(
                    save_label(paper.arxiv_id in saved_ids, f" {number}"),
                    callback_data=f"save:{paper.arxiv_id}",
                ),
            ]
        )
    nav = []
    if page.page > 0:
        nav.append(InlineKeyboardButton("◀", callback_data=f"sp:{key}:{page.page - 1}"))
    if page.has_more:
        nav.append(InlineKeyboardButton("▶", callback_data=f"sp:{key}:{page.page + 1}"))
    if nav:
        rows.append(nav)
    if not page.query.id_list:
        rows.append([InlineKeyboardButton(t("search_follow", lang), callback_data=f"sk:{key}")])
    text = "\n".join(lines)
    while telegram_length(text) > 4096 and len(lines) > 1:
        lines.pop()
        text = "\n".join(lines)
    return text, InlineKeyboardMarkup(rows)


async def _run_search(
    update: Update, context: Context, chat: Chat, query: SearchQuery, page_number: int
) -> tuple[SearchPage, str] | None:
    """Search (cached), replying itself for no results and errors."""
    lang = chat.ui_language
    await show_typing(context, chat.chat_id)
    try:
        page = await services(context).search.search(query, page_number)
    except SearchError as exc:
        key = "search_bad_query" if exc.kind == "bad-query" else "search_unavailable"
        await reply(update, context, t(key, lang, query=echo(query.text, 200)))
        return None
    if not page.hits:
        await reply(update, context, t("search_no_results", lang, query=echo(query.text, 200)))
        return None
    papers.remember_papers(services(context).store, [hit.paper for hit in page.hits])
    return page, searches.remember_query(services(context).store, query.text)


async def search(update: Update, context: Context) -> None:
    """`/search QUERY`: the first page of results."""
    chat = register_chat(update, context)
    lang = chat.ui_language
    text = command_args(context).strip()
    if not text:
        await reply(update, context, t("search_usage", lang))
        return
    if len(text) > 300:
        await reply(update, context, t("search_too_long", lang))
        return
    try:
        query = parse_query(text)
    except SearchError as exc:
        if exc.kind == "bad-sort":
            await reply(update, context, t("search_bad_sort", lang, value=echo(str(exc), 30)))
        else:
            await reply(update, context, t("search_usage", lang))
        return
    wait = _quota_wait(context, chat, query, 0)
    if wait:
        await reply(update, context, t("search_flood", lang, limit=SEARCH_LIMIT, seconds=wait))
        return
    found = await _run_search(update, context, chat, query, 0)
    if found is None:
        return
    page, key = found
    message, keyboard = results_view(
        page, key, await _titles(context, chat, page.hits), lang, _saved_ids(context, chat, page)
    )
    await reply(update, context, message, reply_markup=keyboard)


@dataclass(frozen=True)
class Press:
    """A button under search results, parsed: `action` is `sp` (page), `sd` (details of result
    `index` on `page`) or `sk` (follow the query as a keyword)."""

    action: str
    key: str
    page: int = 0
    index: int = 0


def _number(text: str, most: int) -> int:
    if not (text.isascii() and text.isdecimal()) or int(text) > most:
        raise ValueError(text)
    return int(text)


def parse_press(data: str) -> Press | None:
    """The button behind callback data, or None for data these results never carried."""
    try:
        match data.split(":"):
            case ["sk", key] if key:
                return Press("sk", key)
            case ["sp", key, page] if key:
                return Press("sp", key, _number(page, LAST_PAGE))
            case ["sd", key, page, index] if key:
                return Press("sd", key, _number(page, LAST_PAGE), _number(index, 4))
    except ValueError:
        return None
    return None


async def search_button(update: Update, context: Context) -> None:
    """◀ ▶, ℹ️ details and "follow as keyword" under search results."""
    query = update.callback_query
    assert query is not None
    chat = register_chat(update, context)
    lang = chat.ui_language
    press = parse_press(query.data or "")
    if press is None:
        await query.answer()  # forged or truncated: nothing to do
        return
    text = searches.query_for(services(context).store, press.key)
    if text is None:
        await query.answer(t("search_expired", lang), show_alert=True)
        return
    if press.action == "sk":
        await _follow(update, context, chat, text)
        return
    try:
        search_query = parse_query(text)
    except SearchError:
        await query.answer(t("search_expired", lang), show_alert=True)
        return
    wait = _quota_wait(context, chat, search_query, press.page)
    if wait:
        alert = t("search_flood", lang, limit=SEARCH_LIMIT, seconds=wait)
        await query.answer(alert, show_alert=True)
        return
    await query.answer()
    found = await _run_search(update, context, chat, search_query, press.page)
    if found is None:
        return
    page, key = found
    if press.action == "sp":
        message, keyboard = results_view(
            page,
            key,
            await _titles(context, chat, page.hits),
            lang,
            _saved_ids(context, chat, page),
        )
        await edit(update, context, message, reply_markup=keyboard)
    elif press.index < len(page.hits):
        await _details(update, context, chat, page.hits[press.index])


def _followed(items: list[Subscription], lang: str) -> str:
    """The toast after ➕: what is followed now, in the reader's words."""
    shown = []
    for item in items:
        if item.kind is SubscriptionKind.AUTHOR:
            shown.append(t("search_follow_author", lang, name=item.value))
        elif item.kind is SubscriptionKind.CATEGORY:
            shown.append(item.value)
        else:
            shown.append(f"“{item.value}”")
    return t("search_followed", lang, items=", ".join(shown))


def _cannot_follow(plan: FollowPlan, lang: str) -> str:
    """Why ➕ added nothing (an alert, so plain text)."""
    if plan.refusal is FollowRefusal.NEGATION:
        return t("search_follow_negation", lang)
    if plan.refusal is FollowRefusal.FIELD:
        return t("search_follow_field", lang, field=cut_text(plan.detail, 30))
    if plan.refusal is FollowRefusal.CATEGORY:
        return t("search_follow_category", lang, code=cut_text(plan.detail, 30))
    return t("search_cannot_follow", lang)


async def _follow(update: Update, context: Context, chat: Chat, text: str) -> None:
    """➕: follow what the search means (authors, keywords, a category; bot.sources.search.
    follow_plan), under the same rules as the commands, or say why it cannot be followed."""
    query = update.callback_query
    assert query is not None
    lang = chat.ui_language
    if not await may_change_settings(update, context, chat):
        return
    plan = follow_plan(text)
    if plan.refusal is not None:
        await query.answer(_cannot_follow(plan, lang)[:200], show_alert=True)
        return
    items = [Subscription(kind, value, phrase) for kind, value, phrase in plan.items]
    result = add(services(context).store, chat.chat_id, items)
    refused = refusal(result, lang)
    if refused:
        await query.answer(refused, show_alert=True)
        return
    await query.answer(cut_text(_followed(items, lang), 190))


async def _details(update: Update, context: Context, chat: Chat, hit: SearchHit) -> None:
    texts = await services(context).translator.paper_texts(
        [hit.paper], chat.language, summaries=chat.summaries
    )
    text = texts[hit.paper.arxiv_id]
    lines = [f"<b>{escape(latex_to_text(text.title))}</b>"]
    if text.title != hit.paper.title:
        lines.append(f"<i>{escape(latex_to_text(hit.paper.title))}</i>")
    if text.summary:
        lines.append(f"💡 {escape(latex_to_text(text.summary))}")
    body = latex_to_text(text.abstract)
    lines.append(f"<blockquote expandable>{escape(cut_text(body, 3000))}</blockquote>")
    lines.append(
        f'🔗 <a href="{escape(hit.paper.abs_url)}">arXiv:{escape(hit.paper.versioned_id)}</a> · '
        f'<a href="{escape(hit.paper.pdf_url)}">PDF</a>'
    )
    await reply(update, context, "\n".join(lines))

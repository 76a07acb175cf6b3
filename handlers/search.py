"""/search QUERY: arXiv results five at a time, translated titles, buttons to page and act.

Callback data carries a short key for the query (storage.searches), never the query itself:
`sp:KEY:PAGE` pages, `sd:KEY:PAGE:N` shows result N's abstract, `sk:KEY` follows the query as
a keyword. ⭐ reuses the paper buttons' `save:ID`.
"""

from __future__ import annotations

import time
from collections import defaultdict, deque

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatAction

from bot.i18n import t
from bot.match import parse_keywords
from bot.render.latex import latex_to_text
from bot.render.telegram import authors_line, echo, escape, telegram_length
from bot.sources.search import SearchError, SearchHit, SearchPage, parse_query
from bot.text import cut_text
from handlers.common import Context, command_args, edit, register_chat, reply, services
from storage import chats, papers, searches
from storage.chats import Chat, Subscription

# At most this many searches per chat in the window: arXiv's limit is shared by everyone.
FLOOD_COUNT = 5
FLOOD_SECONDS = 60.0
_recent: defaultdict[int, deque[float]] = defaultdict(deque)


def _flooding(chat_id: int, now: float) -> float:
    """Seconds this chat must wait before searching again (0 when it may search)."""
    window = _recent[chat_id]
    while window and now - window[0] > FLOOD_SECONDS:
        window.popleft()
    if len(window) >= FLOOD_COUNT:
        return FLOOD_SECONDS - (now - window[0])
    window.append(now)
    return 0.0


async def _titles(context: Context, chat: Chat, hits: tuple[SearchHit, ...]) -> dict[str, str]:
    titles = [hit.paper.title for hit in hits]
    translated = await services(context).translator.translate(titles, chat.language)
    return {title: translated.get(title) or title for title in titles}


def results_view(
    page: SearchPage, key: str, titles: dict[str, str], lang: str
) -> tuple[str, InlineKeyboardMarkup]:
    """The results message and its buttons."""
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
                InlineKeyboardButton(f"⭐ {number}", callback_data=f"save:{paper.arxiv_id}"),
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
    update: Update, context: Context, chat: Chat, query_text: str, page_number: int
) -> tuple[SearchPage, str] | None:
    """Search (cached), replying itself for no results and errors."""
    lang = chat.ui_language
    try:
        query = parse_query(query_text)
    except SearchError:
        await reply(update, context, t("search_usage", lang))
        return None
    await context.bot.send_chat_action(chat.chat_id, ChatAction.TYPING)
    try:
        page = await services(context).search.search(query, page_number)
    except SearchError as exc:
        key = "search_bad_query" if exc.kind == "bad-query" else "search_unavailable"
        await reply(update, context, t(key, lang, query=echo(query_text, 200)))
        return None
    if not page.hits:
        await reply(update, context, t("search_no_results", lang, query=echo(query_text, 200)))
        return None
    papers.remember_papers(services(context).store, [hit.paper for hit in page.hits])
    return page, searches.remember_query(services(context).store, query_text)


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
    wait = _flooding(chat.chat_id, time.monotonic())
    if wait:
        await reply(update, context, t("search_flood", lang, seconds=int(wait) + 1))
        return
    found = await _run_search(update, context, chat, text, 0)
    if found is None:
        return
    page, key = found
    message, keyboard = results_view(page, key, await _titles(context, chat, page.hits), lang)
    await reply(update, context, message, reply_markup=keyboard)


async def search_button(update: Update, context: Context) -> None:
    """◀ ▶, ℹ️ details and "follow as keyword" under search results."""
    query = update.callback_query
    assert query is not None and query.data is not None
    chat = register_chat(update, context)
    lang = chat.ui_language
    parts = query.data.split(":")
    text = searches.query_for(services(context).store, parts[1]) if len(parts) > 1 else None
    if text is None:
        await query.answer(t("search_expired", lang), show_alert=True)
        return
    try:
        if parts[0] == "sk":
            includes, _ = parse_keywords(text if '"' in text else f'"{text}"')
            if not includes or len(includes[0].text) > 100:
                await query.answer(t("search_cannot_follow", lang), show_alert=True)
                return
            chats.add_subscriptions(
                services(context).store,
                chat.chat_id,
                [Subscription("keyword", k.text, k.phrase) for k in includes],
            )
            await query.answer(t("search_followed", lang, keyword=includes[0].text)[:190])
            return
        page_number = int(parts[2])
        if page_number < 0 or page_number > 100:
            raise ValueError(page_number)
    except (ValueError, IndexError):
        await query.answer()
        return
    await query.answer()
    found = await _run_search(update, context, chat, text, page_number)
    if found is None:
        return
    page, key = found
    if parts[0] == "sp":
        message, keyboard = results_view(page, key, await _titles(context, chat, page.hits), lang)
        await edit(update, context, message, reply_markup=keyboard)
    elif parts[0] == "sd" and len(parts) > 3 and parts[3].isdigit():
        index = int(parts[3])
        if index >= len(page.hits):
            return
        await _details(update, context, chat, page.hits[index])


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

"""/digest, /export, /saved, /status and the buttons under each paper (⭐ save, 👍/👎).

Callback data: `save:ID` (⭐ toggles), `fb:1:ID` / `fb:-1:ID` (👍/👎, again to take back),
`sv:p:PAGE` (a /saved page), `sv:r:PAGE:ID` (remove ID from the saved, show PAGE again).
"""

from __future__ import annotations

import asyncio
import io
import logging
import math
from dataclasses import dataclass

from telegram import InlineKeyboardMarkup, InputFile, Message, Update
from telegram.error import BadRequest

from bot.chat_settings import zone_label
from bot.digest import ChatDigest, chat_digest, followed_categories, match_chat
from bot.i18n import t
from bot.ingest import fetch_and_store
from bot.models import ReasonKind
from bot.push import digest_messages
from bot.render.buttons import paper_buttons, saved_page_buttons, with_paper_state
from bot.render.markdown import render_markdown
from bot.render.telegram import escape
from bot.sources.ids import InvalidArxivId, parse_arxiv_id
from bot.text import cut_text
from bot.translate.report import chain_report
from handlers.common import (
    Context,
    command_args,
    edit,
    register_chat,
    reply,
    services,
    show_typing,
)
from storage import chats, deliveries, fetchlog, outbox, papers, saved
from storage.chats import Chat
from storage.database import Store
from storage.fetchlog import FetchStatus
from storage.outbox import Kind
from storage.retention import database_size

log = logging.getLogger(__name__)

MORE_CAP = 200


async def _ensure_fetched(context: Context, chat: Chat) -> None:
    """Fetch now when nothing is stored yet or the chat follows a category never fetched."""
    store = services(context).store
    codes = followed_categories(store, chat)
    if papers.latest_announcement(store) is not None and set(codes) <= fetchlog.fetched_categories(
        store
    ):
        return
    everything = sorted(set(chats.subscribed_categories(store)) | set(codes))
    if everything:
        await fetch_and_store(services(context).settings, store, everything)


async def _digest_for(
    update: Update, context: Context, chat: Chat, *, cap: int | None = None, first: int = 1
) -> ChatDigest | None:
    """The chat's digest (up to `cap` papers, the chat's own cap by default), its papers from
    the `first`-th on translated, fetching first when needed; replies itself when there is
    none."""
    lang = chat.ui_language
    store = services(context).store
    if not chats.subscriptions(store, chat.chat_id):
        await reply(update, context, t("list_empty", lang))
        return None
    await show_typing(context, chat.chat_id)
    await _ensure_fetched(context, chat)
    result = await chat_digest(
        store,
        services(context).translator,
        chat,
        cap=cap,
        first=first,
        ranking=services(context).ranking,
    )
    if result is None:
        last = fetchlog.last_fetch(store)
        key = (
            "digest_fetch_failed"
            if last and last.status == FetchStatus.ERROR
            else "digest_none_yet"
        )
        await reply(update, context, t(key, lang))
        return None
    if not result.digest.entries:
        day = result.digest.announced.isoformat() if result.digest.announced else "—"
        await reply(update, context, t("digest_no_matches", lang, date=day))
        return None
    return result


async def digest(update: Update, context: Context) -> None:
    """`/digest`: the overview, then one message per paper with buttons; `/digest more`: the
    papers the cap left out.

    The messages go through the outbox like the daily push (paced, recorded in the ledger when
    Telegram confirms them, resumed after a restart), ahead of any push in progress.
    """
    chat = register_chat(update, context)
    more = command_args(context).strip().lower() == "more"
    # `more`: the papers past the chat's cap, up to MORE_CAP, without the overview.
    first = chat.max_papers + 1 if more else 1
    result = await _digest_for(update, context, chat, cap=MORE_CAP if more else None, first=first)
    if result is None:
        return
    if more and len(result.digest.entries) <= chat.max_papers:
        await reply(update, context, t("digest_no_more", chat.ui_language))
        return
    store = services(context).store
    marked = saved.saved_among(
        store, chat.chat_id, [e.paper.arxiv_id for e in result.digest.entries]
    )
    # Rendering converts every abstract's LaTeX: a worker thread keeps other chats answered.
    messages = await asyncio.to_thread(
        digest_messages,
        result.digest,
        result.texts,
        result.language,
        chat.chat_id,
        first=first,
        overview=not more,
        kind=Kind.REQUESTED,
        saved=marked,
    )
    outbox.enqueue(store, messages)
    services(context).sender.wake()


async def export(update: Update, context: Context) -> None:
    """`/export`: the latest digest as the Markdown file."""
    chat = register_chat(update, context)
    # The whole digest, not stopped at the chat's cap.
    result = await _digest_for(update, context, chat, cap=MORE_CAP)
    if result is None:
        return
    document = await asyncio.to_thread(
        render_markdown, result.digest, result.texts, result.language
    )
    day = result.digest.announced.isoformat() if result.digest.announced else "latest"
    caption = t("export_caption", chat.ui_language, date=day, count=len(result.digest.entries))
    await services(context).sender.call(
        chat.chat_id,
        lambda: context.bot.send_document(
            chat.chat_id,
            InputFile(io.BytesIO(document.encode("utf-8")), filename=f"arxiv-digest-{day}.md"),
            caption=caption,
        ),
    )


SAVED_PER_PAGE = 10
# Pages past this cannot exist (storage.saved.MAX_SAVED papers at most); a bigger one is forged.
SAVED_LAST_PAGE = saved.MAX_SAVED // SAVED_PER_PAGE
REMOVE_LABEL = "✖"


def _saved_page(store: Store, chat: Chat, page: int) -> tuple[str, InlineKeyboardMarkup] | None:
    """Page `page` of the chat's saved papers (the last one when it no longer reaches that far)
    with its remove and ◀ ▶ buttons; None when nothing is saved."""
    lang = chat.ui_language
    total = saved.saved_count(store, chat.chat_id)
    if not total:
        return None
    pages = math.ceil(total / SAVED_PER_PAGE)
    page = min(page, pages - 1)
    first = page * SAVED_PER_PAGE
    items = saved.saved_papers(store, chat.chat_id, limit=SAVED_PER_PAGE, offset=first)
    title = t("saved_title", lang, count=total)
    if pages > 1:
        title += t("saved_page", lang, page=page + 1, pages=pages)
    lines = [title]
    for number, item in enumerate(items, first + 1):
        lines.append(
            f'{number}. <a href="https://arxiv.org/abs/{escape(item.arxiv_id)}">'
            f"{escape(cut_text(item.title, 200))}</a> <code>{escape(item.arxiv_id)}</code>"
        )
    lines.append(f"<i>{t('saved_hint', lang)}</i>")
    buttons = saved_page_buttons(
        [item.arxiv_id for item in items], first + 1, page, pages, REMOVE_LABEL
    )
    return "\n".join(lines), buttons


async def saved_list(update: Update, context: Context) -> None:
    """`/saved`: the papers this chat saved with ⭐, newest first, ten a page, each with a
    button that removes it."""
    chat = register_chat(update, context)
    shown = _saved_page(services(context).store, chat, 0)
    if shown is None:
        await reply(update, context, t("saved_empty", chat.ui_language))
        return
    text, buttons = shown
    await reply(update, context, text, reply_markup=buttons)


@dataclass(frozen=True)
class SavedPress:
    """A button under a /saved page: `remove` names the paper to unsave (None: only turn to
    `page`)."""

    page: int
    remove: str | None = None


def parse_saved_press(data: str) -> SavedPress | None:
    """The /saved button behind callback data, or None for data the bot never sent."""
    match data.split(":", 3):
        case ["sv", "p", page] if page.isascii() and page.isdecimal():
            number = int(page)
            return SavedPress(number) if number <= SAVED_LAST_PAGE else None
        case ["sv", "r", page, raw_id] if page.isascii() and page.isdecimal():
            try:
                arxiv_id, _ = parse_arxiv_id(raw_id)
            except InvalidArxivId:
                return None
            number = int(page)
            return SavedPress(number, arxiv_id) if number <= SAVED_LAST_PAGE else None
    return None


async def saved_button(update: Update, context: Context) -> None:
    """◀ ▶ and ✖ under a /saved page: the page is edited in place."""
    query = update.callback_query
    assert query is not None
    chat = register_chat(update, context)
    lang = chat.ui_language
    store = services(context).store
    press = parse_saved_press(query.data or "")
    if press is None:
        await query.answer()  # forged or truncated
        return
    if press.remove is None:
        await query.answer()
    elif saved.remove_saved(store, chat.chat_id, press.remove):
        await query.answer(t("saved_off", lang))
    else:
        await query.answer(t("saved_already_removed", lang))
    shown = _saved_page(store, chat, press.page)
    if shown is None:
        await edit(update, context, t("saved_empty", lang))
        return
    text, buttons = shown
    await edit(update, context, text, reply_markup=buttons)


@dataclass(frozen=True)
class PaperPress:
    """A button under a paper: ⭐ (`vote` None) or 👍/👎 (`vote` 1 or -1)."""

    arxiv_id: str
    vote: int | None = None


def parse_paper_press(data: str) -> PaperPress | None:
    """`save:ID`, `fb:1:ID` or `fb:-1:ID` (as sent since the first release), else None."""
    match data.split(":", 2):
        case ["save", raw_id]:
            vote = None
        case ["fb", ("1" | "-1") as value, raw_id]:
            vote = int(value)
        case _:
            return None
    try:
        arxiv_id, _ = parse_arxiv_id(raw_id)
    except InvalidArxivId:
        return None
    return PaperPress(arxiv_id, vote)


async def show_paper_state(
    update: Update, store: Store, arxiv_id: str, *, now_saved: bool, vote: int | None
) -> None:
    """Redraw the pressed message's buttons to show the paper's state; the rest unchanged."""
    query = update.callback_query
    assert query is not None
    message = query.message
    markup = message.reply_markup if isinstance(message, Message) else None
    if markup is None:
        # Telegram sends the message's keyboard with the press; without it, the paper's own.
        paper = papers.paper_by_id(store, arxiv_id)
        if paper is None:
            return
        markup = paper_buttons(paper)
    new = with_paper_state(markup, arxiv_id, saved=now_saved, vote=vote)
    if new.to_dict() == markup.to_dict():
        return  # an old ⭐ that is now saved looks the same: editing would be refused
    try:
        await query.edit_message_reply_markup(new)
    except BadRequest as exc:
        # Deleted, too old to edit, or already showing this: the answer said what happened.
        log.debug("buttons of a pressed message not redrawn: %s", exc.message)


async def paper_button(update: Update, context: Context) -> None:
    """⭐ toggles a saved paper; 👍/👎 vote, the same again takes the vote back. The buttons
    on the message show the new state, and the chat's ranking learns from it. Forged ids are
    answered and ignored."""
    query = update.callback_query
    assert query is not None
    chat = register_chat(update, context)
    lang = chat.ui_language
    store = services(context).store
    press = parse_paper_press(query.data or "")
    if press is None:
        await query.answer()
        return
    arxiv_id = press.arxiv_id
    if press.vote is None:
        paper = papers.paper_by_id(store, arxiv_id)
        title = paper.title if paper is not None else arxiv_id
        now_saved = saved.toggle_saved(store, chat.chat_id, arxiv_id, title)
        vote = saved.feedback_on(store, chat.chat_id, arxiv_id)
        await query.answer(t("saved_on" if now_saved else "saved_off", lang))
    else:
        vote = saved.toggle_feedback(store, chat.chat_id, arxiv_id, press.vote)
        now_saved = saved.is_saved(store, chat.chat_id, arxiv_id)
        await query.answer(t("feedback_thanks" if vote is not None else "feedback_undone", lang))
    # ⭐ and 👍/👎 are the ranker's signals: the model is retrained (debounced, off the loop).
    services(context).ranking.feedback_changed(chat.chat_id)
    await show_paper_state(update, store, arxiv_id, now_saved=now_saved, vote=vote)


async def status(update: Update, context: Context) -> None:
    """`/status`: last fetch, the announcement date, and per category announced → matched →
    sent."""
    chat = register_chat(update, context)
    lang = chat.ui_language
    store = services(context).store
    last = fetchlog.last_fetch(store)
    lines = [t("status_title", lang)]
    if last is None:
        lines.append(t("status_never_fetched", lang))
    else:
        state = last.status + (f" ({escape(last.error or '')})" if last.error else "")
        lines.append(t("status_last_fetch", lang, time=escape(last.finished_at), state=state))
    announced = papers.latest_announcement(store)
    if announced is not None:
        lines.append(t("status_announcement", lang, date=announced.isoformat()))
        matches = match_chat(store, chat, announced=announced, cap=MORE_CAP)
        entries = matches.entries if matches else ()
        counts = papers.announcement_counts(store, announced)
        sent = deliveries.delivered_versions(
            store, chat.chat_id, [e.paper.arxiv_id for e in entries]
        )
        for code in followed_categories(store, chat):
            announced_here = sum(counts.get(code, {}).values())
            matched = [
                e
                for e in entries
                if any(r.kind is ReasonKind.CATEGORY and r.value == code for r in e.reasons)
            ]
            delivered = sum(1 for e in matched if e.paper.arxiv_id in sent)
            lines.append(
                t(
                    "status_counts",
                    lang,
                    code=escape(code),
                    announced=announced_here,
                    matched=len(matched),
                    sent=delivered,
                )
            )
    paused = t("status_paused", lang) if chat.paused else ""
    lines.append(
        t(
            "status_settings",
            lang,
            time=escape(chat.delivery_time),
            timezone=escape(zone_label(chat.timezone)),
            language=escape(chat.language),
        )
        + paused
    )
    user = update.effective_user
    if user is not None and user.id in services(context).settings.admin_ids:
        # Operators see which translation backend works and when a failing one is retried.
        lines += [escape(line) for line in await chain_report(services(context).translator)]
        size = database_size(store)
        lines.append(
            t(
                "status_database",
                lang,
                total=f"{size.total_bytes / 1e6:.1f}",
                file=f"{size.file_bytes / 1e6:.1f}",
                wal=f"{size.wal_bytes / 1e6:.1f}",
                free=f"{size.free_bytes / 1e6:.1f}",
            )
        )
    await reply(update, context, "\n".join(lines))

"""/digest, /export, /saved, /status and the buttons under each paper (⭐ save, 👍/👎)."""

from __future__ import annotations

import asyncio
import io
import logging

from telegram import InputFile, Update

from bot.digest import ChatDigest, chat_digest, followed_categories, match_chat
from bot.i18n import t
from bot.ingest import fetch_and_store
from bot.models import ReasonKind
from bot.push import digest_messages
from bot.render.markdown import render_markdown
from bot.render.telegram import escape
from bot.sources.ids import InvalidArxivId, parse_arxiv_id
from handlers.common import Context, command_args, register_chat, reply, services, show_typing
from storage import chats, deliveries, fetchlog, outbox, papers, saved
from storage.chats import Chat
from storage.fetchlog import FetchStatus
from storage.outbox import Kind

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
    update: Update, context: Context, chat: Chat, *, more: bool = False, whole: bool = False
) -> ChatDigest | None:
    """The chat's digest, fetching first when needed; replies itself when there is none.
    `more`: the papers past the chat's cap, up to MORE_CAP, are the ones translated.
    `whole`: every paper up to MORE_CAP, all translated (the export is not capped)."""
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
        cap=MORE_CAP if more or whole else None,
        first=chat.max_papers + 1 if more else 1,
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
    result = await _digest_for(update, context, chat, more=more)
    if result is None:
        return
    if more and len(result.digest.entries) <= chat.max_papers:
        await reply(update, context, t("digest_no_more", chat.ui_language))
        return
    # Rendering converts every abstract's LaTeX: a worker thread keeps other chats answered.
    messages = await asyncio.to_thread(
        digest_messages,
        result.digest,
        result.texts,
        result.language,
        chat.chat_id,
        first=chat.max_papers + 1 if more else 1,
        overview=not more,
        kind=Kind.REQUESTED,
    )
    outbox.enqueue(services(context).store, messages)
    services(context).sender.wake()


async def export(update: Update, context: Context) -> None:
    """`/export`: the latest digest as the Markdown file."""
    chat = register_chat(update, context)
    result = await _digest_for(update, context, chat, whole=True)
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


async def saved_list(update: Update, context: Context) -> None:
    """`/saved`: the papers this chat saved with ⭐, newest first."""
    chat = register_chat(update, context)
    items = saved.saved_papers(services(context).store, chat.chat_id, limit=50)
    if not items:
        await reply(update, context, t("saved_empty", chat.ui_language))
        return
    lines = [t("saved_title", chat.ui_language, count=len(items))]
    for item in items:
        lines.append(
            f'• <a href="https://arxiv.org/abs/{escape(item.arxiv_id)}">{escape(item.title)}</a>'
            f" <code>{escape(item.arxiv_id)}</code>"
        )
    text = "\n".join(lines)
    while len(text) > 4000:
        lines.pop()
        text = "\n".join(lines)
    await reply(update, context, text)


async def paper_button(update: Update, context: Context) -> None:
    """⭐ toggles a saved paper; 👍/👎 are remembered. Forged ids are answered and ignored."""
    query = update.callback_query
    assert query is not None and query.data is not None
    chat = register_chat(update, context)
    lang = chat.ui_language
    store = services(context).store
    parts = query.data.split(":")
    try:
        arxiv_id, _ = parse_arxiv_id(parts[-1])
    except InvalidArxivId:
        await query.answer()
        return
    if parts[0] == "save":
        paper = papers.paper_by_id(store, arxiv_id)
        title = paper.title if paper is not None else arxiv_id
        now_saved = saved.toggle_saved(store, chat.chat_id, arxiv_id, title)
        await query.answer(t("saved_on" if now_saved else "saved_off", lang))
    elif parts[0] == "fb" and parts[1] in ("1", "-1"):
        saved.record_feedback(store, chat.chat_id, arxiv_id, int(parts[1]))
        await query.answer(t("feedback_thanks", lang))
    else:
        await query.answer()


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
            timezone=escape(chat.timezone),
            language=escape(chat.language),
        )
        + paused
    )
    await reply(update, context, "\n".join(lines))

"""/digest, /export, /saved, /status and the buttons under each paper (⭐ save, 👍/👎)."""

from __future__ import annotations

import io
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.constants import ChatAction

from bot.digest import ChatDigest, chat_digest, followed_categories, match_chat
from bot.i18n import t
from bot.ingest import fetch_and_store
from bot.models import DigestEntry, ReasonKind
from bot.render.markdown import render_markdown
from bot.render.telegram import escape, render_entry, render_overview
from bot.sources.ids import InvalidArxivId, parse_arxiv_id
from handlers.common import Context, command_args, register_chat, reply, services
from storage import chats, deliveries, fetchlog, papers, saved
from storage.chats import Chat

log = logging.getLogger(__name__)

MORE_CAP = 200


def entry_keyboard(entry: DigestEntry) -> InlineKeyboardMarkup:
    """PDF link, ⭐ save, and 👍/👎 under one paper; callback data ≤ 64 bytes."""
    arxiv_id = entry.paper.arxiv_id
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("📄 PDF", url=entry.paper.pdf_url),
                InlineKeyboardButton("⭐", callback_data=f"save:{arxiv_id}"),
                InlineKeyboardButton("👍", callback_data=f"fb:1:{arxiv_id}"),
                InlineKeyboardButton("👎", callback_data=f"fb:-1:{arxiv_id}"),
            ]
        ]
    )


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


async def _digest_for(update: Update, context: Context, chat: Chat) -> ChatDigest | None:
    """The chat's digest, fetching first when needed; replies itself when there is none."""
    lang = chat.ui_language
    store = services(context).store
    if not chats.subscriptions(store, chat.chat_id):
        await reply(update, t("list_empty", lang))
        return None
    await context.bot.send_chat_action(chat.chat_id, ChatAction.TYPING)
    await _ensure_fetched(context, chat)
    more = command_args(context).strip().lower() == "more"
    result = await chat_digest(
        store, services(context).translator, chat, cap=MORE_CAP if more else None
    )
    if result is None:
        last = fetchlog.last_fetch(store)
        key = "digest_fetch_failed" if last and last.status == "error" else "digest_none_yet"
        await reply(update, t(key, lang))
        return None
    if not result.digest.entries:
        day = result.digest.announced.isoformat() if result.digest.announced else "—"
        await reply(update, t("digest_no_matches", lang, date=day))
        return None
    return result


async def digest(update: Update, context: Context) -> None:
    """`/digest`: the overview, then one message per paper with buttons; `/digest more`: the
    papers the cap left out."""
    chat = register_chat(update, context)
    result = await _digest_for(update, context, chat)
    if result is None:
        return
    store = services(context).store
    more = command_args(context).strip().lower() == "more"
    entries = list(enumerate(result.digest.entries, 1))
    if more:
        entries = entries[chat.max_papers :]
        if not entries:
            await reply(update, t("digest_no_more", chat.ui_language))
            return
    else:
        for message in render_overview(result.digest, result.texts, result.language):
            await reply(update, message)
    for index, entry in entries:
        text = result.texts[entry.paper.arxiv_id]
        sent = await context.bot.send_message(
            chat.chat_id,
            render_entry(entry, text, result.language, index),
            reply_markup=entry_keyboard(entry),
        )
        deliveries.record_delivery(
            store,
            chat.chat_id,
            entry.paper.arxiv_id,
            entry.paper.version,
            result.digest.announced,
            sent.message_id,
        )


async def export(update: Update, context: Context) -> None:
    """`/export`: the latest digest as the Markdown file."""
    chat = register_chat(update, context)
    result = await _digest_for(update, context, chat)
    if result is None:
        return
    document = render_markdown(result.digest, result.texts, result.language)
    day = result.digest.announced.isoformat() if result.digest.announced else "latest"
    await context.bot.send_document(
        chat.chat_id,
        InputFile(io.BytesIO(document.encode("utf-8")), filename=f"arxiv-digest-{day}.md"),
        caption=t("export_caption", chat.ui_language, date=day, count=len(result.digest.entries)),
    )


async def saved_list(update: Update, context: Context) -> None:
    """`/saved`: the papers this chat saved with ⭐, newest first."""
    chat = register_chat(update, context)
    items = saved.saved_papers(services(context).store, chat.chat_id, limit=50)
    if not items:
        await reply(update, t("saved_empty", chat.ui_language))
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
    await reply(update, text)


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
        row = store.db.execute("SELECT title FROM papers WHERE arxiv_id = ?", [arxiv_id]).fetchone()
        now_saved = saved.toggle_saved(store, chat.chat_id, arxiv_id, row[0] if row else arxiv_id)
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
    await reply(update, "\n".join(lines))

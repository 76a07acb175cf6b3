"""What steers a chat's ranking besides ⭐ and 👍/👎 buttons: 🔎 "more like this" under a paper,
Telegram's own 👍/👎 reactions on a digest paper, /calibrate and /forget.

Callback data: `sim:ID` (🔎 similar papers), `fg:yes` / `fg:no` (/forget's confirmation).
The ranking itself (vocabulary, models, training) is `services.ranking` (bot.ranking).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection, Mapping, Sequence

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReactionTypeEmoji,
    Update,
)
from telegram.error import BadRequest

from bot import ranker
from bot.i18n import t
from bot.match import match_paper
from bot.models import Interests, Paper
from bot.reactions import vote_after_reaction
from bot.render.buttons import paper_buttons, vote_buttons
from bot.render.compact import compact_item, compact_list
from bot.render.latex import latex_to_text
from bot.render.telegram import escape
from bot.sources.ids import InvalidArxivId, parse_arxiv_id
from bot.text import cut_text, normalize_space
from bot.translate import TranslationService
from handlers.common import Context, edit, may_change_settings, register_chat, reply, services
from handlers.digest import show_paper_state
from storage import chats, deliveries, outbox, papers, saved, signals
from storage.chats import Chat
from storage.outbox import Kind, OutboxMessage, Priority

log = logging.getLogger(__name__)

SIMILAR_COUNT = 5
CALIBRATE_COUNT = 8


# -- more like this ----------------------------------------------------------------------------


def parse_similar_press(data: str) -> str | None:
    """The paper behind `sim:ID` (its id without version), or None for data the bot never
    sent."""
    prefix, _, raw_id = data.partition(":")
    if prefix != "sim" or not raw_id:
        return None
    try:
        arxiv_id, _ = parse_arxiv_id(raw_id)
    except InvalidArxivId:
        return None
    return arxiv_id


def similar_unseen(
    vocabulary: ranker.Vocabulary,
    paper: Paper,
    window: Sequence[Paper],
    sent: Collection[str],
    count: int = SIMILAR_COUNT,
) -> list[Paper]:
    """The `count` papers of the window most like `paper` that the chat was never sent."""
    candidates = [p for p in window if p.arxiv_id not in sent]
    return ranker.similar(vocabulary, paper, candidates, count)


def cached_titles(
    translator: TranslationService, language: str, found: Sequence[Paper]
) -> dict[str, str]:
    """The papers' titles in `language` where the translation cache has them: a short answer
    is worth no translation requests (the original stands in)."""
    if not found or translator.passthrough(language):
        return {}
    originals = {p.arxiv_id: normalize_space(p.title) for p in found}
    try:
        cached = translator.cache.get_many(list(originals.values()), language)
    except Exception:
        # Original titles are a fine answer; the failure is logged, never hidden.
        log.exception("translation cache read failed for a list of papers")
        return {}
    return {arxiv_id: cached[title] for arxiv_id, title in originals.items() if title in cached}


async def _count_as_liked(update: Update, context: Context, chat: Chat, paper: Paper) -> bool:
    """Asking for more like a paper says the chat likes it: a 👍 when it has no vote on it
    yet, shown on the pressed message. Returns whether a 👍 was recorded."""
    store = services(context).store
    if saved.feedback_on(store, chat.chat_id, paper.arxiv_id) is not None:
        return False
    saved.record_feedback(store, chat.chat_id, paper.arxiv_id, 1)
    services(context).ranking.feedback_changed(chat.chat_id)
    now_saved = saved.is_saved(store, chat.chat_id, paper.arxiv_id)
    await show_paper_state(update, store, paper.arxiv_id, now_saved=now_saved, vote=1)
    return True


async def similar_button(update: Update, context: Context) -> None:
    """🔎 under a paper: one message listing the five most similar papers of the last 30 days
    the chat has not been sent; the press also counts as a 👍."""
    query = update.callback_query
    assert query is not None
    chat = register_chat(update, context)
    lang = chat.ui_language
    store = services(context).store
    arxiv_id = parse_similar_press(query.data or "")
    if arxiv_id is None:
        await query.answer()  # forged or truncated
        return
    paper = papers.paper_by_id(store, arxiv_id)
    if paper is None:
        await query.answer(t("similar_paper_gone", lang), show_alert=True)
        return
    await query.answer(t("similar_working", lang))
    liked = await _count_as_liked(update, context, chat, paper)
    footer = f"\n\n<i>{t('similar_liked', lang)}</i>" if liked else ""
    ranking = services(context).ranking
    vocabulary = ranking.vocabulary
    if vocabulary is None:
        await reply(update, context, t("similar_no_vocabulary", lang) + footer)
        return
    sent = deliveries.delivered_ids(store, chat.chat_id)
    # Cosines over 30 days of papers: numpy work, off the event loop.
    found = await asyncio.to_thread(
        similar_unseen, vocabulary, paper, ranking.window_papers(), sent
    )
    titles = cached_titles(services(context).translator, chat.language, [paper, *found])
    shown = latex_to_text(normalize_space(titles.get(paper.arxiv_id, paper.title)))
    title = escape(cut_text(shown, 120))
    if not found:
        await reply(update, context, t("similar_none", lang, title=title) + footer)
        return
    text = compact_list(t("similar_title", lang, title=title), found, titles)
    await reply(update, context, text + footer)


# -- reactions ---------------------------------------------------------------------------------


def _emoji(reactions: Sequence[object]) -> list[str]:
    return [r.emoji for r in reactions if isinstance(r, ReactionTypeEmoji)]


async def reaction(update: Update, context: Context) -> None:
    """A 👍 or 👎 reaction on a digest paper votes as its button does; taking it away takes the
    vote back; other emoji change nothing. The paper's buttons show the vote."""
    changed = update.message_reaction
    if changed is None:
        return
    store = services(context).store
    chat = chats.get_chat(store, changed.chat.id)
    if chat is None:
        return  # a chat the bot never registered sent it no digest either
    arxiv_id = deliveries.paper_at_message(store, chat.chat_id, changed.message_id)
    if arxiv_id is None:
        return  # not a digest paper (an overview, a reply, the user's own message)
    current = saved.feedback_on(store, chat.chat_id, arxiv_id)
    vote = vote_after_reaction(_emoji(changed.old_reaction), _emoji(changed.new_reaction), current)
    if vote == current:
        return
    saved.set_feedback(store, chat.chat_id, arxiv_id, vote)
    services(context).ranking.feedback_changed(chat.chat_id)
    paper = papers.paper_by_id(store, arxiv_id)
    if paper is None:
        return
    markup = paper_buttons(paper, saved=saved.is_saved(store, chat.chat_id, arxiv_id), vote=vote)
    try:
        await context.bot.edit_message_reply_markup(
            chat.chat_id, changed.message_id, reply_markup=markup
        )
    except BadRequest as exc:
        # Deleted, too old to edit, or showing this already: the vote is stored either way.
        log.debug("buttons of a reacted message not redrawn: %s", exc.message)


# -- /calibrate --------------------------------------------------------------------------------


def calibration_candidates(
    window: Sequence[Paper], interests: Interests, rated: Collection[str]
) -> list[Paper]:
    """The window's papers the chat's rules let through and it has not rated yet."""
    return [p for p in window if p.arxiv_id not in rated and match_paper(p, interests)]


def _ask_messages(
    chat_id: int, found: Sequence[Paper], titles: Mapping[str, str], first_seq: int
) -> list[OutboxMessage]:
    """One compact message per paper with its 👍/👎, queued as a requested answer."""
    return [
        OutboxMessage(
            chat_id,
            first_seq + n,
            compact_item(n + 1, paper, titles.get(paper.arxiv_id)),
            reply_markup=InlineKeyboardMarkup([vote_buttons(paper.arxiv_id)]).to_dict(),
            kind=Kind.REQUESTED,
            priority=Priority.INTERACTIVE,
        )
        for n, paper in enumerate(found)
    ]


def _queue(context: Context, chat: Chat, heading: str, found: Sequence[Paper]) -> None:
    """The heading, then the papers to rate, through the outbox (nine paced messages; the
    chat's next command need not wait for them)."""
    messages = [
        OutboxMessage(chat.chat_id, 0, heading, kind=Kind.REQUESTED, priority=Priority.INTERACTIVE)
    ]
    messages += _ask_messages(
        chat.chat_id, found, cached_titles(services(context).translator, chat.language, found), 1
    )
    outbox.enqueue(services(context).store, messages)
    services(context).sender.wake()


async def calibrate(update: Update, context: Context) -> None:
    """`/calibrate`: the eight recent papers of the chat's subscriptions its model is least
    sure about, each with 👍/👎. Without a model yet: how many votes it still takes, and papers
    of the chat's recent digests to vote on."""
    chat = register_chat(update, context)
    lang = chat.ui_language
    store = services(context).store
    ranking = services(context).ranking
    model = ranking.model_for(chat.chat_id)
    if model is None:
        liked, disliked = saved.signal_counts(store, chat.chat_id)
        need_up = max(0, ranker.MIN_POSITIVE - liked)
        need_down = max(0, ranker.MIN_NEGATIVE - disliked)
        if need_up or need_down:
            status = t("calibrate_needs", lang, up=need_up, down=need_down)
        else:
            status = t("calibrate_training", lang)
        offered = signals.passed_over(store, chat.chat_id, CALIBRATE_COUNT)
        if not offered:
            await reply(update, context, f"{status}\n{t('calibrate_nothing_to_offer', lang)}")
            return
        _queue(context, chat, f"{status}\n{t('calibrate_offer', lang)}", offered)
        return
    followed = chats.subscriptions(store, chat.chat_id)
    if not followed:
        await reply(update, context, t("list_empty", lang))
        return
    interests = chats.interests_of(chat, followed)
    rated = saved.rated_ids(store, chat.chat_id)
    # Matching and scoring 30 days of papers: off the event loop.
    candidates = await asyncio.to_thread(
        calibration_candidates, ranking.window_papers(), interests, rated
    )
    found = await asyncio.to_thread(ranker.uncertain, model, candidates, CALIBRATE_COUNT)
    if not found:
        await reply(update, context, t("calibrate_none", lang))
        return
    _queue(context, chat, t("calibrate_intro", lang, count=len(found)), found)


# -- /forget -----------------------------------------------------------------------------------


def parse_forget_press(data: str) -> bool | None:
    """`fg:yes` → True (forget), `fg:no` → False (keep), anything else None."""
    return {"fg:yes": True, "fg:no": False}.get(data)


async def forget(update: Update, context: Context) -> None:
    """`/forget`: asks first (✅/✖️); the chat's 👍/👎 and model go only when confirmed."""
    chat = register_chat(update, context)
    if not await may_change_settings(update, context, chat):
        return
    lang = chat.ui_language
    store = services(context).store
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t("forget_yes", lang), callback_data="fg:yes"),
                InlineKeyboardButton(t("forget_no", lang), callback_data="fg:no"),
            ]
        ]
    )
    text = t(
        "forget_ask",
        lang,
        votes=saved.feedback_count(store, chat.chat_id),
        saved=saved.saved_count(store, chat.chat_id),
    )
    await reply(update, context, text, reply_markup=keyboard)


async def forget_button(update: Update, context: Context) -> None:
    """✅ deletes the chat's 👍/👎 and its model (saved papers stay); ✖️ keeps everything.
    The question is replaced by what was done."""
    query = update.callback_query
    assert query is not None
    chat = register_chat(update, context)
    confirmed = parse_forget_press(query.data or "")
    if confirmed is None:
        await query.answer()
        return
    if not await may_change_settings(update, context, chat):
        return
    lang = chat.ui_language
    await query.answer()
    if not confirmed:
        await edit(update, context, t("forget_cancelled", lang))
        return
    votes = saved.forget_feedback(services(context).store, chat.chat_id)
    services(context).ranking.forget(chat.chat_id)
    log.info("chat %s forgot its feedback (%d votes) and model", chat.chat_id, votes)
    await edit(update, context, t("forget_done", lang, votes=votes))

"""The daily push: due chats -> their digests (or a one-line note) -> the outbox.

A chat is due when its local delivery time has passed and it has not been queued the latest
announcement (bot.schedule). Its messages (overview first, then one per paper) are written to
the outbox in one transaction with the announcement mark; bot.sender sends them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from bot.i18n import t
from bot.match_index import AnnouncementIndex
from bot.models import Digest, Paper, PaperText
from bot.notices import (
    AnnouncementState,
    Notice,
    announcement_state,
    feed_ready_at,
    notice_due,
)
from bot.rank_order import AnnouncementVectors, ChatModels, orderings_for
from bot.render.buttons import paper_buttons
from bot.render.telegram import render_entry, render_overview
from bot.schedule import expected_announcement, is_due, time_has_come
from bot.translate import TranslationService
from storage import chats, deliveries, fetchlog, outbox, papers
from storage.chats import Chat
from storage.database import Store
from storage.fetchlog import FetchStatus
from storage.outbox import Kind, OutboxMessage, Priority

log = logging.getLogger(__name__)

# Due chats matched per round: subscriptions are read a batch at a time, and the sender is
# woken after each batch.
PUSH_BATCH = 1000


def announcement_now(store: Store, now: datetime) -> AnnouncementState:
    """What the store says about the announcement expected by `now` (bot.notices)."""
    expected = expected_announcement(now)
    statuses = fetchlog.statuses_since(store, feed_ready_at(expected))
    return announcement_state(
        now,
        latest=papers.latest_announcement(store),
        empty_since_ready=FetchStatus.EMPTY in statuses,
        fetched_since_ready=bool(statuses - {FetchStatus.ERROR}),
    )


async def queue_due_digests(
    store: Store,
    translator: TranslationService,
    now: datetime,
    queued_some: Callable[[], None] | None = None,
    ranking: ChatModels | None = None,
) -> int:
    """Queue the digest of every due chat, or a one-line note when its digest is late or arXiv
    did not announce (bot.notices); returns how many chats got something queued.

    `queued_some` is called after each batch of digests (the sender's wake), so a big push
    starts sending with its first thousand digests, not after the last. With `ranking` (the
    bot's bot.ranking.Ranking) a chat with a trained model gets its digest in the model's order
    (bot/rank_order.py); without it, or for a chat without a model, the rules' order.
    """
    latest = papers.latest_announcement(store)
    state = announcement_now(store, now)
    # Only chats whose local delivery time has passed today and who lack an announcement they
    # could get: found per (time zone, time) slot in SQL, so 100,000 chats cost a few hundred
    # clock checks a minute, not 100,000.
    wanted = [d for d in (latest, state.expected) if d is not None]
    if not wanted:
        return 0
    slots = [slot for slot in chats.delivery_slots(store) if time_has_come(now, *slot)]
    queued = 0
    due: list[Chat] = []
    for chat in chats.deliverable_chats(store, slots=slots, missing=max(wanted)):
        last = _date(chat.last_announced)
        if latest is not None and is_due(
            now,
            timezone=chat.timezone,
            delivery_time=chat.delivery_time,
            last_queued=last,
            latest=latest,
        ):
            due.append(chat)
            continue
        notice = notice_due(
            now,
            state,
            timezone=chat.timezone,
            delivery_time=chat.delivery_time,
            last_queued=last,
            told_for=_date(chat.notice_for),
            told=Notice(chat.notice_kind) if chat.notice_kind else None,
            wants_quiet_notes=chat.notify_no_announcement,
        )
        if notice is not None:
            text = t(f"notice_{notice.value}", chat.ui_language, date=state.expected.isoformat())
            outbox.enqueue_note(store, chat.chat_id, state.expected, notice.value, text)
            queued += 1
    if due and latest is not None:
        queued += await _queue_digests(store, translator, due, latest, queued_some, ranking)
    return queued


def _date(value: str | None) -> date | None:
    return datetime.fromisoformat(value).date() if value else None


async def _queue_digests(
    store: Store,
    translator: TranslationService,
    due: Sequence[Chat],
    latest: date,
    queued_some: Callable[[], None] | None,
    ranking: ChatModels | None = None,
) -> int:
    """Match every due chat against the announcement in one pass (bot.match_index) and queue
    each digest as it comes.

    SQL per digest, whatever the number of papers: the day's papers once, subscriptions once per
    `PUSH_BATCH` chats, the ledger rows of a chat's matching papers, the translation cache, and
    one transaction for its messages. The event loop gets a turn after each digest, so the
    sender keeps sending and commands are answered while 100,000 digests are queued.

    With `ranking`, each batch's models are read at once, and the day's papers are turned into
    vectors once for the whole push: a chat's model then costs one scoring of its matches.
    """
    # Indexing folds every title and abstract (LaTeX rendered): seconds for a big day, so it
    # runs off the event loop, which keeps answering commands meanwhile.
    announced = papers.announced_papers(store, latest)
    index = await asyncio.to_thread(AnnouncementIndex, announced)
    vectors = AnnouncementVectors(announced)
    if ranking is not None:
        # The day's papers become rows of the vocabulary (a no-op when the fetch refitted it).
        await ranking.refit()
    for start in range(0, len(due), PUSH_BATCH):
        batch = {chat.chat_id: chat for chat in due[start : start + PUSH_BATCH]}
        followed = chats.subscriptions_of(store, list(batch))
        # The models' SQL and the day's vectors (the first batch reads every paper) run off
        # the event loop; scoring each chat's matches runs with its digest.
        orderings = (
            await asyncio.to_thread(
                orderings_for,
                ranking,
                list(batch),
                {chat_id: chat.rank_threshold for chat_id, chat in batch.items()},
                vectors,
            )
            if ranking is not None
            else None
        )
        digests = index.digests(
            (
                (chat_id, chats.interests_of(chat, followed.get(chat_id, ())))
                for chat_id, chat in batch.items()
            ),
            announced=latest,
            caps={chat_id: chat.max_papers for chat_id, chat in batch.items()},
            ledger=lambda chat_id, arxiv_ids: deliveries.delivered_versions(
                store, chat_id, arxiv_ids
            ),
            orderings=orderings,
        )
        for chat_id, digest in digests:
            await _queue_digest(store, translator, batch[chat_id], latest, digest)
            # A turn for the sender and for commands after each digest (about 10 ms of work).
            await asyncio.sleep(0)
        if queued_some is not None:
            queued_some()
    return len(due)


@lru_cache(maxsize=8192)
def _stored_buttons(paper: Paper) -> dict[str, Any]:
    """A paper's buttons as the outbox stores them (JSON): the same for every chat that gets
    the paper, so built once per paper, not once per chat (0.15 ms each, 100,000 chats).
    Callers only serialise the result; it must not be changed."""
    return paper_buttons(paper).to_dict()


def digest_messages(
    digest: Digest,
    texts: dict[str, PaperText],
    language: str,
    chat_id: int,
    *,
    first: int = 1,
    overview: bool = True,
    kind: Kind = Kind.DIGEST,
    saved: frozenset[str] = frozenset(),
) -> list[OutboxMessage]:
    """A digest as outbox messages: the overview (unless `overview` is False), then one message
    per entry from the `first`-th on (numbered as in the overview), each with its buttons.

    The daily push and /digest both render through here, so a paper looks the same and is
    recorded in the ledger the same way whichever way it came. Papers in `saved` show a filled
    ⭐ (/digest asks; the push does not: a paper announced today is rarely saved already).
    """
    priority = Priority.BULK if kind is Kind.DIGEST else Priority.INTERACTIVE
    announced = digest.announced
    messages = (
        [
            OutboxMessage(chat_id, seq, text, announced=announced, kind=kind, priority=priority)
            for seq, text in enumerate(render_overview(digest, texts, language))
        ]
        if overview
        else []
    )
    start = len(messages)
    for offset, entry in enumerate(digest.entries[first - 1 :]):
        paper = entry.paper
        messages.append(
            OutboxMessage(
                chat_id,
                start + offset,
                render_entry(entry, texts[paper.arxiv_id], language, first + offset),
                arxiv_id=paper.arxiv_id,
                version=paper.version,
                reply_markup=(
                    paper_buttons(paper, saved=True).to_dict()
                    if paper.arxiv_id in saved
                    else _stored_buttons(paper)
                ),
                announced=announced,
                kind=kind,
                priority=priority,
            )
        )
    return messages


async def _queue_digest(
    store: Store, translator: TranslationService, chat: Chat, latest: date, digest: Digest
) -> None:
    """Render the chat's digest of `latest` into outbox messages and queue them atomically."""
    messages: list[OutboxMessage] = []
    if digest.entries:
        texts = await translator.paper_texts(
            [e.paper for e in digest.entries], chat.language, summaries=chat.summaries
        )
        messages = digest_messages(digest, texts, chat.language, chat.chat_id)
    elif chat.notify_no_matches:
        # The chat asked for a word on quiet days instead of silence.
        messages = digest_messages(digest, {}, chat.language, chat.chat_id)
    outbox.enqueue_digest(store, chat.chat_id, latest, messages)

"""A chat's digest from what is stored: match the latest announcement, translate what is shown.

`/digest`, `/status` and `/export` come through here. The daily push matches every due chat at
once (bot.match_index), which tests/test_match_index.py holds to the same digests.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date

from bot.match import build_digest
from bot.models import Digest, PaperText, SubscriptionKind
from bot.rank_order import ChatModels, Ordering, parse_threshold
from bot.translate import TranslationService
from storage import chats, papers
from storage.chats import Chat
from storage.database import Store


@dataclass(frozen=True)
class ChatDigest:
    """A digest and the text of its papers in the chat's language."""

    digest: Digest
    texts: dict[str, PaperText]
    language: str


def followed_categories(store: Store, chat: Chat) -> list[str]:
    """The category and archive codes a chat follows."""
    return [
        s.value
        for s in chats.subscriptions(store, chat.chat_id)
        if s.kind == SubscriptionKind.CATEGORY
    ]


def match_chat(
    store: Store,
    chat: Chat,
    *,
    announced: date | None = None,
    cap: int | None = None,
    ranking: ChatModels | None = None,
) -> Digest | None:
    """The chat's whole digest of one announcement (the latest stored by default),
    untranslated, as `/digest` shows it. None when nothing has been announced yet.

    With `ranking` and a trained model for the chat, in the model's order, as the push orders
    it: a longer digest than the chat's cap (`/digest more`, `/export`) keeps the exploring
    paper where the push showed it. The daily push matches every due chat at once instead
    (bot.push, bot.match_index) and leaves out what the ledger says the chat already has.
    """
    day = announced or papers.latest_announcement(store)
    if day is None:
        return None
    interests = chats.interests_of(chat, chats.subscriptions(store, chat.chat_id))
    model = ranking.model_for(chat.chat_id) if ranking is not None else None
    ordering = (
        Ordering(model, parse_threshold(chat.rank_threshold), page=chat.max_papers)
        if model is not None
        else None
    )
    return build_digest(
        papers.announced_papers(store, day),
        interests,
        announced=day,
        cap=chat.max_papers if cap is None else cap,
        ordering=ordering,
    )


async def chat_digest(
    store: Store,
    translator: TranslationService,
    chat: Chat,
    *,
    announced: date | None = None,
    cap: int | None = None,
    first: int = 1,
    ranking: ChatModels | None = None,
) -> ChatDigest | None:
    """`match_chat`, with the papers shown from the `first`-th on translated into the chat's
    language. Matching a whole day runs in a worker thread: a chat following keywords across
    every category reads thousands of abstracts, and other chats must not wait for it (nor
    for its model's reading and scoring of them)."""
    digest = await asyncio.to_thread(
        match_chat, store, chat, announced=announced, cap=cap, ranking=ranking
    )
    if digest is None:
        return None
    texts = await translator.paper_texts(
        [entry.paper for entry in digest.entries[first - 1 :]],
        chat.language,
        summaries=chat.summaries,
    )
    return ChatDigest(digest, texts, chat.language)

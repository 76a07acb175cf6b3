"""A chat's digest from what is stored: match the latest announcement, translate what is shown.

The daily push and `/digest` both come through here, so a chat sees the same digest either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from bot.match import build_digest
from bot.models import Digest, Paper, PaperText
from bot.translate import TranslationService
from storage import chats, deliveries, papers
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
    return [s.value for s in chats.subscriptions(store, chat.chat_id) if s.kind == "category"]


def match_chat(
    store: Store,
    chat: Chat,
    *,
    announced: date | None = None,
    cap: int | None = None,
    unsent_only: bool = False,
    announced_papers: Sequence[Paper] | None = None,
) -> Digest | None:
    """The chat's digest of one announcement (the latest stored by default), untranslated.

    With `unsent_only`, papers the ledger says the chat already has are left out (the daily
    push); `/digest` shows the whole digest. None when nothing has been announced yet.
    `announced_papers` are that announcement's papers when the caller already loaded them (the
    push loads them once for every chat due).
    """
    day = announced or papers.latest_announcement(store)
    if day is None:
        return None
    interests = chats.interests_of(chat, chats.subscriptions(store, chat.chat_id))
    if announced_papers is None:
        announced_papers = papers.announced_papers(store, day)
    sent = (
        deliveries.delivered_versions(store, chat.chat_id, [p.arxiv_id for p in announced_papers])
        if unsent_only
        else None
    )
    return build_digest(
        announced_papers,
        interests,
        announced=day,
        cap=chat.max_papers if cap is None else cap,
        sent_versions=sent,
    )


async def chat_digest(
    store: Store,
    translator: TranslationService,
    chat: Chat,
    *,
    announced: date | None = None,
    cap: int | None = None,
) -> ChatDigest | None:
    """`match_chat`, with the shown papers translated into the chat's language."""
    digest = match_chat(store, chat, announced=announced, cap=cap)
    if digest is None:
        return None
    texts = await translator.paper_texts(
        [entry.paper for entry in digest.entries], chat.language, summaries=chat.summaries
    )
    return ChatDigest(digest, texts, chat.language)

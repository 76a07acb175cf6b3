"""What a chat follows: the kinds, the limits, who may change them, and the one way to add.

Every path that adds a subscription (the /subscribe, /keyword and /author commands, the
category browser's toggles, ➕ under /search results) calls `add`, so the limits hold whichever
button or command was used. Asking Telegram for a member's status is I/O and stays in the
handlers; `may_change` is the rule applied to its answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from bot.models import SubscriptionKind
from storage import chats
from storage.chats import Subscription
from storage.database import Store

__all__ = [
    "MAX_SUBSCRIPTIONS",
    "MAX_VALUE_LENGTH",
    "AddResult",
    "Outcome",
    "Subscription",
    "SubscriptionKind",
    "add",
    "may_change",
]

# A digest matched against hundreds of keywords is slow to build and unreadable; 50 covers
# every real reader we have seen, and /list stays one message.
MAX_SUBSCRIPTIONS = 50
# Keywords and author names longer than this are pasted text, not something to match.
MAX_VALUE_LENGTH = 100

# Kinds whose value is free text (a category is checked against the taxonomy instead).
_FREE_TEXT = (SubscriptionKind.KEYWORD, SubscriptionKind.EXCLUDE, SubscriptionKind.AUTHOR)

# Telegram's member statuses allowed to change a group's subscriptions and settings.
_ADMIN_STATUSES = frozenset({"administrator", "creator"})


class Outcome(StrEnum):
    """What became of a request to follow something."""

    ADDED = "added"  # at least one item is new
    ALREADY = "already"  # the chat followed every item already
    OVER_CAP = "over-cap"  # the chat would follow more than MAX_SUBSCRIPTIONS: nothing added
    TOO_LONG = "too-long"  # a keyword or author name over MAX_VALUE_LENGTH: nothing added


@dataclass(frozen=True)
class AddResult:
    """The outcome and how many items were new (0 unless ADDED)."""

    outcome: Outcome
    added: int = 0


def add(store: Store, chat_id: int, items: Iterable[Subscription]) -> AddResult:
    """Follow `items` in one go, or nothing when that would break a limit."""
    wanted = list(items)
    if any(i.kind in _FREE_TEXT and len(i.value) > MAX_VALUE_LENGTH for i in wanted):
        return AddResult(Outcome.TOO_LONG)
    added = chats.add_subscriptions(store, chat_id, wanted, cap=MAX_SUBSCRIPTIONS)
    if added is None:
        return AddResult(Outcome.OVER_CAP)
    return AddResult(Outcome.ADDED, added) if added else AddResult(Outcome.ALREADY)


def may_change(chat_type: str, member_status: str | None) -> bool:
    """In a private chat or a channel anyone who can write may change subscriptions and
    settings; in a group only its administrators (`member_status` is the sender's status, None
    when unknown)."""
    if chat_type in ("private", "channel"):
        return True
    return member_status in _ADMIN_STATUSES

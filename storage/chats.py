"""Chats (a private chat or a group is one subscriber) and their subscriptions."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from bot.models import Interests, Keyword, SubscriptionKind
from storage.clock import utc_now
from storage.database import Store


@dataclass(frozen=True)
class Chat:
    """A subscriber's settings, as stored."""

    chat_id: int
    kind: str
    title: str
    language: str
    ui_language: str
    timezone: str
    delivery_time: str
    max_papers: int
    include_cross: bool
    include_replacements: bool
    summaries: bool
    notify_no_announcement: bool
    notify_no_matches: bool
    active: bool
    paused: bool
    last_announced: str | None
    notice_for: str | None  # the expected announcement a "delayed"/"no announcement" note was about
    notice_kind: str | None  # which note: "delayed" or "quiet"
    created_at: str
    updated_at: str
    # off, low or high (bot.rank_order.Threshold): which papers the chat's model may hide.
    rank_threshold: str = "off"


@dataclass(frozen=True)
class Subscription:
    """One thing a chat follows: a category/archive code, a keyword, an exclusion, an author."""

    kind: SubscriptionKind
    value: str
    phrase: bool = False
    id: int = 0


_BOOLEAN = {f.name for f in fields(Chat) if f.type in ("bool", bool)}
_EDITABLE = {f.name for f in fields(Chat)} - {"chat_id", "created_at", "updated_at"}


def _chat(row: dict[str, Any]) -> Chat:
    values: dict[str, Any] = {k: (bool(v) if k in _BOOLEAN else v) for k, v in row.items()}
    return Chat(**values)


def get_chat(store: Store, chat_id: int) -> Chat | None:
    """The chat's settings, or None for a chat the bot has never seen."""
    rows = list(store.db.query("SELECT * FROM chats WHERE chat_id = ?", [chat_id]))
    return _chat(rows[0]) if rows else None


def ensure_chat(
    store: Store,
    chat_id: int,
    *,
    language: str,
    timezone: str,
    delivery_time: str,
    kind: str = "private",
    title: str = "",
    ui_language: str = "en",
) -> Chat:
    """Register a chat with defaults if new (existing settings are kept) and return it."""
    now = utc_now()
    with store.lock:
        store.db.execute(
            """
            INSERT INTO chats (chat_id, kind, title, language, ui_language, timezone,
                delivery_time, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (chat_id) DO NOTHING
            """,
            [chat_id, kind, title, language, ui_language, timezone, delivery_time, now, now],
        )
    chat = get_chat(store, chat_id)
    assert chat is not None
    return chat


def update_chat(store: Store, chat_id: int, **changes: object) -> Chat | None:
    """Change some settings of a chat; unknown field names are a programming error."""
    unknown = set(changes) - _EDITABLE
    if unknown:
        raise ValueError(f"not chat settings: {sorted(unknown)}")
    if changes:
        assignments = ", ".join(f"{name} = ?" for name in changes)
        with store.lock:
            store.db.execute(
                f"UPDATE chats SET {assignments}, updated_at = ? WHERE chat_id = ?",
                [*changes.values(), utc_now(), chat_id],
            )
    return get_chat(store, chat_id)


def add_subscriptions(
    store: Store, chat_id: int, items: Iterable[Subscription], *, cap: int | None = None
) -> int | None:
    """Add subscriptions, ignoring ones the chat already has; returns how many were new.

    With `cap`, nothing is added (None) when the chat would then follow more than `cap`: the
    count and the write are one transaction, so two presses at once cannot both slip past it.
    """
    now = utc_now()
    wanted = list(dict.fromkeys(items))
    with store.lock, store.db.atomic():
        if cap is not None:
            have = {(s.kind, s.value) for s in subscriptions(store, chat_id)}
            new = {(s.kind, s.value) for s in wanted} - have
            if new and len(have) + len(new) > cap:
                return None
        before = store.db.conn.total_changes
        store.db.conn.executemany(
            """
            INSERT INTO subscriptions (chat_id, kind, value, phrase, created_at)
            VALUES (?, ?, ?, ?, ?) ON CONFLICT (chat_id, kind, value) DO NOTHING
            """,
            [(chat_id, str(s.kind), s.value, int(s.phrase), now) for s in wanted],
        )
        return store.db.conn.total_changes - before


def remove_subscriptions(store: Store, chat_id: int, items: Iterable[Subscription]) -> int:
    """Remove the given subscriptions; returns how many existed."""
    with store.lock, store.db.atomic():
        before = store.db.conn.total_changes
        store.db.conn.executemany(
            "DELETE FROM subscriptions WHERE chat_id = ? AND kind = ? AND value = ?",
            [(chat_id, str(s.kind), s.value) for s in items],
        )
        return store.db.conn.total_changes - before


def clear_subscriptions(store: Store, chat_id: int) -> int:
    """Remove everything a chat follows; returns how many there were."""
    with store.lock:
        return store.db.execute("DELETE FROM subscriptions WHERE chat_id = ?", [chat_id]).rowcount


def subscriptions(store: Store, chat_id: int) -> list[Subscription]:
    """What a chat follows, grouped by kind, in the order it was added."""
    return subscriptions_of(store, [chat_id]).get(chat_id, [])


def subscriptions_of(store: Store, chat_ids: Sequence[int]) -> dict[int, list[Subscription]]:
    """`subscriptions` for many chats in one query (the push asks for a thousand at a time);
    chats that follow nothing are absent."""
    found: dict[int, list[Subscription]] = {}
    for row in store.db.query(
        """
        SELECT chat_id, id, kind, value, phrase FROM subscriptions
        WHERE chat_id IN (SELECT value FROM json_each(?)) ORDER BY chat_id, kind, id
        """,
        [json.dumps(list(chat_ids))],
    ):
        found.setdefault(row["chat_id"], []).append(
            Subscription(
                SubscriptionKind(row["kind"]), row["value"], bool(row["phrase"]), row["id"]
            )
        )
    return found


def interests_of(chat: Chat, items: Iterable[Subscription]) -> Interests:
    """A chat's settings and subscriptions as the input of matching."""
    categories: set[str] = set()
    keywords: list[Keyword] = []
    excludes: list[Keyword] = []
    authors: list[str] = []
    for item in items:
        if item.kind is SubscriptionKind.CATEGORY:
            categories.add(item.value)
        elif item.kind is SubscriptionKind.KEYWORD:
            keywords.append(Keyword(item.value, item.phrase))
        elif item.kind is SubscriptionKind.EXCLUDE:
            excludes.append(Keyword(item.value, item.phrase))
        elif item.kind is SubscriptionKind.AUTHOR:
            authors.append(item.value)
    return Interests(
        categories=frozenset(categories),
        keywords=tuple(keywords),
        excludes=tuple(excludes),
        authors=tuple(authors),
        include_cross=chat.include_cross,
        include_replacements=chat.include_replacements,
    )


def subscribed_categories(store: Store) -> list[str]:
    """Every category or archive code some active chat follows: what the fetch asks arXiv for."""
    return [
        row[0]
        for row in store.db.execute(
            """
            SELECT DISTINCT s.value FROM subscriptions s JOIN chats c ON c.chat_id = s.chat_id
            WHERE s.kind = ? AND c.active = 1 ORDER BY s.value
            """,
            [str(SubscriptionKind.CATEGORY)],
        )
    ]


def migrate_chat(store: Store, old_id: int, new_id: int) -> None:
    """A group became a supergroup: move its settings and everything keyed by it to the new id.

    Foreign keys cascade the update to subscriptions, the ledger, the outbox and saved papers.
    """
    with store.lock, store.db.atomic():
        if get_chat(store, new_id) is not None:
            # The new id already spoke to the bot: keep its row, move what the old one had.
            for table in ("subscriptions", "deliveries", "outbox", "saved", "feedback"):
                store.db.execute(
                    f"UPDATE OR IGNORE {table} SET chat_id = ? WHERE chat_id = ?", [new_id, old_id]
                )
            store.db.execute("DELETE FROM chats WHERE chat_id = ?", [old_id])
        else:
            store.db.execute(
                "UPDATE chats SET chat_id = ?, kind = 'supergroup' WHERE chat_id = ?",
                [new_id, old_id],
            )


def delivery_slots(store: Store) -> list[tuple[str, str]]:
    """The distinct (time zone, delivery time) pairs of chats that receive pushes: a few hundred
    at most however many chats there are, so the schedule is checked per slot, not per chat."""
    return [
        (row[0], row[1])
        for row in store.db.execute(
            "SELECT DISTINCT timezone, delivery_time FROM chats WHERE active = 1 AND paused = 0"
        )
    ]


def deliverable_chats(
    store: Store,
    *,
    slots: Iterable[tuple[str, str]] | None = None,
    missing: date | None = None,
) -> list[Chat]:
    """Chats that receive daily pushes: active, not paused, following something.

    `slots` keeps only chats at those (time zone, delivery time) pairs; `missing` only chats
    that have not been queued that announcement. (A list, not a stream: the caller writes to
    these rows while going through them.)
    """
    sql = """
        SELECT * FROM chats c WHERE active = 1 AND paused = 0
        AND EXISTS (SELECT 1 FROM subscriptions s WHERE s.chat_id = c.chat_id)
    """
    params: list[Any] = []
    if missing is not None:
        sql += " AND (last_announced IS NULL OR last_announced < ?)"
        params.append(missing.isoformat())
    if slots is not None:
        pairs = list(slots)
        if not pairs:
            return []
        sql += " AND (timezone, delivery_time) IN (VALUES " + ", ".join(["(?, ?)"] * len(pairs))
        sql += ")"
        params.extend(value for pair in pairs for value in pair)
    return [_chat(row) for row in store.db.query(sql, params)]

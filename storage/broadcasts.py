"""Broadcasts: written when an admin asks for a preview, queued in the outbox when confirmed.

Confirming moves the broadcast from 'preview' to 'queued' and writes one outbox row per active
chat in the same transaction, so a second press of ✅ (or two admins pressing at once) queues it
once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from storage import outbox
from storage.clock import utc_now
from storage.database import Store
from storage.outbox import Kind, OutboxMessage
from storage.stats import active_chat_ids

# Rows written per statement while queueing: 100,000 chats stay a few hundred statements.
_CHUNK = 1000


class BroadcastStatus(StrEnum):
    """Where a broadcast stands."""

    PREVIEW = "preview"
    QUEUED = "queued"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Broadcast:
    """A broadcast as stored."""

    id: int
    admin_id: int
    text: str
    status: BroadcastStatus
    chats: int


def create(store: Store, admin_id: int, text: str) -> Broadcast:
    """Store a broadcast awaiting confirmation (its text as the admin typed it, escaped)."""
    with store.lock:
        cursor = store.db.execute(
            "INSERT INTO broadcasts (admin_id, text, created_at) VALUES (?, ?, ?)",
            [admin_id, text, utc_now()],
        )
    assert cursor.lastrowid is not None
    return Broadcast(cursor.lastrowid, admin_id, text, BroadcastStatus.PREVIEW, 0)


def get(store: Store, broadcast_id: int) -> Broadcast | None:
    """The broadcast with this id, or None."""
    row = store.db.execute(
        "SELECT id, admin_id, text, status, chats FROM broadcasts WHERE id = ?", [broadcast_id]
    ).fetchone()
    if row is None:
        return None
    return Broadcast(row[0], row[1], row[2], BroadcastStatus(row[3]), row[4])


def queue(store: Store, broadcast_id: int, parts: Sequence[str]) -> int | None:
    """Queue a previewed broadcast to every active chat, atomically; `parts` is its text
    already split into Telegram-sized messages. Returns how many chats it was queued for, or
    None if it was not awaiting confirmation."""
    now = utc_now()
    with store.lock, store.db.atomic():
        claimed = store.db.execute(
            "UPDATE broadcasts SET status = ?, queued_at = ? WHERE id = ? AND status = ?",
            [BroadcastStatus.QUEUED.value, now, broadcast_id, BroadcastStatus.PREVIEW.value],
        ).rowcount
        if not claimed:
            return None
        chat_ids = active_chat_ids(store)
        for start in range(0, len(chat_ids), _CHUNK):
            outbox.write(
                store,
                (
                    OutboxMessage(chat_id, seq, part, kind=Kind.BROADCAST, ref=broadcast_id)
                    for chat_id in chat_ids[start : start + _CHUNK]
                    for seq, part in enumerate(parts)
                ),
                now,
            )
        store.db.execute(
            "UPDATE broadcasts SET chats = ? WHERE id = ?", [len(chat_ids), broadcast_id]
        )
    return len(chat_ids)


def cancel(store: Store, broadcast_id: int) -> bool:
    """Drop a broadcast still awaiting confirmation; False when it was not."""
    with store.lock:
        return (
            store.db.execute(
                "UPDATE broadcasts SET status = ? WHERE id = ? AND status = ?",
                [
                    BroadcastStatus.CANCELLED.value,
                    broadcast_id,
                    BroadcastStatus.PREVIEW.value,
                ],
            ).rowcount
            == 1
        )


def latest_queued(store: Store) -> Broadcast | None:
    """The most recent queued broadcast (for /stats)."""
    row = store.db.execute(
        "SELECT id FROM broadcasts WHERE status = ? ORDER BY id DESC LIMIT 1",
        [BroadcastStatus.QUEUED.value],
    ).fetchone()
    return get(store, row[0]) if row else None

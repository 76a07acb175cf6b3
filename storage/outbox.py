"""The persisted outbox: everything the bot sends in bulk is written before sending and marked
when Telegram confirms it.

Daily digests, digests asked for with /digest, notes, admin alerts and broadcasts all go this
one way, so one sender paces them and one error policy applies (bot.sender). Queuing a digest
and recording its announcement for the chat happen in one transaction, so a crash either queues
the whole digest or none of it. Marking a message sent and recording its paper in the ledger
also happen together.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import IntEnum, StrEnum
from typing import Any

from storage import deliveries
from storage.clock import utc_now
from storage.database import Store


class Status(StrEnum):
    """Where an outbox row stands."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # Telegram refused it for good (kept for the record)
    DROPPED = "dropped"  # the chat blocked the bot or went away


class Kind(StrEnum):
    """What an outbox row is, for logs, /stats and the sender's priorities."""

    DIGEST = "digest"  # the daily push
    REQUESTED = "requested"  # /digest, /digest more
    NOTE = "note"  # "delayed", "no announcement today"
    ALERT = "alert"  # to an admin
    BROADCAST = "broadcast"
    WATCH = "watch"  # a paper the chat saved got a new version, a journal reference or a DOI


class Priority(IntEnum):
    """Higher goes first among the chats' next messages: a reader who just asked for a digest,
    or an admin who must hear of an outage, should not wait behind a 100,000-chat push."""

    BULK = 0
    INTERACTIVE = 1


@dataclass(frozen=True)
class OutboxMessage:
    """One message to send: `seq` orders a push for fairness (0 = the overview); a chat's
    messages always go in the order they were queued."""

    chat_id: int
    seq: int
    text: str
    arxiv_id: str | None = None
    version: int | None = None
    reply_markup: dict[str, Any] | None = None
    announced: date | None = None
    id: int = 0
    attempts: int = 0
    kind: Kind = Kind.DIGEST
    priority: Priority = Priority.BULK
    ref: int | None = None


_INSERT = """
    INSERT INTO outbox (chat_id, announced, seq, arxiv_id, version, text, reply_markup,
        created_at, kind, priority, ref)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""


def _row(m: OutboxMessage, now: str) -> tuple[object, ...]:
    return (
        m.chat_id,
        m.announced.isoformat() if m.announced else None,
        m.seq,
        m.arxiv_id,
        m.version,
        m.text,
        json.dumps(m.reply_markup) if m.reply_markup else None,
        now,
        m.kind.value,
        int(m.priority),
        m.ref,
    )


def enqueue_digest(
    store: Store, chat_id: int, announced: date, messages: Sequence[OutboxMessage]
) -> None:
    """Queue a chat's digest and mark the announcement as queued for it, atomically."""
    now = utc_now()
    with store.lock, store.db.atomic():
        write(store, messages, now)
        store.db.execute(
            "UPDATE chats SET last_announced = ?, updated_at = ? WHERE chat_id = ?",
            [announced.isoformat(), now, chat_id],
        )


def write(store: Store, messages: Iterable[OutboxMessage], now: str) -> None:
    """Insert messages inside the caller's transaction (the caller holds `store.lock` and
    `store.db.atomic()`)."""
    store.db.conn.executemany(_INSERT, (_row(m, now) for m in messages))


def enqueue(store: Store, messages: Sequence[OutboxMessage]) -> int:
    """Queue messages that mark nothing (a requested digest, alerts) in one transaction;
    returns how many."""
    with store.lock, store.db.atomic():
        write(store, messages, utc_now())
    return len(messages)


def enqueue_note(store: Store, chat_id: int, about: date, kind: str, text: str) -> None:
    """Queue a one-line note about the announcement `about` ("delayed" or "quiet") and record
    that the chat was told, atomically, so a note is never queued twice."""
    now = utc_now()
    note = OutboxMessage(chat_id, 0, text, announced=about, kind=Kind.NOTE)
    with store.lock, store.db.atomic():
        store.db.execute(_INSERT, _row(note, now))
        store.db.execute(
            "UPDATE chats SET notice_for = ?, notice_kind = ?, updated_at = ? WHERE chat_id = ?",
            [about.isoformat(), kind, now, chat_id],
        )


def pending(store: Store, now: float, limit: int = 500) -> list[OutboxMessage]:
    """The next message of each chat that is ready to send, fairest first: every chat's
    overview before anyone's second message.

    Only the head of each chat's queue is returned, and only when it is due (`not_before`): a
    message waiting for a retry holds back the rest of its chat, so order within a chat holds.
    At most `limit` rows are read, so memory stays flat however long the queue is. Interactive
    messages (a /digest, an alert) go before bulk ones. Within a round, groups go first: their
    20-a-minute limit makes their chains the slowest, and starting them early keeps them from
    trailing the whole push.
    """
    rows = store.db.execute(
        """
        SELECT o.id, o.chat_id, o.seq, o.text, o.arxiv_id, o.version, o.reply_markup,
            o.announced, o.attempts, o.kind, o.priority, o.ref
        FROM (SELECT MIN(id) AS id FROM outbox WHERE status = 'pending' GROUP BY chat_id) AS h
        JOIN outbox AS o ON o.id = h.id
        WHERE o.not_before <= ?
        ORDER BY o.priority DESC, o.seq, o.chat_id < 0 DESC, o.id LIMIT ?
        """,
        [now, limit],
    ).fetchall()
    return [
        OutboxMessage(
            chat_id=row[1],
            seq=row[2],
            text=row[3],
            arxiv_id=row[4],
            version=row[5],
            reply_markup=json.loads(row[6]) if row[6] else None,
            announced=date.fromisoformat(row[7]) if row[7] else None,
            id=row[0],
            attempts=row[8],
            kind=Kind(row[9]),
            priority=Priority(row[10]),
            ref=row[11],
        )
        for row in rows
    ]


def last_sent(store: Store, chat_ids: Sequence[int]) -> dict[int, datetime]:
    """When Telegram last confirmed a message to each of these chats (chats never sent to are
    absent): a restarted sender paces each chat from there, not from zero."""
    found: dict[int, datetime] = {}
    for start in range(0, len(chat_ids), 500):
        chunk = list(chat_ids[start : start + 500])
        for chat_id, sent_at in store.db.execute(
            "SELECT chat_id, MAX(sent_at) FROM outbox WHERE status = 'sent' AND chat_id IN "
            "(SELECT value FROM json_each(?)) GROUP BY chat_id",
            [json.dumps(chunk)],
        ):
            if sent_at:
                found[int(chat_id)] = datetime.fromisoformat(sent_at)
    return found


def next_due(store: Store) -> float | None:
    """The earliest `not_before` among pending messages (wall-clock seconds), or None."""
    row = store.db.execute("SELECT MIN(not_before) FROM outbox WHERE status = 'pending'").fetchone()
    return None if row[0] is None else float(row[0])


def mark_sent(store: Store, message: OutboxMessage, message_id: int) -> None:
    """Telegram confirmed: mark the message sent and, for a paper, record it in the ledger."""
    now = utc_now()
    with store.lock, store.db.atomic():
        store.db.execute(
            "UPDATE outbox SET status = 'sent', message_id = ?, sent_at = ?, "
            "attempts = attempts + 1 WHERE id = ?",
            [message_id, now, message.id],
        )
        if message.arxiv_id is not None:
            deliveries.record_delivery(
                store,
                message.chat_id,
                message.arxiv_id,
                message.version or 1,
                message.announced,
                message_id,
            )


def retry_later(store: Store, message: OutboxMessage, not_before: float, error: str) -> None:
    """Leave the message pending until `not_before` (a monotonic-free wall time, seconds)."""
    with store.lock:
        store.db.execute(
            "UPDATE outbox SET attempts = attempts + 1, not_before = ?, error = ? WHERE id = ?",
            [not_before, error, message.id],
        )


def mark_failed(store: Store, message: OutboxMessage, error: str) -> None:
    """Telegram refused this message for good (BadRequest): keep it for the record."""
    with store.lock:
        store.db.execute(
            "UPDATE outbox SET status = 'failed', attempts = attempts + 1, error = ? WHERE id = ?",
            [error, message.id],
        )


def drop_chat(store: Store, chat_id: int, error: str) -> int:
    """The chat blocked the bot or vanished: drop its queue; returns how many were dropped."""
    with store.lock:
        return store.db.execute(
            "UPDATE outbox SET status = 'dropped', error = ? WHERE chat_id = ? AND "
            "status = 'pending'",
            [error, chat_id],
        ).rowcount


def pending_count(store: Store) -> int:
    """How many messages wait to be sent."""
    row = store.db.execute("SELECT COUNT(*) FROM outbox WHERE status = 'pending'").fetchone()
    return int(row[0])


def counts_by_status(store: Store, ref: int, kind: Kind) -> dict[Status, int]:
    """How the messages of one broadcast (`ref`) stand: sent, pending, failed, dropped."""
    return {
        Status(status): int(count)
        for status, count in store.db.execute(
            "SELECT status, COUNT(*) FROM outbox WHERE ref = ? AND kind = ? GROUP BY status",
            [ref, kind.value],
        )
    }

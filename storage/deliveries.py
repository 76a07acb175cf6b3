"""The per-chat ledger: (chat, arXiv id without version) is sent once, ever."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from storage.clock import utc_now
from storage.database import Store


def delivered_versions(store: Store, chat_id: int, arxiv_ids: Iterable[str]) -> dict[str, int]:
    """For the given papers, the version each was last sent to this chat (unsent ones absent)."""
    ids = list(dict.fromkeys(arxiv_ids))
    found: dict[str, int] = {}
    for start in range(0, len(ids), 400):
        chunk = ids[start : start + 400]
        marks = ", ".join("?" for _ in chunk)
        for arxiv_id, version in store.db.execute(
            f"SELECT arxiv_id, version FROM deliveries WHERE chat_id = ? AND arxiv_id IN ({marks})",
            [chat_id, *chunk],
        ):
            found[arxiv_id] = version
    return found


def record_delivery(
    store: Store,
    chat_id: int,
    arxiv_id: str,
    version: int,
    announced: date | None,
    message_id: int | None,
) -> None:
    """Mark a paper as sent to a chat (a newer version updates the row, never adds one)."""
    with store.lock:
        store.db.execute(
            """
            INSERT INTO deliveries (chat_id, arxiv_id, version, announced, delivered_at,
                message_id)
            VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (chat_id, arxiv_id) DO UPDATE SET
                version = MAX(deliveries.version, excluded.version),
                announced = excluded.announced, delivered_at = excluded.delivered_at,
                message_id = excluded.message_id
            """,
            [
                chat_id,
                arxiv_id,
                version,
                announced.isoformat() if announced else None,
                utc_now(),
                message_id,
            ],
        )


def delivered_ids(store: Store, chat_id: int) -> frozenset[str]:
    """Every paper ever sent to the chat (one indexed read: "more like this" leaves them out of
    a 30-day window of tens of thousands)."""
    return frozenset(
        row[0]
        for row in store.db.execute("SELECT arxiv_id FROM deliveries WHERE chat_id = ?", [chat_id])
    )


def paper_at_message(store: Store, chat_id: int, message_id: int) -> str | None:
    """The paper the chat's message `message_id` carries (a reaction names only the message),
    or None when it is no digest paper."""
    row = store.db.execute(
        "SELECT arxiv_id FROM deliveries WHERE chat_id = ? AND message_id = ?",
        [chat_id, message_id],
    ).fetchone()
    return None if row is None else str(row[0])

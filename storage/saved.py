"""Saved papers (⭐) and 👍/👎 feedback, per chat."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from storage.clock import utc_now
from storage.database import Store

MAX_SAVED = 500


@dataclass(frozen=True)
class SavedPaper:
    """A paper a chat saved: its id, title as shown, and when."""

    arxiv_id: str
    title: str
    saved_at: str


def toggle_saved(store: Store, chat_id: int, arxiv_id: str, title: str) -> bool:
    """Save the paper, or unsave it if it was saved; returns whether it is saved now."""
    with store.lock, store.db.atomic():
        removed = store.db.execute(
            "DELETE FROM saved WHERE chat_id = ? AND arxiv_id = ?", [chat_id, arxiv_id]
        ).rowcount
        if removed:
            return False
        store.db.execute(
            "INSERT INTO saved (chat_id, arxiv_id, title, saved_at) VALUES (?, ?, ?, ?)",
            [chat_id, arxiv_id, title, utc_now()],
        )
        return True


def saved_among(store: Store, chat_id: int, arxiv_ids: Sequence[str]) -> frozenset[str]:
    """Which of these papers the chat has saved (one query, for a digest's buttons)."""
    found = store.db.execute(
        "SELECT arxiv_id FROM saved WHERE chat_id = ? AND arxiv_id IN "
        "(SELECT value FROM json_each(?))",
        [chat_id, json.dumps(list(arxiv_ids))],
    )
    return frozenset(row[0] for row in found)


def is_saved(store: Store, chat_id: int, arxiv_id: str) -> bool:
    """Whether the chat has this paper saved (the ⭐ it should see)."""
    row = store.db.execute(
        "SELECT 1 FROM saved WHERE chat_id = ? AND arxiv_id = ?", [chat_id, arxiv_id]
    ).fetchone()
    return row is not None


def remove_saved(store: Store, chat_id: int, arxiv_id: str) -> bool:
    """Unsave the paper; returns whether it was saved (a second press on a stale page: no)."""
    with store.lock:
        return bool(
            store.db.execute(
                "DELETE FROM saved WHERE chat_id = ? AND arxiv_id = ?", [chat_id, arxiv_id]
            ).rowcount
        )


def saved_count(store: Store, chat_id: int) -> int:
    """How many papers the chat has saved."""
    row = store.db.execute("SELECT COUNT(*) FROM saved WHERE chat_id = ?", [chat_id]).fetchone()
    return int(row[0])


def saved_papers(
    store: Store, chat_id: int, limit: int = MAX_SAVED, offset: int = 0
) -> list[SavedPaper]:
    """A chat's saved papers, newest first; `offset` skips that many (for pages)."""
    return [
        SavedPaper(row["arxiv_id"], row["title"], row["saved_at"])
        for row in store.db.query(
            "SELECT arxiv_id, title, saved_at FROM saved WHERE chat_id = ?"
            " ORDER BY saved_at DESC, rowid DESC LIMIT ? OFFSET ?",
            [chat_id, limit, offset],
        )
    ]


def record_feedback(store: Store, chat_id: int, arxiv_id: str, value: int) -> None:
    """Remember 👍 (1) or 👎 (-1) on a paper; a second tap replaces the first."""
    with store.lock:
        store.db.execute(
            """
            INSERT INTO feedback (chat_id, arxiv_id, value, created_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (chat_id, arxiv_id) DO UPDATE SET value = excluded.value,
                created_at = excluded.created_at
            """,
            [chat_id, arxiv_id, value, utc_now()],
        )


def feedback_on(store: Store, chat_id: int, arxiv_id: str) -> int | None:
    """The chat's 👍 (1) or 👎 (-1) on a paper, None when it gave neither."""
    row = store.db.execute(
        "SELECT value FROM feedback WHERE chat_id = ? AND arxiv_id = ?", [chat_id, arxiv_id]
    ).fetchone()
    return None if row is None else int(row[0])


def toggle_feedback(store: Store, chat_id: int, arxiv_id: str, value: int) -> int | None:
    """A press of 👍 (1) or 👎 (-1): the same vote again takes it back, the other one replaces
    it. Returns the vote now (None: none). One row per chat and paper, as the ranker reads it."""
    with store.lock, store.db.atomic():
        removed = store.db.execute(
            "DELETE FROM feedback WHERE chat_id = ? AND arxiv_id = ? AND value = ?",
            [chat_id, arxiv_id, value],
        ).rowcount
        if removed:
            return None
        record_feedback(store, chat_id, arxiv_id, value)
        return value


def set_feedback(store: Store, chat_id: int, arxiv_id: str, value: int | None) -> None:
    """Make the chat's vote on a paper `value` (1, -1, or None: no vote), whatever it was (a
    Telegram reaction says what the vote is now, not a press to toggle)."""
    if value is not None:
        record_feedback(store, chat_id, arxiv_id, value)
        return
    with store.lock:
        store.db.execute(
            "DELETE FROM feedback WHERE chat_id = ? AND arxiv_id = ?", [chat_id, arxiv_id]
        )


def forget_feedback(store: Store, chat_id: int) -> int:
    """Delete every 👍/👎 of the chat (/forget); returns how many there were. Saved papers
    stay: they are the reader's list, not only a signal."""
    with store.lock:
        return int(store.db.execute("DELETE FROM feedback WHERE chat_id = ?", [chat_id]).rowcount)


def signal_counts(store: Store, chat_id: int) -> tuple[int, int]:
    """How many papers the chat likes (👍 or ⭐, a 👎 overriding a ⭐ as the ranker reads the
    last word) and dislikes (👎): what /calibrate compares with the model's minimums."""
    row = store.db.execute(
        """
        SELECT
            (SELECT COUNT(*) FROM (
                SELECT arxiv_id FROM feedback WHERE chat_id = :chat AND value = 1
                UNION
                SELECT arxiv_id FROM saved WHERE chat_id = :chat
                    AND arxiv_id NOT IN (
                        SELECT arxiv_id FROM feedback WHERE chat_id = :chat AND value = -1)
            )),
            (SELECT COUNT(*) FROM feedback WHERE chat_id = :chat AND value = -1)
        """,
        {"chat": chat_id},
    ).fetchone()
    return int(row[0]), int(row[1])


def unrated_deliveries(store: Store, chat_id: int, limit: int) -> list[str]:
    """The papers most recently delivered to the chat that it neither voted on nor saved,
    newest first (what /calibrate offers before there is a model)."""
    return [
        row[0]
        for row in store.db.execute(
            """
            SELECT d.arxiv_id FROM deliveries d
            WHERE d.chat_id = :chat
                AND d.arxiv_id NOT IN (SELECT arxiv_id FROM feedback WHERE chat_id = :chat)
                AND d.arxiv_id NOT IN (SELECT arxiv_id FROM saved WHERE chat_id = :chat)
            ORDER BY d.delivered_at DESC, d.rowid DESC LIMIT :limit
            """,
            {"chat": chat_id, "limit": limit},
        )
    ]


def rated_ids(store: Store, chat_id: int) -> frozenset[str]:
    """Every paper the chat voted on or saved (left out of /calibrate): a chat's own rows, read
    by their index, however big the window they are compared with."""
    found = store.db.execute(
        "SELECT arxiv_id FROM feedback WHERE chat_id = :chat UNION "
        "SELECT arxiv_id FROM saved WHERE chat_id = :chat",
        {"chat": chat_id},
    )
    return frozenset(row[0] for row in found)


def feedback_count(store: Store, chat_id: int) -> int:
    """How many 👍/👎 the chat gave (what /forget would delete)."""
    row = store.db.execute("SELECT COUNT(*) FROM feedback WHERE chat_id = ?", [chat_id]).fetchone()
    return int(row[0])

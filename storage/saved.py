"""Saved papers (⭐) and 👍/👎 feedback, per chat."""

from __future__ import annotations

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


def saved_papers(store: Store, chat_id: int, limit: int = MAX_SAVED) -> list[SavedPaper]:
    """A chat's saved papers, newest first."""
    return [
        SavedPaper(row["arxiv_id"], row["title"], row["saved_at"])
        for row in store.db.query(
            "SELECT arxiv_id, title, saved_at FROM saved WHERE chat_id = ?"
            " ORDER BY saved_at DESC, rowid DESC LIMIT ?",
            [chat_id, limit],
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

"""What a chat told the ranker: its ⭐, 👍 and 👎, and the papers it was sent and let pass.

Read from the tables the buttons write (storage/saved.py); the ranker (bot/ranking.py) turns
them into training data.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.models import Paper
from storage.database import Store
from storage.papers import paper_from_row


@dataclass(frozen=True)
class Signal:
    """One paper a chat reacted to: its vote (1, -1 or None) and whether it saved it."""

    paper: Paper
    vote: int | None
    saved: bool


def chat_signals(store: Store, chat_id: int) -> list[Signal]:
    """Every paper the chat voted on or saved, oldest reaction first; papers no longer stored
    are left out (nothing to learn from without their text)."""
    rows = store.db.execute(
        """
        SELECT p.*, r.vote AS vote, r.saved AS saved FROM (
            SELECT arxiv_id, MAX(vote) AS vote, MAX(saved) AS saved, MIN(at) AS at FROM (
                SELECT arxiv_id, value AS vote, 0 AS saved, created_at AS at
                FROM feedback WHERE chat_id = ?
                UNION ALL
                SELECT arxiv_id, NULL, 1, saved_at FROM saved WHERE chat_id = ?
            ) GROUP BY arxiv_id
        ) r JOIN papers p ON p.arxiv_id = r.arxiv_id
        ORDER BY r.at, p.arxiv_id
        """,
        [chat_id, chat_id],
    )
    columns = [c[0] for c in rows.description]
    found = []
    for values in rows:
        row = dict(zip(columns, values, strict=True))
        found.append(Signal(paper_from_row(row), row["vote"], bool(row["saved"])))
    return found


def passed_over(store: Store, chat_id: int, limit: int, since: str = "") -> list[Paper]:
    """Papers the chat was sent (since `since`, an ISO time, when given) and neither voted on
    nor saved, the last sent first: what it scrolled past, the ranker's weak negatives and what
    /calibrate offers to rate before there is a model. Papers no longer stored are left out."""
    rows = store.db.execute(
        """
        SELECT p.* FROM deliveries d JOIN papers p ON p.arxiv_id = d.arxiv_id
        WHERE d.chat_id = ? AND d.delivered_at >= ?
          AND d.arxiv_id NOT IN (SELECT arxiv_id FROM feedback WHERE chat_id = ?)
          AND d.arxiv_id NOT IN (SELECT arxiv_id FROM saved WHERE chat_id = ?)
        ORDER BY d.delivered_at DESC, d.rowid DESC
        LIMIT ?
        """,
        [chat_id, since, chat_id, chat_id, limit],
    )
    columns = [c[0] for c in rows.description]
    return [paper_from_row(dict(zip(columns, r, strict=True))) for r in rows]

"""Saved papers (⭐), what each chat knows of them (the watch, bot.watch), and 👍/👎 feedback."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from bot.watch import PaperState
from storage import outbox
from storage.clock import utc_now
from storage.database import Store
from storage.outbox import OutboxMessage

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
        # What the chat knows from now on is the paper as stored (as it was shown): the watch
        # tells it what changes after this (bot.watch). A paper not stored yet gets its
        # baseline when it is.
        store.db.execute(
            """
            INSERT INTO saved (chat_id, arxiv_id, title, saved_at, known_version,
                known_journal_ref, known_doi)
            SELECT ?, ?, ?, ?, p.version, p.journal_ref, p.doi
            FROM (SELECT 1) LEFT JOIN papers AS p ON p.arxiv_id = ?
            """,
            [chat_id, arxiv_id, title, utc_now(), arxiv_id],
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


# -- the watch: what each chat knows of the papers it saved (bot.watch) --------------------------


@dataclass(frozen=True)
class WatchedPaper:
    """A saved paper as one chat knows it, beside the paper as stored now."""

    chat_id: int
    arxiv_id: str
    title: str
    ui_language: str
    known: PaperState
    stored: PaperState


def watched(store: Store, arxiv_ids: Sequence[str]) -> list[WatchedPaper]:
    """Every active chat's saved row of these papers, with what it knows and what is stored.

    A chat that blocked the bot (inactive) is left out: it is not told, and what it knows
    stays, so when it comes back the next change tells it everything since. A paused chat is
    in: pausing stops the daily digest, not the bot.
    """
    rows = store.db.execute(
        """
        SELECT s.chat_id, s.arxiv_id, s.title, c.ui_language, s.known_version,
            s.known_journal_ref, s.known_doi, p.version, p.journal_ref, p.doi
        FROM saved AS s
        JOIN papers AS p ON p.arxiv_id = s.arxiv_id
        JOIN chats AS c ON c.chat_id = s.chat_id
        WHERE s.arxiv_id IN (SELECT value FROM json_each(?)) AND c.active = 1
        ORDER BY s.chat_id, s.saved_at, s.arxiv_id
        """,
        [json.dumps(sorted(set(arxiv_ids)))],
    )
    return [
        WatchedPaper(
            chat_id=row[0],
            arxiv_id=row[1],
            title=row[2],
            ui_language=row[3],
            known=PaperState(row[4], row[5], row[6]),
            stored=PaperState(row[7], row[8], row[9]),
        )
        for row in rows
    ]


def record_told(
    store: Store,
    learned: Sequence[tuple[int, str, PaperState]],
    notes: Sequence[OutboxMessage],
) -> None:
    """What chats know now (chat, paper, state) and the notes that told them, in one
    transaction: a crash queues every note and records it, or does neither."""
    with store.lock, store.db.atomic():
        store.db.conn.executemany(
            "UPDATE saved SET known_version = ?, known_journal_ref = ?, known_doi = ?"
            " WHERE chat_id = ? AND arxiv_id = ?",
            [
                (state.version, state.journal_ref, state.doi, chat_id, arxiv_id)
                for chat_id, arxiv_id, state in learned
            ],
        )
        outbox.write(store, notes, utc_now())


def known_state(store: Store, chat_id: int, arxiv_id: str) -> PaperState | None:
    """What the chat knows of a paper it saved; None when it has not saved it."""
    row = store.db.execute(
        "SELECT known_version, known_journal_ref, known_doi FROM saved"
        " WHERE chat_id = ? AND arxiv_id = ?",
        [chat_id, arxiv_id],
    ).fetchone()
    return None if row is None else PaperState(row[0], row[1], row[2])


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

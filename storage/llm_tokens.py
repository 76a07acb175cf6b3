"""Tokens the `llm` translation backend used per UTC day, kept in the bot_state table.

The daily budget (LLM_DAILY_TOKENS) must hold across restarts: a bot restarted at noon would
otherwise spend the day's budget twice. One row per day (`llm_tokens:2026-12-01`); old days
are left behind, a few bytes each.
"""

from __future__ import annotations

from datetime import date

from storage.bot_state import get_value
from storage.clock import utc_now
from storage.database import Store


def _key(day: date) -> str:
    return f"llm_tokens:{day.isoformat()}"


class SqliteTokenLedger:
    """The service's TokenLedger on the bot's database."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def used(self, day: date) -> int:
        """Tokens counted on `day` so far (0 for a day without any)."""
        value = get_value(self.store, _key(day))
        return int(value) if value is not None and value.isdigit() else 0

    def add(self, day: date, tokens: int) -> None:
        """Count `tokens` more on `day` (one statement: concurrent adds are not lost)."""
        with self.store.lock:
            self.store.db.execute(
                "INSERT INTO bot_state (key, value, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET "
                "value = CAST(CAST(value AS INTEGER) + ? AS TEXT), "
                "updated_at = excluded.updated_at",
                [_key(day), str(tokens), utc_now(), tokens],
            )

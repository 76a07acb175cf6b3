"""Values the bot keeps about itself across restarts, one row per key (the webhook secret)."""

from __future__ import annotations

from collections.abc import Callable

from storage.clock import utc_now
from storage.database import Store


def get_value(store: Store, key: str) -> str | None:
    """The stored value, or None."""
    row = store.db.execute("SELECT value FROM bot_state WHERE key = ?", [key]).fetchone()
    return None if row is None else str(row[0])


def value_or_create(store: Store, key: str, create: Callable[[], str]) -> str:
    """The stored value; when there is none, `create()` is stored and returned. Two processes
    racing here both end up with the one stored first."""
    with store.lock:
        value = get_value(store, key)
        if value is not None:
            return value
        store.db.execute(
            "INSERT OR IGNORE INTO bot_state (key, value, updated_at) VALUES (?, ?, ?)",
            [key, create(), utc_now()],
        )
        value = get_value(store, key)
    assert value is not None  # inserted just now, or by whoever won the race
    return value

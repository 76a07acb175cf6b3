"""Search queries by short key, so buttons under results can page and act on them."""

from __future__ import annotations

import hashlib

from storage.clock import utc_now
from storage.database import Store


def remember_query(store: Store, query: str) -> str:
    """A stable 10-character key for the query (the same query always gets the same key)."""
    key = hashlib.sha256(query.encode("utf-8")).hexdigest()[:10]
    with store.lock:
        store.db.execute(
            "INSERT INTO searches (key, query, created_at) VALUES (?, ?, ?)"
            " ON CONFLICT (key) DO NOTHING",
            [key, query, utc_now()],
        )
    return key


def query_for(store: Store, key: str) -> str | None:
    """The query behind a key, or None for a forged or unknown key."""
    row = store.db.execute("SELECT query FROM searches WHERE key = ?", [key]).fetchone()
    return row[0] if row else None

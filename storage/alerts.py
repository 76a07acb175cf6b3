"""Raised admin alerts: one row per kind while it lasts, so admins get one message per incident."""

from __future__ import annotations

from storage.clock import utc_now
from storage.database import Store


def raised(store: Store) -> dict[str, str]:
    """Kinds currently raised, with the detail they were raised with."""
    return {row[0]: row[1] or "" for row in store.db.execute("SELECT kind, detail FROM alerts")}


def raise_alert(store: Store, kind: str, detail: str) -> bool:
    """Record the alert; False when it was already raised (nobody needs telling again)."""
    with store.lock:
        cursor = store.db.execute(
            "INSERT OR IGNORE INTO alerts (kind, raised_at, detail) VALUES (?, ?, ?)",
            [kind, utc_now(), detail],
        )
        return cursor.rowcount == 1


def clear_alert(store: Store, kind: str) -> bool:
    """Forget the alert; False when it was not raised."""
    with store.lock:
        return store.db.execute("DELETE FROM alerts WHERE kind = ?", [kind]).rowcount == 1

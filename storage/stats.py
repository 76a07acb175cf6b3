"""Counts for operators: `/stats` and `python -m bot stats`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from storage.database import Store


@dataclass(frozen=True)
class Stats:
    """The bot at a glance."""

    chats: int
    active: int
    paused: int
    subscriptions: int
    papers: int
    latest_announcement: str | None
    last_fetch: str | None
    last_fetch_status: str | None
    deliveries_today: int
    fetch_failures_today: int


def collect(store: Store) -> Stats:
    """Count everything in one pass of small indexed queries."""
    today = datetime.now(UTC).date().isoformat()

    def count(sql: str, params: list[object] | None = None) -> int:
        row = store.db.execute(sql, params or []).fetchone()
        return int(row[0] or 0) if row else 0

    last = store.db.execute(
        "SELECT finished_at, status FROM fetch_log ORDER BY id DESC LIMIT 1"
    ).fetchone()
    latest = store.db.execute("SELECT MAX(announced) FROM announcements").fetchone()
    return Stats(
        chats=count("SELECT COUNT(*) FROM chats"),
        active=count("SELECT COUNT(*) FROM chats WHERE active = 1 AND paused = 0"),
        paused=count("SELECT COUNT(*) FROM chats WHERE paused = 1"),
        subscriptions=count("SELECT COUNT(*) FROM subscriptions"),
        papers=count("SELECT COUNT(*) FROM papers"),
        latest_announcement=latest[0] if latest else None,
        last_fetch=last[0] if last else None,
        last_fetch_status=last[1] if last else None,
        deliveries_today=count("SELECT COUNT(*) FROM deliveries WHERE delivered_at >= ?", [today]),
        fetch_failures_today=count(
            "SELECT COUNT(*) FROM fetch_log WHERE status = 'error' AND started_at >= ?", [today]
        ),
    )


def active_chat_ids(store: Store) -> list[int]:
    """Chats that receive pushes (active and not paused): who a broadcast goes to."""
    return [
        row[0]
        for row in store.db.execute(
            "SELECT chat_id FROM chats WHERE active = 1 AND paused = 0 ORDER BY chat_id"
        )
    ]

"""Every earlier schema version upgrades to the current one without losing a row.

A bot that has run for months holds chats, subscriptions, the ledger and a queued outbox; an
upgrade must carry all of it. For each shipped migration, a database is built up to just before
it, filled the way that version's code would have filled it, then opened by today's code.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlite_utils import Database

from storage import chats, deliveries, outbox
from storage.database import _connect, open_store, schema_version
from storage.migrations import MIGRATIONS

NAMES = [migration.name for migration in MIGRATIONS.pending(Database(memory=True))]
NOW = "2026-11-20T09:00:00+00:00"


def _fill(db: Database, applied: list[str]) -> None:
    """Rows every version had (chats, subscriptions, papers, ledger) and later ones' tables."""
    db.execute(
        "INSERT INTO chats (chat_id, language, timezone, delivery_time, created_at, updated_at,"
        " last_announced) VALUES (42, 'zh-CN', 'Asia/Shanghai', '08:30', ?, ?, '2026-11-19')",
        [NOW, NOW],
    )
    db.execute(
        "INSERT INTO subscriptions (chat_id, kind, value, phrase, created_at) VALUES"
        " (42, 'category', 'cs.CV', 0, ?), (42, 'keyword', 'anomaly detection', 1, ?)",
        [NOW, NOW],
    )
    db.execute(
        "INSERT INTO papers (arxiv_id, version, title, abstract, authors, categories,"
        " primary_category, first_seen, updated_at) VALUES ('2611.00001', 2, 'T', 'A',"
        " '[\"Ada\"]', '[\"cs.CV\"]', 'cs.CV', ?, ?)",
        [NOW, NOW],
    )
    db.execute(
        "INSERT INTO deliveries (chat_id, arxiv_id, version, announced, delivered_at, message_id)"
        " VALUES (42, '2611.00001', 2, '2026-11-19', ?, 7)",
        [NOW],
    )
    if "0004_outbox" in applied:
        db.execute(
            "INSERT INTO outbox (chat_id, announced, seq, text, created_at) VALUES"
            " (42, '2026-11-20', 0, 'queued before the upgrade', ?)",
            [NOW],
        )


@pytest.mark.parametrize("stop_before", NAMES[1:], ids=lambda name: f"from-before-{name}")
def test_an_older_database_upgrades_and_keeps_its_rows(tmp_path: Path, stop_before: str) -> None:
    path = tmp_path / "old.sqlite3"
    old = Database(_connect(str(path)))
    MIGRATIONS.apply(old, stop_before=stop_before)
    applied = [m.name for m in MIGRATIONS.applied(old)]
    assert applied == NAMES[: NAMES.index(stop_before)]
    _fill(old, applied)
    old.conn.commit()
    old.close()

    store = open_store(path)
    assert schema_version(store) == len(NAMES)
    chat = chats.get_chat(store, 42)
    assert chat is not None
    assert (chat.language, chat.delivery_time, chat.last_announced) == (
        "zh-CN",
        "08:30",
        "2026-11-19",
    )
    assert {(s.kind, s.value, s.phrase) for s in chats.subscriptions(store, 42)} == {
        ("category", "cs.CV", False),
        ("keyword", "anomaly detection", True),
    }
    assert deliveries.delivered_versions(store, 42, ["2611.00001"]) == {"2611.00001": 2}
    if "0004_outbox" in applied:
        assert [m.text for m in outbox.pending(store, now=0)] == ["queued before the upgrade"]
    assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert store.db.execute("PRAGMA foreign_key_check").fetchall() == []

    fresh = open_store(tmp_path / "fresh.sqlite3")
    assert _schema(store.db) == _schema(fresh.db)


def _schema(db: Database) -> dict[str, list[tuple[str, str, int]]]:
    """Tables and indexes with their columns (name, type, not-null), as an upgrade must leave."""
    shape: dict[str, list[tuple[str, str, int]]] = {}
    for name, kind in db.execute(
        "SELECT name, type FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name"
    ):
        if kind == "table":
            shape[name] = [(r[1], r[2], r[3]) for r in db.execute(f"PRAGMA table_info('{name}')")]
        else:
            shape[name] = [(r[2], "", 0) for r in db.execute(f"PRAGMA index_info('{name}')")]
    return shape

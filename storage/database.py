"""Opening the SQLite database: one connection, WAL, foreign keys, migrations applied.

The bot is asyncio on one thread, but translation and the arXiv client run in worker threads and
the backup command reads while the bot writes. One connection opened with
`check_same_thread=False` and guarded by a lock for multi-statement work keeps that safe without a
connection pool.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

from sqlite_utils import Database

from storage.migrations import MIGRATIONS

# Owner-only: the database holds chat ids and their interests.
_FILE_MODE = 0o600


class Store:
    """The database handle every storage function takes: sqlite-utils plus a write lock."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.lock = threading.RLock()

    def close(self) -> None:
        """Close the connection (checkpointing the WAL)."""
        self.db.close()


def _connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, check_same_thread=False, timeout=30.0)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 30000")
    return conn


def open_store(path: Path | str) -> Store:
    """Open (creating it and its folder) and migrate the database at `path`; ':memory:' works."""
    target = str(path)
    if target != ":memory:":
        file = Path(target)
        file.parent.mkdir(parents=True, exist_ok=True)
        if not file.exists():
            file.touch(mode=_FILE_MODE)
        os.chmod(file, _FILE_MODE)
    db = Database(_connect(target))
    if target != ":memory:":
        db.enable_wal()
        # NORMAL is durable across process crashes in WAL mode; only power loss can drop the
        # last commits, which the fetch and the outbox redo.
        db.execute("PRAGMA synchronous = NORMAL")
    MIGRATIONS.apply(db)
    return Store(db)


def schema_version(store: Store) -> int:
    """How many numbered migrations this database has applied."""
    return len(MIGRATIONS.applied(store.db))


def backup(store: Store, target: Path | str) -> int:
    """A consistent copy of the live database at `target` (SQLite's online backup API), made
    while the bot keeps running; the copy is owner-only. Returns its schema version."""
    destination = Path(target)
    destination.parent.mkdir(parents=True, exist_ok=True)
    if destination.exists():
        destination.unlink()
    destination.touch(mode=_FILE_MODE)
    copy = sqlite3.connect(destination)
    try:
        with store.lock:
            # All pages in one step: one read transaction, so one consistent snapshot (WAL lets
            # the bot keep writing meanwhile).
            store.db.conn.backup(copy)
    finally:
        copy.close()
    os.chmod(destination, _FILE_MODE)
    copied = Store(Database(_connect(str(destination))))
    try:
        return schema_version(copied)
    finally:
        copied.close()

"""Opening the SQLite database: one connection, WAL, foreign keys, migrations applied.

The bot is asyncio on one thread, but translation and the arXiv client run in worker threads and
the backup command reads while the bot writes. One connection opened with
`check_same_thread=False` and guarded by a lock for multi-statement work keeps that safe without a
connection pool.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import tempfile
import threading
from pathlib import Path

from sqlite_utils import Database

from storage.backup import FILE_MODE, backup_before_upgrade, copy_database
from storage.migrations import MIGRATIONS


class Store:
    """The database handle every storage function takes: sqlite-utils plus a write lock."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.lock = threading.RLock()

    def close(self) -> None:
        """Close the connection (checkpointing the WAL)."""
        self.db.close()


class DatabaseOpenError(Exception):
    """DATABASE_PATH points somewhere the database cannot live; the message says where and why,
    in one line the operator can act on (the CLI prints it and exits with status 2)."""


def _file_in_the_way(file: Path) -> Path | None:
    """The first part of `file`'s folder path that exists as a regular file, if any."""
    for ancestor in reversed(file.parents):
        if ancestor.exists() and not ancestor.is_dir():
            return ancestor
    return None


def _reason(file: Path, exc: BaseException) -> str:
    """Why `file` cannot be opened, in the operator's words rather than errno's."""
    blocker = _file_in_the_way(file)
    if blocker is not None:
        return f"{blocker} is a file, not a folder"
    if file.is_dir():
        return f"it is a folder; give a file inside it, e.g. {file / 'bot.sqlite3'}"
    number = getattr(exc, "errno", None)
    if isinstance(exc, PermissionError) or number in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "no permission to write there (a read-only location?)"
    if isinstance(exc, sqlite3.DatabaseError) and "not a database" in str(exc):
        return "the file exists but is not an SQLite database"
    if isinstance(exc, sqlite3.OperationalError) and "readonly" in str(exc):
        return "the database is read-only (a read-only file or location?)"
    return getattr(exc, "strerror", None) or str(exc)


def prepare_location(path: Path | str) -> None:
    """Create the database's folder and an owner-only file; `DatabaseOpenError` when that is
    impossible. Separate from `open_store` so `run` can check it before taking its lock."""
    file = Path(path)
    try:
        if file.is_dir():
            raise IsADirectoryError(errno.EISDIR, "is a folder", str(file))
        file.parent.mkdir(parents=True, exist_ok=True)
        if not file.exists():
            file.touch(mode=FILE_MODE)
        os.chmod(file, FILE_MODE)
    except OSError as exc:
        raise DatabaseOpenError(f"DATABASE_PATH {str(file)!r}: {_reason(file, exc)}") from exc


def _connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, check_same_thread=False, timeout=30.0)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 30000")
    return conn


def open_store(path: Path | str) -> Store:
    """Open (creating it and its folder) and migrate the database at `path`; ':memory:' works.

    Raises `DatabaseOpenError` when the location is unusable (a file where a folder should be,
    a folder where the file should be, no permission, not a database)."""
    target = str(path)
    if target != ":memory:":
        prepare_location(target)
    try:
        db = Database(_connect(target))
        if target != ":memory:":
            db.enable_wal()
            # NORMAL is durable across process crashes in WAL mode; only power loss can drop
            # the last commits, which the fetch and the outbox redo.
            db.execute("PRAGMA synchronous = NORMAL")
    except sqlite3.DatabaseError as exc:
        # Only opening is wrapped (its first read and write): the operator can fix these, while a
        # failing migration is our bug and keeps its traceback.
        raise DatabaseOpenError(f"DATABASE_PATH {target!r}: {_reason(Path(target), exc)}") from exc
    pending = [migration.name for migration in MIGRATIONS.pending(db)]
    applied = len(MIGRATIONS.applied(db))
    if pending and applied and target != ":memory:":
        # An upgrade of a database that holds data: a copy first, in case it goes wrong. No
        # copy, no upgrade: the operator frees space (or fixes the folder) and starts again.
        try:
            backup_before_upgrade(db.conn, Path(target), applied, pending)
        except (OSError, sqlite3.Error) as exc:
            db.close()
            raise DatabaseOpenError(
                f"DATABASE_PATH {target!r}: the backup before migrating it could not be written "
                f"beside it ({getattr(exc, 'strerror', None) or exc}); nothing was migrated"
            ) from exc
    MIGRATIONS.apply(db)
    return Store(db)


def schema_version(store: Store) -> int:
    """How many numbered migrations this database has applied."""
    return len(MIGRATIONS.applied(store.db))


def backup(store: Store, target: Path | str) -> int:
    """A consistent copy of the live database at `target` (SQLite's online backup API), made
    while the bot keeps running; the copy is owner-only. Returns its schema version."""
    with store.lock:
        copy_database(store.db.conn, target)
    copied = Store(Database(_connect(str(target))))
    try:
        return schema_version(copied)
    finally:
        copied.close()


def migration_names() -> list[str]:
    """Every numbered migration this code has, in order: the latest schema is their count."""
    return [migration.name for migration in MIGRATIONS.pending(Database(memory=True))]


def pending_migrations(path: Path | str) -> list[str]:
    """The migrations the database at `path` has not applied yet, by name, without applying
    them (or creating anything): every one when there is no database there yet."""
    if not Path(path).exists():
        return migration_names()
    if not Path(path).is_file():
        raise DatabaseOpenError(f"DATABASE_PATH {str(path)!r}: {_reason(Path(path), OSError())}")
    conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, timeout=5.0)
    try:
        return [migration.name for migration in MIGRATIONS.pending(Database(conn))]
    except sqlite3.DatabaseError as exc:
        raise DatabaseOpenError(f"DATABASE_PATH {str(path)!r}: {_reason(Path(path), exc)}") from exc
    finally:
        conn.close()


def writable_problem(path: Path | str) -> str | None:
    """Why the database at `path` cannot be written (in the operator's words), or None when it
    can. Nothing is changed: an existing database gets a write inside a transaction that is
    rolled back; a missing one is only checked for a folder it can be created in."""
    file = Path(path)
    if not file.exists():
        blocker = _file_in_the_way(file)
        if blocker is not None:
            return f"{blocker} is a file, not a folder"
        folder = next(parent for parent in file.parents if parent.exists())
        if not os.access(folder, os.W_OK | os.X_OK) or not _can_create_in(folder):
            return f"no permission to create it in {folder} (a read-only location?)"
        return None
    if file.is_dir():
        return _reason(file, IsADirectoryError(errno.EISDIR, "is a folder"))
    try:
        conn = sqlite3.connect(f"{file.resolve().as_uri()}?mode=rw", uri=True, timeout=5.0)
    except sqlite3.Error as exc:
        return _reason(file, exc)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("CREATE TABLE doctor_write_probe (x INTEGER)")
        return None
    except sqlite3.Error as exc:
        return _reason(file, exc)
    finally:
        if conn.in_transaction:
            conn.rollback()
        conn.close()


def _can_create_in(folder: Path) -> bool:
    """Whether a file can be created in `folder` (root passes os.access everywhere, yet some
    places, a read-only mount or sysfs, refuse it anyway)."""
    try:
        with tempfile.NamedTemporaryFile(dir=folder):
            return True
    except OSError:
        return False

"""Safe upgrades: a database that holds data is copied beside itself before it is migrated, the
last three copies are kept, and `python -m bot migrate --check` tells scripts what is pending."""

from __future__ import annotations

import errno
import logging
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlite_utils import Database

import storage.backup
from bot.single_instance import InstanceLock
from storage.backup import KEEP, to_delete, upgrade_backup_name, upgrade_backups
from storage.database import (
    DatabaseOpenError,
    _connect,
    open_store,
    pending_migrations,
    schema_version,
)
from storage.migrations import MIGRATIONS
from tests.test_cli import run

NAMES = [m.name for m in MIGRATIONS.pending(Database(memory=True))]


def old_database(path: Path, chat_id: int = 42) -> None:
    """A database one migration behind, holding a chat, as the previous version left it."""
    path.unlink(missing_ok=True)
    old = Database(_connect(str(path)))
    MIGRATIONS.apply(old, stop_before=NAMES[-1])
    old.execute(
        "INSERT INTO chats (chat_id, language, timezone, delivery_time, created_at, updated_at)"
        " VALUES (?, 'zh-CN', 'Asia/Shanghai', '09:00', 'now', 'now')",
        [chat_id],
    )
    old.conn.commit()
    old.close()


def test_opening_an_old_database_backs_it_up_first_and_says_where(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "bot.sqlite3"
    old_database(path)
    with caplog.at_level(logging.INFO, logger="storage.backup"):
        store = open_store(path)
    assert schema_version(store) == len(NAMES)
    [backup] = upgrade_backups(path)
    assert backup.name.startswith(f"bot.sqlite3.bak-{len(NAMES) - 1}-")
    assert backup.stat().st_mode & 0o777 == 0o600
    # The copy is the database as it was: the old schema, the chat in it.
    copy = sqlite3.connect(backup)
    assert copy.execute("SELECT chat_id FROM chats").fetchall() == [(42,)]
    assert [r[0] for r in copy.execute("SELECT name FROM _sqlite_migrations")] == NAMES[:-1]
    copy.close()
    [line] = [r.getMessage() for r in caplog.records if "backup written" in r.getMessage()]
    assert str(backup) in line and NAMES[-1] in line


def test_a_new_or_current_database_gets_no_backup(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    open_store(path).close()
    open_store(path).close()
    assert upgrade_backups(path) == []


def test_only_the_last_three_upgrade_backups_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    (tmp_path / "bot.sqlite3.bak-notes.txt").write_text("not a backup of ours")
    for chat_id in range(1, 6):
        old_database(path, chat_id)
        open_store(path).close()
    kept = upgrade_backups(path)
    assert len(kept) == KEEP
    chats = [sqlite3.connect(p).execute("SELECT chat_id FROM chats").fetchone()[0] for p in kept]
    assert chats == [3, 4, 5]
    assert (tmp_path / "bot.sqlite3.bak-notes.txt").exists()


@given(st.lists(st.integers(min_value=0, max_value=10**8), unique=True, max_size=8))
def test_to_delete_leaves_the_newest_three(offsets: list[int]) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    names = [
        upgrade_backup_name(Path("bot.sqlite3"), 7, start + timedelta(seconds=s)) for s in offsets
    ]
    doomed = to_delete([*names, "bot.sqlite3", "bot.sqlite3.bak-x-y"])
    newest = sorted(offsets)[-KEEP:]
    assert sorted(doomed) == sorted(
        name for name, offset in zip(names, offsets, strict=True) if offset not in newest
    )


def test_migrate_check_says_what_is_pending_and_migrate_applies_it(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    old_database(path)
    check = run(["migrate", "--check"], tmp_path, DATABASE_PATH=str(path))
    assert check.returncode == 1, check.stderr
    assert f"1 migration(s) pending: {NAMES[-1]}" in check.stdout
    assert pending_migrations(path) == [NAMES[-1]]  # only looked
    assert upgrade_backups(path) == []

    with InstanceLock(path):  # a bot runs on it: no migration under it
        refused = run(["migrate"], tmp_path, DATABASE_PATH=str(path))
    assert refused.returncode == 1 and "another bot is already running" in refused.stderr
    assert pending_migrations(path) == [NAMES[-1]]

    applied = run(["migrate"], tmp_path, DATABASE_PATH=str(path))
    assert applied.returncode == 0, applied.stderr
    assert f"applied 1 migration(s): {NAMES[-1]}" in applied.stdout
    assert len(upgrade_backups(path)) == 1

    current = run(["migrate", "--check"], tmp_path, DATABASE_PATH=str(path))
    assert current.returncode == 0, current.stderr
    assert f"no migration pending: schema {len(NAMES)}" in current.stdout


def test_no_backup_no_upgrade(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "bot.sqlite3"
    old_database(path)

    def disk_full(source: sqlite3.Connection, target: Path | str) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(storage.backup, "copy_database", disk_full)
    with pytest.raises(
        DatabaseOpenError, match=r"\(No space left on device\); nothing was migrated"
    ):
        open_store(path)
    assert pending_migrations(path) == [NAMES[-1]]

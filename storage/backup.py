"""Copies of the database: on demand (`python -m bot backup PATH`) and before an upgrade.

A migration that goes wrong halfway, or a new version the operator wants to roll back, must not
cost a year of chats, subscriptions and ledger. So before migrations run on a database that
already holds data, a copy is written beside it, `<db>.bak-<schema>-<UTC stamp>`, with SQLite's
online backup (consistent even while another process writes), and only the last three such
copies are kept: upgrades are rare, and a full disk a year later is worse than an old backup.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger(__name__)

# Owner-only, as the database itself: the copy holds the same chat ids and interests.
FILE_MODE = 0o600
# Upgrade backups kept beside the database; older ones are deleted after a new one is written.
KEEP = 3
_MARK = ".bak-"
_STAMP = "%Y%m%dT%H%M%S.%fZ"


def copy_database(source: sqlite3.Connection, target: Path | str) -> None:
    """Write a consistent, owner-only copy of `source`'s database to `target` (replaced)."""
    destination = Path(target)
    destination.parent.mkdir(parents=True, exist_ok=True)
    if destination.exists():
        destination.unlink()
    destination.touch(mode=FILE_MODE)
    copy = sqlite3.connect(destination)
    try:
        # All pages in one step: one read transaction, so one consistent snapshot (WAL lets
        # the bot keep writing meanwhile).
        source.backup(copy)
    finally:
        copy.close()
    os.chmod(destination, FILE_MODE)


def upgrade_backup_name(database: Path, schema: int, now: datetime) -> str:
    """`bot.sqlite3.bak-7-20261201T221500.123456Z`: the schema it had, when it was taken (UTC;
    microseconds, so two upgrades in one second do not share a name)."""
    return f"{database.name}{_MARK}{schema}-{now.astimezone(UTC).strftime(_STAMP)}"


def _taken_at(name: str) -> datetime | None:
    """When an upgrade backup named `name` was taken, or None for any other file."""
    _, mark, rest = name.rpartition(_MARK)
    schema, dash, stamp = rest.partition("-")
    if not mark or not dash or not schema.isdigit():
        return None
    try:
        return datetime.strptime(stamp, _STAMP).replace(tzinfo=UTC)
    except ValueError:
        return None


def to_delete(names: Iterable[str], keep: int = KEEP) -> list[str]:
    """Of the upgrade backups among `names`, all but the `keep` newest (by their stamp)."""
    dated = sorted(
        ((taken, name) for name in names if (taken := _taken_at(name)) is not None),
        reverse=True,
    )
    return [name for _, name in dated[keep:]]


def upgrade_backups(database: Path) -> list[Path]:
    """The upgrade backups beside `database`, oldest first."""
    candidates = database.parent.glob(database.name + _MARK + "*")
    dated = sorted(
        (taken, path) for path in candidates if (taken := _taken_at(path.name)) is not None
    )
    return [path for _, path in dated]


def backup_before_upgrade(
    source: sqlite3.Connection,
    database: Path,
    schema: int,
    pending: list[str],
    now: datetime | None = None,
) -> Path:
    """Copy the database about to be migrated beside it, keep the last `KEEP` such copies, and
    log where the copy is. Returns its path."""
    target = database.with_name(upgrade_backup_name(database, schema, now or datetime.now(UTC)))
    copy_database(source, target)
    siblings = [path.name for path in database.parent.glob(database.name + _MARK + "*")]
    for name in to_delete(siblings):
        (database.parent / name).unlink(missing_ok=True)
    log.info(
        "database at schema %d, %d migration(s) pending (%s): backup written to %s",
        schema,
        len(pending),
        ", ".join(pending),
        target,
    )
    return target

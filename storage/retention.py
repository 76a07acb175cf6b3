"""Retention: what the database forgets, and the space it gives back.

Without it every paper, listing, translation and sent message is kept for ever, and a bot that
serves a lab fills its disk in a year or two. After each stored announcement (bot.ingest), and
with `RETENTION_DAYS` days kept (90 by default):

- listings of announcements more than `days` before the latest one go, then every paper that
  no listing names any more, unless a chat saved it (⭐), voted on it (👍/👎: its ranker trains
  on those papers) or a queued message still waits to show it. Papers only seen in a search
  go `days` after they were first kept. Days count from the latest announcement, not from the
  clock: a bot that was down for months still has the last day it fetched to show.
- translations made more than `days` ago, or more than TRANSLATIONS_KEPT_DAYS (30) ago if
  that is sooner: they are a cache of what a backend said, asked again if a paper is shown
  again, and papers are shown within days of their announcement (a digest shows the latest;
  "more like this" looks 30 days back). Kept as long as papers, they were 100 of the 354 MB a
  simulated year of 1,000 chats left (bench/retention.py);
- a paper's message in the outbox goes 12 hours after Telegram confirmed it: its record is the
  ledger row (chat, paper, version, announcement, Telegram's message id, when), and its text
  is the bulk of the database (a day's push to 1,000 chats is 40 MB). Other sent messages
  (overviews, notes, alerts, broadcasts) go after 7 days, failed and dropped ones after 30
  (Telegram's refusals are the evidence an operator looks for; a month is enough to look),
  except the latest broadcast's, whose progress /stats shows. Pending rows stay.
- the ledger row of a chat and a paper goes when the paper's listings do, unless that chat
  saved or voted on the paper. The ledger keeps a paper from reaching a chat twice, and an old
  paper comes back only as a new version (arXiv lists a paper as new or cross-listed when it
  is announced): a new version is shown to a chat that asked for replacements and marked as
  one, exactly as it would be with the old row, and never to a chat that did not. So the row
  has done its work by then. A paper other chats keep does not keep everyone's rows: a year
  of saved papers, each sent to hundreds of chats, would keep a million rows.

Work is done in batches, each its own short transaction under the store's lock, so a bot that
runs this in a worker thread keeps answering between them. The freed pages go back to the file
system with `PRAGMA incremental_vacuum` (migration 0012 switched the database to it).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from storage.database import Store

DEFAULT_DAYS = 90
# A paper's message is recorded in the ledger once sent: half a day covers the push it was in.
SENT_PAPER_KEPT = timedelta(hours=12)
SENT_KEPT_DAYS = 7
TRANSLATIONS_KEPT_DAYS = 30
FAILED_KEPT_DAYS = 30
# Rows per transaction: a few milliseconds each, so commands wait at most that long.
BATCH = 2000
# Pages per incremental vacuum step (8 MB of 4 KB pages).
VACUUM_STEP = 2048
# Once the WAL has been checkpointed, SQLite cuts it back to this size instead of keeping its
# high-water mark (a day's push can grow it to hundreds of MB).
WAL_LIMIT = 16 * 1024 * 1024
_INCREMENTAL = 2


@dataclass(frozen=True)
class PruneReport:
    """How many rows of each kind one prune removed, and the pages given back."""

    listings: int = 0
    papers: int = 0
    ledger: int = 0
    translations: int = 0
    outbox: int = 0
    pages_freed: int = 0

    @property
    def rows(self) -> int:
        """Every row removed."""
        return self.listings + self.papers + self.ledger + self.translations + self.outbox

    def summary(self) -> str:
        """One line for the log and the CLI: `pruned 12 papers, 30 listings, ... ; 3.1 MB freed`."""
        parts = [
            f"{getattr(self, f.name)} {f.name}" for f in fields(self) if f.name != "pages_freed"
        ]
        return f"pruned {', '.join(parts)}; {self.pages_freed} pages given back"


@dataclass(frozen=True)
class DatabaseSize:
    """The database's footprint on disk: the file, its write-ahead log, and the pages inside
    the file that are free (reusable, or given back by the next incremental vacuum)."""

    file_bytes: int
    wal_bytes: int
    free_bytes: int

    @property
    def total_bytes(self) -> int:
        """File and WAL: what the disk holds."""
        return self.file_bytes + self.wal_bytes

    def summary(self) -> str:
        """`12.3 MB (file 11.0 MB + WAL 1.3 MB, 0.2 MB free inside)`."""
        return (
            f"{_mb(self.total_bytes)} (file {_mb(self.file_bytes)} + WAL {_mb(self.wal_bytes)}, "
            f"{_mb(self.free_bytes)} free inside)"
        )


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def database_size(store: Store) -> DatabaseSize:
    """The file and WAL sizes of the store's database, and its free pages (':memory:' counts
    its pages as the file)."""
    conn = store.db.conn
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    free = conn.execute("PRAGMA freelist_count").fetchone()[0] * page_size
    file = next((row[2] for row in conn.execute("PRAGMA database_list") if row[1] == "main"), "")
    if not file:
        return DatabaseSize(pages * page_size, 0, free)
    return DatabaseSize(_file_size(Path(file)), _file_size(Path(file + "-wal")), free)


def _file_size(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return 0


def _breathe() -> None:
    # Python's locks are not fair: without a moment between batches, this thread would take the
    # store's lock straight back and the event loop would wait for the whole prune.
    time.sleep(0.002)


def prune(
    store: Store,
    days: int,
    *,
    now: datetime | None = None,
    batch: int = BATCH,
    pause: Callable[[], None] = _breathe,
) -> PruneReport:
    """Remove what is older than `days` (see the module's docstring), in batches of `batch`
    rows with `pause()` between them, then give the freed pages back. Blocking: the bot runs
    it in a worker thread."""
    if days < 1:
        raise ValueError(f"retention must keep at least one day, not {days}")
    clock = now or datetime.now(UTC)
    day_cutoff = _day_cutoff(store, clock.date(), days)
    time_cutoff = _stamp(clock - timedelta(days=days))
    candidates = _listed_before(store, day_cutoff) + _never_listed(store, time_cutoff)
    listings = _in_batches(
        store,
        "DELETE FROM announcements WHERE rowid IN (SELECT rowid FROM announcements"
        " WHERE announced < ? LIMIT ?)",
        [day_cutoff],
        batch,
        pause,
    )
    removed_papers = _prune_papers(store, candidates, batch, pause)
    ledger = _in_batches(
        store,
        "DELETE FROM deliveries WHERE rowid IN (SELECT rowid FROM deliveries AS d"
        " WHERE announced < ? AND NOT EXISTS (SELECT 1 FROM saved AS s"
        " WHERE s.chat_id = d.chat_id AND s.arxiv_id = d.arxiv_id) AND NOT EXISTS"
        " (SELECT 1 FROM feedback AS f WHERE f.chat_id = d.chat_id AND f.arxiv_id = d.arxiv_id)"
        " LIMIT ?)",
        [day_cutoff],
        batch,
        pause,
    )
    translations = _in_batches(
        store,
        "DELETE FROM translations WHERE rowid IN (SELECT rowid FROM translations"
        " WHERE created_at < ? LIMIT ?)",
        [_stamp(clock - timedelta(days=min(days, TRANSLATIONS_KEPT_DAYS)))],
        batch,
        pause,
    )
    outbox = _prune_outbox(store, clock, batch, pause)
    freed = give_back_space(store, pause=pause)
    return PruneReport(listings, removed_papers, ledger, translations, outbox, freed)


def _prune_outbox(store: Store, clock: datetime, batch: int, pause: Callable[[], None]) -> int:
    """Finished outbox rows past their time (see the module's docstring); returns how many."""
    paper_cutoff = _stamp(clock - SENT_PAPER_KEPT)
    sent_cutoff = _stamp(clock - timedelta(days=SENT_KEPT_DAYS))
    failed_cutoff = _stamp(clock - timedelta(days=FAILED_KEPT_DAYS))
    # /stats counts the latest broadcast's rows: they stay while it is the latest.
    row = store.db.execute("SELECT MAX(id) FROM broadcasts WHERE status = 'queued'").fetchone()
    # No broadcast yet: -1 matches no row (`ref IS NOT NULL` would keep every non-broadcast).
    latest = row[0] if row and row[0] is not None else -1
    # sent_at >= created_at, so the created_at index finds every candidate of each rule; the
    # `+` keeps SQLite from walking the status index instead, which reads every sent row.
    rules: list[tuple[str, list[object]]] = [
        ("+status = 'sent' AND sent_at < ? AND arxiv_id IS NOT NULL", [paper_cutoff] * 2),
        ("+status = 'sent' AND sent_at < ? AND ref IS NOT ?", [*[sent_cutoff] * 2, latest]),
        ("+status IN ('failed', 'dropped') AND ref IS NOT ?", [failed_cutoff, latest]),
    ]
    removed = 0
    for where, params in rules:
        removed += _in_batches(
            store,
            "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE created_at < ? AND "
            f"{where} LIMIT ?)",
            params,
            batch,
            pause,
        )
    return removed


def _stamp(moment: datetime) -> str:
    # The stored format (storage.clock.utc_now): ISO text in UTC, which sorts as time does.
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _day_cutoff(store: Store, today: date, days: int) -> str:
    """The first announcement date kept: `days` before the latest announcement (or today, if
    that is earlier: a feed dated ahead of the clock must not keep old days longer)."""
    row = store.db.execute("SELECT MAX(announced) FROM announcements").fetchone()
    latest = date.fromisoformat(row[0]) if row and row[0] else today
    return (min(latest, today) - timedelta(days=days)).isoformat()


def _listed_before(store: Store, day_cutoff: str) -> list[str]:
    """Papers with a listing older than the cutoff: the ones that may go once it does."""
    return [
        row[0]
        for row in store.db.execute(
            "SELECT DISTINCT arxiv_id FROM announcements WHERE announced < ?", [day_cutoff]
        )
    ]


def _never_listed(store: Store, time_cutoff: str) -> list[str]:
    """Papers kept from a search (no listing at all) longer ago than the cutoff."""
    return [
        row[0]
        for row in store.db.execute(
            # The ids come from the two tables' indexes, so only unlisted papers' rows are read.
            "SELECT p.arxiv_id FROM (SELECT arxiv_id FROM papers EXCEPT"
            " SELECT arxiv_id FROM announcements) AS unlisted"
            " JOIN papers p ON p.arxiv_id = unlisted.arxiv_id WHERE p.updated_at < ?",
            [time_cutoff],
        )
    ]


def _prune_papers(
    store: Store, candidates: Sequence[str], batch: int, pause: Callable[[], None]
) -> int:
    """Delete the candidates no listing names any more and no chat keeps (saved, voted, queued).

    The keep rules are checked in the DELETE itself, in the batch's transaction: a ⭐ pressed
    while the prune runs is never lost to it."""
    removed = 0
    for start in range(0, len(candidates), batch):
        chunk = json.dumps(list(candidates[start : start + batch]))
        with store.lock, store.db.atomic():
            removed += store.db.execute(
                """
                DELETE FROM papers WHERE arxiv_id IN (SELECT value FROM json_each(?))
                AND NOT EXISTS (SELECT 1 FROM announcements a WHERE a.arxiv_id = papers.arxiv_id)
                AND arxiv_id NOT IN (SELECT arxiv_id FROM saved)
                AND arxiv_id NOT IN (SELECT arxiv_id FROM feedback)
                AND arxiv_id NOT IN (SELECT arxiv_id FROM outbox
                    WHERE status = 'pending' AND arxiv_id IS NOT NULL)
                """,
                [chunk],
            ).rowcount
        pause()
    return removed


def _in_batches(
    store: Store, sql: str, params: list[object], batch: int, pause: Callable[[], None]
) -> int:
    """Run a `DELETE ... LIMIT ?` (the limit last) until it removes fewer rows than a batch."""
    removed = 0
    while True:
        with store.lock, store.db.atomic():
            count = store.db.execute(sql, [*params, batch]).rowcount
        removed += count
        if count < batch:
            return removed
        pause()


def give_back_space(store: Store, *, pause: Callable[[], None] = _breathe) -> int:
    """Return the free pages to the file system (incremental vacuum, a step at a time), then
    checkpoint so the file shrinks now; returns the pages given back. Nothing to do on a
    database not yet switched to incremental vacuum."""
    conn = store.db.conn
    if conn.execute("PRAGMA auto_vacuum").fetchone()[0] != _INCREMENTAL:
        return 0
    freed = 0
    while True:
        with store.lock:
            before = conn.execute("PRAGMA freelist_count").fetchone()[0]
            if not before or conn.in_transaction:
                break  # executescript would commit another's open transaction: next time
            # executescript steps the pragma to its end; execute() would free one page.
            conn.executescript(f"PRAGMA incremental_vacuum({VACUUM_STEP})")
            after = conn.execute("PRAGMA freelist_count").fetchone()[0]
        freed += before - after
        if after >= before:
            break
        pause()
    with store.lock:
        conn.execute(f"PRAGMA journal_size_limit = {WAL_LIMIT}")
        # PASSIVE: never waits for another process's readers (a backup, `stats`); a database
        # in another journal mode answers without doing anything.
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    return freed

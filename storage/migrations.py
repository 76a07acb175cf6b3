"""Numbered schema migrations (sqlite-utils' built-in Migrations, recorded in _sqlite_migrations).

Append new migrations at the end with the next number; never edit one that has shipped.
"""

from __future__ import annotations

import logging

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

MIGRATIONS = Migrations("arxiv-digest-bot")


@MIGRATIONS(name="0001_initial")
def m0001_initial(db: Database) -> None:
    """Chats, their subscriptions, papers, announcements, translations, the ledger, fetch log."""
    db.execute(
        """
        CREATE TABLE chats (
            chat_id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL DEFAULT 'private',
            title TEXT NOT NULL DEFAULT '',
            language TEXT NOT NULL,
            ui_language TEXT NOT NULL DEFAULT 'en',
            timezone TEXT NOT NULL,
            delivery_time TEXT NOT NULL,
            max_papers INTEGER NOT NULL DEFAULT 20,
            include_cross INTEGER NOT NULL DEFAULT 1,
            include_replacements INTEGER NOT NULL DEFAULT 0,
            summaries INTEGER NOT NULL DEFAULT 1,
            notify_no_announcement INTEGER NOT NULL DEFAULT 0,
            notify_no_matches INTEGER NOT NULL DEFAULT 0,
            active INTEGER NOT NULL DEFAULT 1,
            paused INTEGER NOT NULL DEFAULT 0,
            last_announced TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX idx_chats_active ON chats (active, paused)")
    db.execute(
        """
        CREATE TABLE subscriptions (
            id INTEGER PRIMARY KEY,
            chat_id INTEGER NOT NULL REFERENCES chats (chat_id) ON DELETE CASCADE
                ON UPDATE CASCADE,
            kind TEXT NOT NULL CHECK (kind IN ('category', 'keyword', 'exclude', 'author')),
            value TEXT NOT NULL,
            phrase INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            UNIQUE (chat_id, kind, value)
        )
        """
    )
    db.execute("CREATE INDEX idx_subscriptions_kind_value ON subscriptions (kind, value)")
    db.execute(
        """
        CREATE TABLE papers (
            arxiv_id TEXT PRIMARY KEY,
            version INTEGER NOT NULL,
            title TEXT NOT NULL,
            abstract TEXT NOT NULL,
            authors TEXT NOT NULL,
            categories TEXT NOT NULL,
            primary_category TEXT,
            doi TEXT,
            journal_ref TEXT,
            comment TEXT,
            first_seen TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )
        """
    )
    db.execute(
        """
        CREATE TABLE announcements (
            announced TEXT NOT NULL,
            category TEXT NOT NULL,
            arxiv_id TEXT NOT NULL REFERENCES papers (arxiv_id),
            version INTEGER NOT NULL,
            announce_type TEXT NOT NULL
                CHECK (announce_type IN ('new', 'cross', 'replace', 'replace-cross')),
            position INTEGER NOT NULL,
            PRIMARY KEY (announced, category, arxiv_id)
        )
        """
    )
    db.execute("CREATE INDEX idx_announcements_paper ON announcements (arxiv_id)")
    db.execute(
        """
        CREATE TABLE translations (
            text_hash TEXT NOT NULL,
            language TEXT NOT NULL,
            translated TEXT NOT NULL,
            backend TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (text_hash, language)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE deliveries (
            chat_id INTEGER NOT NULL REFERENCES chats (chat_id) ON DELETE CASCADE
                ON UPDATE CASCADE,
            arxiv_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            announced TEXT,
            delivered_at TEXT NOT NULL,
            message_id INTEGER,
            PRIMARY KEY (chat_id, arxiv_id)
        )
        """
    )
    db.execute("CREATE INDEX idx_deliveries_announced ON deliveries (announced)")
    db.execute(
        """
        CREATE TABLE fetch_log (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL,
            categories TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT NOT NULL,
            status TEXT NOT NULL,
            http_status INTEGER,
            etag TEXT,
            last_modified TEXT,
            announced TEXT,
            items INTEGER NOT NULL DEFAULT 0,
            error TEXT
        )
        """
    )
    db.execute("CREATE INDEX idx_fetch_log_url ON fetch_log (url, id)")
    db.execute(
        """
        CREATE TABLE category_state (
            category TEXT PRIMARY KEY,
            last_announced TEXT,
            last_fetched_at TEXT
        )
        """
    )


@MIGRATIONS(name="0002_saved_and_feedback")
def m0002_saved_and_feedback(db: Database) -> None:
    """Papers a chat saved with ⭐, and its 👍/👎 on papers (for "more / less like this")."""
    db.execute(
        """
        CREATE TABLE saved (
            chat_id INTEGER NOT NULL REFERENCES chats (chat_id) ON DELETE CASCADE
                ON UPDATE CASCADE,
            arxiv_id TEXT NOT NULL,
            title TEXT NOT NULL,
            saved_at TEXT NOT NULL,
            PRIMARY KEY (chat_id, arxiv_id)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE feedback (
            chat_id INTEGER NOT NULL REFERENCES chats (chat_id) ON DELETE CASCADE
                ON UPDATE CASCADE,
            arxiv_id TEXT NOT NULL,
            value INTEGER NOT NULL CHECK (value IN (-1, 1)),
            created_at TEXT NOT NULL,
            PRIMARY KEY (chat_id, arxiv_id)
        )
        """
    )


@MIGRATIONS(name="0003_searches")
def m0003_searches(db: Database) -> None:
    """Search queries behind short keys: callback data holds the key, never the query."""
    db.execute(
        """
        CREATE TABLE searches (
            key TEXT PRIMARY KEY,
            query TEXT NOT NULL,
            created_at TEXT NOT NULL
        )
        """
    )


@MIGRATIONS(name="0004_outbox")
def m0004_outbox(db: Database) -> None:
    """Every message of a digest, written before it is sent, marked when Telegram confirms."""
    db.execute(
        """
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            chat_id INTEGER NOT NULL REFERENCES chats (chat_id) ON DELETE CASCADE
                ON UPDATE CASCADE,
            announced TEXT,
            seq INTEGER NOT NULL,
            arxiv_id TEXT,
            version INTEGER,
            text TEXT NOT NULL,
            reply_markup TEXT,
            status TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'sent', 'failed', 'dropped')),
            attempts INTEGER NOT NULL DEFAULT 0,
            not_before REAL NOT NULL DEFAULT 0,
            message_id INTEGER,
            error TEXT,
            created_at TEXT NOT NULL,
            sent_at TEXT
        )
        """
    )
    db.execute("CREATE INDEX idx_outbox_pending ON outbox (status, seq, id)")
    db.execute("CREATE INDEX idx_outbox_chat ON outbox (chat_id, status, seq)")


@MIGRATIONS(name="0005_notices_and_alerts")
def m0005_notices_and_alerts(db: Database) -> None:
    """What a chat was told about a day without its digest, the admins' alerts, and an index
    for the head of each chat's queue (the drain sends a chat's messages strictly in order)."""
    db.execute("ALTER TABLE chats ADD COLUMN notice_for TEXT")
    db.execute("ALTER TABLE chats ADD COLUMN notice_kind TEXT")
    db.execute(
        """
        CREATE TABLE alerts (
            kind TEXT PRIMARY KEY,
            raised_at TEXT,
            detail TEXT
        )
        """
    )
    db.execute("CREATE INDEX idx_outbox_heads ON outbox (status, chat_id, id)")


@MIGRATIONS(name="0006_outbox_kinds_and_broadcasts")
def m0006_outbox_kinds_and_broadcasts(db: Database) -> None:
    """Everything sent in bulk goes through the outbox: what each row is (a pushed digest, a
    digest asked for with /digest, a note, an alert, a broadcast), its priority (a reader who
    just asked goes before a push), the broadcast it belongs to; and broadcasts themselves,
    written at the preview and queued only when an admin confirms."""
    db.execute("ALTER TABLE outbox ADD COLUMN kind TEXT NOT NULL DEFAULT 'digest'")
    db.execute("ALTER TABLE outbox ADD COLUMN priority INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE outbox ADD COLUMN ref INTEGER")
    db.execute(
        """
        CREATE TABLE broadcasts (
            id INTEGER PRIMARY KEY,
            admin_id INTEGER NOT NULL,
            text TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'preview'
                CHECK (status IN ('preview', 'queued', 'cancelled')),
            chats INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            queued_at TEXT
        )
        """
    )
    db.execute("CREATE INDEX idx_outbox_ref ON outbox (ref, status) WHERE ref IS NOT NULL")
    db.execute("CREATE INDEX idx_outbox_sent ON outbox (chat_id, sent_at) WHERE status = 'sent'")


@MIGRATIONS(name="0007_bot_state")
def m0007_bot_state(db: Database) -> None:
    """Small values the bot keeps about itself across restarts (the generated webhook secret)."""
    db.execute(
        """
        CREATE TABLE bot_state (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )
        """
    )


@MIGRATIONS(name="0008_ranker_models")
def m0008_ranker_models(db: Database) -> None:
    """Each chat's ranker model (bot/ranker.py), as bytes, with the number of signals it was
    trained on; deleted with the chat's feedback when it asks to be forgotten."""
    db.execute(
        """
        CREATE TABLE ranker_models (
            chat_id INTEGER PRIMARY KEY,
            model BLOB NOT NULL,
            signals INTEGER NOT NULL,
            trained_at TEXT NOT NULL
        )
        """
    )


@MIGRATIONS(name="0009_rank_threshold")
def m0009_rank_threshold(db: Database) -> None:
    """Each chat's ranking threshold (/settings): which papers its model may hide; off (none)
    until the chat turns it on."""
    db.execute(
        "ALTER TABLE chats ADD COLUMN rank_threshold TEXT NOT NULL DEFAULT 'off'"
        " CHECK (rank_threshold IN ('off', 'low', 'high'))"
    )


@MIGRATIONS(name="0010_saved_watch")
def m0010_saved_watch(db: Database) -> None:
    """What each chat knows of a paper it saved (version, journal reference, DOI), so a new
    version or a publication is told once, compared with what that chat was last told; and an
    index to find a stored paper's savers. Papers saved before this learn their state from the
    stored paper: they are not announced as changed on the first fetch after the upgrade."""
    db.execute("ALTER TABLE saved ADD COLUMN known_version INTEGER")
    db.execute("ALTER TABLE saved ADD COLUMN known_journal_ref TEXT")
    db.execute("ALTER TABLE saved ADD COLUMN known_doi TEXT")
    db.execute(
        """
        UPDATE saved SET
            known_version = (SELECT version FROM papers WHERE papers.arxiv_id = saved.arxiv_id),
            known_journal_ref = (
                SELECT journal_ref FROM papers WHERE papers.arxiv_id = saved.arxiv_id),
            known_doi = (SELECT doi FROM papers WHERE papers.arxiv_id = saved.arxiv_id)
        """
    )
    db.execute("CREATE INDEX idx_saved_paper ON saved (arxiv_id)")


log = logging.getLogger(__name__)
# PRAGMA auto_vacuum's value for INCREMENTAL.
_INCREMENTAL = 2
# A new database is switched in milliseconds: only an upgrade's VACUUM is worth a log line.
_WORTH_SAYING = 10_000_000


@MIGRATIONS(name="0012_retention", transactional=False)
def m0012_retention(db: Database) -> None:
    """What pruning (storage/retention.py) needs: indexes to find old translations and finished
    outbox rows without reading their text, and incremental auto-vacuum, so the pages it frees
    go back to the file system.

    Switching auto-vacuum on an existing database takes one VACUUM, which rewrites the whole
    file (it needs that much free disk for a moment, and about a second per 100 MB). It runs
    here, once, before the bot answers anything: outside a transaction, as VACUUM must.
    """
    db.execute("CREATE INDEX IF NOT EXISTS idx_translations_created ON translations (created_at)")
    db.execute("CREATE INDEX IF NOT EXISTS idx_outbox_created ON outbox (created_at)")
    if db.execute("PRAGMA auto_vacuum").fetchone()[0] != _INCREMENTAL:
        pages, size = db.execute(
            "SELECT page_count, page_size FROM pragma_page_count(), pragma_page_size()"
        ).fetchone()
        if pages * size > _WORTH_SAYING:
            log.info(
                "switching the database to incremental vacuum: a one-time VACUUM of %.0f MB",
                pages * size / 1e6,
            )
        db.execute("PRAGMA auto_vacuum = INCREMENTAL")
        db.execute("VACUUM")

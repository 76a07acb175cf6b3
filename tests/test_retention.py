"""Retention: a database aged with real days forgets what nobody keeps, and gives the space back.

The days are the real announcements beside the repository (`../shared/data/arxiv-days/`), the
first few, re-dated so the oldest are past RETENTION_DAYS; without them, the project's own
fixture feeds stand in, re-dated the same way.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.audit import papers_of_day
from bot.config import ConfigError, Settings, load_settings
from bot.ingest import fetch_and_store
from bot.match import build_digest
from bot.models import AnnounceType, Interests, Paper
from bot.sources.fetch import load_feed_file
from storage import broadcasts, deliveries, outbox, papers, retention, saved
from storage.database import Store, _connect, open_store
from storage.migrations import MIGRATIONS
from storage.outbox import Kind, OutboxMessage, Status
from storage.translations import SqliteTranslationCache
from tests.conftest import RunningBot
from tests.fakes.feed_server import FeedServer
from tests.test_bot_subscriptions import ask
from tests.test_cli import run

FIXTURES = Path(__file__).parent / "fixtures"
REAL_DAYS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "arxiv-days"
# Papers read from each real day: enough to be a real day's mix, few enough to stay fast.
PER_DAY = 120
# Four announcement dates: two past the 90-day window, two inside it (the last is "today").
DATES = [date(2026, 6, 1), date(2026, 6, 2), date(2026, 9, 28), date(2026, 9, 30)]
NOW = datetime(2026, 9, 30, 9, 0, tzinfo=UTC)
CHAT = 42


def real_days() -> list[list[Paper]]:
    """Four days of papers, re-dated by the caller: real ones when present, else fixtures."""
    files = sorted(REAL_DAYS.glob("*.jsonl.gz")) if REAL_DAYS.is_dir() else []
    if len(files) >= len(DATES):
        days = []
        for path in files[: len(DATES)]:
            with gzip.open(path, "rt", encoding="utf-8") as lines:
                records = [json.loads(line) for _, line in zip(range(PER_DAY), lines, strict=False)]
            days.append(papers_of_day(records, None))
        return days
    # The fixtures: three feeds and a fourth made of the first one's papers under new ids.
    feeds = [
        list(load_feed_file(FIXTURES / name).papers)
        for name in (
            "rss-current-stat.xml",
            "rss-old-rdf-cs.rdf",
            "rss-quant-ph-names-and-accents.xml",
        )
    ]
    return [*feeds, [replace(p, arxiv_id=p.arxiv_id + "9") for p in feeds[0]]]


def at(moment: datetime, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every storage module's clock reads `moment` (rows written now are stamped with it)."""
    import sys

    stamp = moment.isoformat(timespec="seconds")
    for name, module in list(sys.modules.items()):
        if name.startswith("storage.") and hasattr(module, "utc_now"):
            monkeypatch.setattr(module, "utc_now", lambda: stamp)


def add_chat(store: Store, chat_id: int = CHAT) -> None:
    store.db.execute(
        "INSERT INTO chats (chat_id, language, timezone, delivery_time, created_at, updated_at)"
        " VALUES (?, 'en', 'UTC', '08:00', '2026-01-01', '2026-01-01')",
        [chat_id],
    )


def deliver(store: Store, chat_id: int, day: date, sent: list[Paper]) -> None:
    """The chat's digest of `day`: queued, then confirmed by Telegram (ledger filled)."""
    messages = [
        OutboxMessage(chat_id, n, f"paper {p.arxiv_id}", p.arxiv_id, p.version, announced=day)
        for n, p in enumerate(sent, 1)
    ]
    outbox.enqueue_digest(store, chat_id, day, messages)
    while pending := outbox.pending(store, now=float("inf"), limit=1000):
        for message in pending:
            outbox.mark_sent(store, message, 1000 + message.seq)


@pytest.fixture
def aged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Store, list[list[Paper]]]]:
    """A database that lived through the four days: each stored on its date, and the chat
    sent the first five papers of each."""
    store = open_store(tmp_path / "bot.sqlite3")
    add_chat(store)
    days = real_days()
    for day, announced in zip(DATES, days, strict=True):
        at(datetime.combine(day, datetime.min.time(), UTC).replace(hour=9), monkeypatch)
        listings = [(p.primary_category or "cs.LG", p.arxiv_id, p.announce_type) for p in announced]
        papers.save_announcement(store, day, announced, listings)
        deliver(store, CHAT, day, announced[:5])
    at(NOW, monkeypatch)
    yield store, days
    store.close()


def stored(store: Store, arxiv_id: str) -> bool:
    return papers.paper_by_id(store, arxiv_id) is not None


def test_old_papers_go_unless_a_chat_keeps_them(aged: tuple[Store, list[list[Paper]]]) -> None:
    store, days = aged
    old, older_kept = days[0], days[1]
    favourite, voted, waiting = older_kept[0], older_kept[1], older_kept[2]
    saved.toggle_saved(store, CHAT, favourite.arxiv_id, favourite.title)
    saved.record_feedback(store, CHAT, voted.arxiv_id, -1)
    # A message still queued for a paper of an old day (a chat catching up after a pause).
    outbox.enqueue(store, [OutboxMessage(CHAT, 1, "late", waiting.arxiv_id, 1)])

    report = retention.prune(store, 90, now=NOW)

    assert not any(stored(store, p.arxiv_id) for p in old)
    assert all(stored(store, p.arxiv_id) for p in (favourite, voted, waiting))
    assert not any(stored(store, p.arxiv_id) for p in older_kept[3:])
    # The days inside the window are whole, listings included.
    for day, announced in zip(DATES[2:], days[2:], strict=True):
        assert {p.arxiv_id for p in papers.announced_papers(store, day)} == {
            p.arxiv_id for p in announced
        }
    assert papers.announcement_counts(store, DATES[0]) == {}
    assert report.papers == len(old) + len(older_kept) - 3
    # The ledger: rows of old days went with their listings, but for the papers the chat saved
    # or voted on (a new version of them is still told apart).
    ledger = deliveries.delivered_versions(
        store, CHAT, [p.arxiv_id for p in old[:5] + older_kept[:5]]
    )
    assert set(ledger) == {favourite.arxiv_id, voted.arxiv_id}
    assert report.ledger == 8


def test_a_replacement_of_a_pruned_paper_reaches_only_chats_that_want_new_versions(
    aged: tuple[Store, list[list[Paper]]],
) -> None:
    store, days = aged
    favourite = days[0][0]
    saved.toggle_saved(store, CHAT, favourite.arxiv_id, favourite.title)
    retention.prune(store, 90, now=NOW)
    pruned = days[0][1]  # sent to the chat on the first day, pruned since
    assert not stored(store, pruned.arxiv_id)
    # arXiv announces new versions of both today, and lists the kept one again unchanged.
    replacements = [
        replace(pruned, version=2, announce_type=AnnounceType.REPLACE),
        replace(favourite, announce_type=AnnounceType.REPLACE),
    ]
    everything = Interests(categories=frozenset(p.primary_category or "" for p in days[0]))
    for wants_new_versions in (False, True):
        interests = replace(everything, include_replacements=wants_new_versions)
        ledger = deliveries.delivered_versions(store, CHAT, [p.arxiv_id for p in replacements])
        digest = build_digest(replacements, interests, announced=NOW.date(), sent_versions=ledger)
        shown = {e.paper.arxiv_id: e.paper.announce_type for e in digest.entries}
        # The kept paper's row still says it was sent at this version: never twice.
        assert favourite.arxiv_id not in shown
        if wants_new_versions:
            assert shown == {pruned.arxiv_id: AnnounceType.REPLACE}
        else:
            assert shown == {}


def test_the_space_comes_back(aged: tuple[Store, list[list[Paper]]]) -> None:
    store, _ = aged
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = retention.database_size(store)
    report = retention.prune(store, 90, now=NOW)
    after = retention.database_size(store)
    assert report.pages_freed > 0
    assert after.free_bytes == 0
    assert after.file_bytes < before.file_bytes


def test_pruning_goes_in_batches_and_removes_the_same(
    aged: tuple[Store, list[list[Paper]]],
) -> None:
    store, days = aged
    pauses: list[None] = []
    report = retention.prune(store, 90, now=NOW, batch=7, pause=lambda: pauses.append(None))
    assert report.papers == len(days[0]) + len(days[1])
    # Each kind took several batches of seven, with the store free between them.
    assert len(pauses) >= report.papers // 7


def test_translations_and_sent_messages_expire(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_store(tmp_path / "bot.sqlite3")
    add_chat(store)
    cache = SqliteTranslationCache(store)
    rows: dict[str, int] = {}

    def queue(label: str, age: timedelta, status: str, paper: str | None = None) -> None:
        at(NOW - age, monkeypatch)
        outbox.enqueue(store, [OutboxMessage(CHAT, 0, label, paper, 1 if paper else None)])
        row = store.db.execute("SELECT MAX(id) FROM outbox").fetchone()[0]
        store.db.execute(
            "UPDATE outbox SET status = ?, sent_at = CASE WHEN ? = 'sent' THEN created_at END"
            " WHERE id = ?",
            [status, status, row],
        )
        rows[label] = row

    # Translations are a cache: 30 days at most, whatever RETENTION_DAYS keeps of papers.
    at(NOW - timedelta(days=31), monkeypatch)
    cache.put_many("zh-CN", {"old text": "旧"}, "google")
    at(NOW - timedelta(days=29), monkeypatch)
    cache.put_many("zh-CN", {"recent text": "新"}, "google")
    queue("paper sent 13 hours ago", timedelta(hours=13), "sent", "2609.00001")
    queue("paper sent 11 hours ago", timedelta(hours=11), "sent", "2609.00002")
    queue("overview sent 6 days ago", timedelta(days=6), "sent")
    queue("overview sent 8 days ago", timedelta(days=8), "sent")
    queue("refused 29 days ago", timedelta(days=29), "failed")
    queue("refused 31 days ago", timedelta(days=31), "failed")
    queue("blocked 31 days ago", timedelta(days=31), "dropped")
    queue("pending for 40 days", timedelta(days=40), "pending", "2609.00003")

    retention.prune(store, 90, now=NOW)

    assert cache.get_many(["old text", "recent text"], "zh-CN") == {"recent text": "新"}
    left = {row[0] for row in store.db.execute("SELECT text FROM outbox")}
    assert left == {
        "paper sent 11 hours ago",
        "overview sent 6 days ago",
        "refused 29 days ago",
        "pending for 40 days",
    }
    store.close()


def test_the_latest_broadcast_keeps_its_rows_while_stats_counts_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_store(tmp_path / "bot.sqlite3")
    add_chat(store)
    at(NOW - timedelta(days=40), monkeypatch)
    for text in ("old news", "news"):
        draft = broadcasts.create(store, 1, text)
        broadcasts.queue(store, draft.id, [text])
    store.db.execute("UPDATE outbox SET status = 'sent', sent_at = created_at")
    retention.prune(store, 90, now=NOW)
    assert [row[0] for row in store.db.execute("SELECT text FROM outbox")] == ["news"]
    assert outbox.counts_by_status(store, draft.id, Kind.BROADCAST) == {Status.SENT: 1}
    store.close()


def test_an_existing_database_is_switched_to_incremental_vacuum(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    from sqlite_utils import Database

    old = Database(_connect(str(path)))
    MIGRATIONS.apply(old, stop_before="0012_retention")
    assert old.execute("PRAGMA auto_vacuum").fetchone()[0] == 0
    old.close()
    store = open_store(path)
    assert store.db.execute("PRAGMA auto_vacuum").fetchone()[0] == 2
    assert retention.prune(store, 90, now=NOW).rows == 0
    store.close()


@pytest.mark.parametrize(
    ("raw", "expected"), [("", 90), ("30", 30), ("off", None), ("OFF", None), ("365", 365)]
)
def test_retention_days_setting(raw: str, expected: int | None) -> None:
    environ = {"RETENTION_DAYS": raw} if raw else {}
    assert load_settings(environ, dotenv=None).retention_days == expected


@pytest.mark.parametrize("raw", ["0", "-5", "ninety", "1.5"])
def test_a_bad_retention_days_is_refused(raw: str) -> None:
    with pytest.raises(ConfigError, match="RETENTION_DAYS"):
        load_settings({"RETENTION_DAYS": raw}, dotenv=None)


@pytest.mark.parametrize("days", [90, None], ids=["90-days", "off"])
async def test_the_fetch_job_prunes_after_storing_the_announcement(
    tmp_path: Path, days: int | None
) -> None:
    store = open_store(tmp_path / "bot.sqlite3")
    old = real_days()[1][:3]  # not in the stat feed fetched below
    listings = [(p.primary_category or "stat", p.arxiv_id, p.announce_type) for p in old]
    papers.save_announcement(store, date(2025, 11, 1), old, listings)
    with FeedServer() as feeds:
        feeds.route("/rss/stat", (FIXTURES / "rss-current-stat.xml").read_bytes())
        settings = Settings(arxiv_rss_url=feeds.base_url, retention_days=days)
        report = await fetch_and_store(settings, store, ["stat"])
    assert report.announced == date(2026, 3, 17)
    assert len(papers.announced_papers(store, date(2026, 3, 17))) == 45
    if days is None:
        assert report.pruned is None
        assert all(stored(store, p.arxiv_id) for p in old)
    else:
        assert report.pruned is not None and report.pruned.papers == 3
        assert not any(stored(store, p.arxiv_id) for p in old)
    store.close()


def test_fetch_on_the_command_line_prunes_and_shows_the_size(tmp_path: Path) -> None:
    store = open_store(tmp_path / "bot.sqlite3")
    old = real_days()[1][:3]  # not in the stat feed fetched below
    listings = [(p.primary_category or "stat", p.arxiv_id, p.announce_type) for p in old]
    papers.save_announcement(store, date(2025, 11, 1), old, listings)
    store.close()
    with FeedServer() as feeds:
        feeds.route("/rss/stat", (FIXTURES / "rss-current-stat.xml").read_bytes())
        result = run(["fetch", "--category", "stat"], tmp_path, ARXIV_RSS_URL=feeds.base_url)
    assert result.returncode == 0, result.stderr
    assert "retention (90 days): pruned 3 listings, 3 papers" in result.stdout
    assert "database: " in result.stdout
    store = open_store(tmp_path / "bot.sqlite3")
    assert not any(stored(store, p.arxiv_id) for p in old)
    store.close()
    stats = run(["stats"], tmp_path)
    assert "database: " in stats.stdout and "MB (file " in stats.stdout
    assert "retention: 90 days" in stats.stdout


async def test_status_shows_the_database_size_to_admins_only(running_bot: RunningBot) -> None:
    # The admin's chat speaks Chinese (its first message says so); the reader's English.
    admin = (await ask(running_bot, "/status", chat_id=999, language_code="zh-CN"))["text"]
    assert "数据库：" in admin and " MB（文件 " in admin and "Database" not in admin
    reader = (await ask(running_bot, "/status", chat_id=5))["text"]
    assert reader.startswith("<b>Status</b>") and "Database" not in reader
    assert "MB" not in reader

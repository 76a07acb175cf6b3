"""The daily cycle's storage work: queue every due chat's digest, counting the SQL it runs.

A database holds one announcement (the 3,000 papers of bench/matching.py, or 300 of them) and
the generated chats of bench/matching.py (5,000; 500 with --quick), all due at 08:00 UTC, in
Chinese, with the translations already cached (the first chat to get a paper pays for its
translation; bench/translation.py measures that). `queue_due_digests` then runs as the minute
tick runs it, with a trace on the SQLite connection.

A query is one statement sent to SQLite; `executemany` (a digest's outbox rows) counts once,
as it is one prepared statement stepped per row. BEGIN/COMMIT/SAVEPOINT are not counted.

Figures:
- `push_sql_queries_per_digest`: queries ÷ chats queued, with 3,000 papers announced.
- `push_sql_growth_10x_papers`: that figure with 3,000 papers ÷ with 300: the SQL grows with
  the chats, not with the papers (target: at most 1.1x).
- `push_seconds_per_1k_digests` and `push_queue_minutes_100k`: wall time to match, render and
  queue a thousand digests, and what 100,000 would take at that pace (the drain sends them
  meanwhile: it starts on the first digest queued).
"""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from bench.matching import Workload, announcement, workload
from bench.report import figure
from bot.config import Settings
from bot.models import Paper
from bot.push import queue_due_digests
from bot.translate import TranslationService
from storage import outbox, papers
from storage.clock import utc_now
from storage.database import Store, open_store
from storage.translations import SqliteTranslationCache
from tests.fakes.translate_server import FakeTranslateServer

DAY = date(2026, 11, 19)  # a Thursday: its feed is ready at 05:00 UTC
NOW = datetime(2026, 11, 19, 9, 0, tzinfo=UTC)
_UNCOUNTED = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


class _Counting:
    """The connection, counting the statements sent through it (`executemany` counts once)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection
        self.queries = 0

    def _count(self, sql: str) -> None:
        head = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
        self.queries += head not in _UNCOUNTED

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        self._count(sql)
        return self.connection.execute(sql, *args)

    def executemany(self, sql: str, *args: Any) -> sqlite3.Cursor:
        self._count(sql)
        return self.connection.executemany(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.connection, name)


def _fill(
    store: Store,
    announced: Sequence[Paper],
    chats: int,
    drawn_from: Sequence[Paper] | None = None,
) -> None:
    """The announcement and `chats` generated chats, written in bulk; their interests drawn
    from `drawn_from` (bench/matching.py's 3,000 papers by default)."""
    listings = [(p.primary_category or "cs.LG", p.arxiv_id, p.announce_type) for p in announced]
    papers.save_announcement(store, DAY, announced, listings)
    fill_chats(store, workload(chats, announcement() if drawn_from is None else drawn_from))


def fill_chats(store: Store, work: Workload) -> None:
    """The generated chats and their subscriptions, in Chinese, due at 08:00 UTC, in bulk."""
    now = utc_now()
    with store.db.atomic():
        store.db.conn.executemany(
            "INSERT INTO chats (chat_id, language, timezone, delivery_time, max_papers,"
            " include_cross, include_replacements, created_at, updated_at)"
            " VALUES (?, 'zh-CN', 'UTC', '08:00', ?, ?, ?, ?, ?)",
            (
                (
                    chat_id + 1,
                    work.caps[chat_id],
                    interests.include_cross,
                    interests.include_replacements,
                    now,
                    now,
                )
                for chat_id, interests in work.interests.items()
            ),
        )
        store.db.conn.executemany(
            "INSERT OR IGNORE INTO subscriptions (chat_id, kind, value, phrase, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (
                (chat_id + 1, kind, value, phrase, now)
                for chat_id, interests in work.interests.items()
                for kind, value, phrase in [
                    *(("category", code, False) for code in sorted(interests.categories)),
                    *(("keyword", k.text, k.phrase) for k in interests.keywords),
                    *(("exclude", k.text, k.phrase) for k in interests.excludes),
                    *(("author", name, False) for name in interests.authors),
                ]
            ),
        )


async def _warm_cache(store: Store, announced: Sequence[Paper]) -> None:
    """Translate every paper once through the loopback fake, into the database's cache."""
    with FakeTranslateServer() as server:
        settings = Settings(translator="google", google_translate_url=server.google_url)
        service = TranslationService(settings, SqliteTranslationCache(store))
        for start in range(0, len(announced), 100):
            await service.paper_texts(announced[start : start + 100], "zh-CN")
        service.close()


def _measure(announced: Sequence[Paper], chats: int) -> tuple[float, float, int]:
    """Queries per digest, seconds, and digests queued, for one announcement and `chats`."""
    with tempfile.TemporaryDirectory() as directory:
        store = open_store(Path(directory) / "bot.sqlite3")
        _fill(store, announced, chats)
        asyncio.run(_warm_cache(store, announced))
        # Offline during the measurement: a cache miss would show as a failed request, not
        # as time spent waiting.
        service = TranslationService(
            Settings(translator="google", google_translate_url="http://127.0.0.1:9/"),
            SqliteTranslationCache(store),
            attempts=1,
        )
        counting = _Counting(store.db.conn)
        store.db.conn = counting  # type: ignore[assignment]
        started = time.perf_counter()
        queued = asyncio.run(queue_due_digests(store, service, NOW))
        seconds = time.perf_counter() - started
        store.db.conn = counting.connection
        if service.requests_sent:
            raise RuntimeError(f"{service.requests_sent} translations were not in the cache")
        if queued != chats or outbox.pending_count(store) == 0:
            raise RuntimeError(f"{queued} of {chats} chats queued")
        service.close()
        store.close()
    return counting.queries / queued, seconds, queued


def run(quick: bool = False) -> list[str]:
    """Measure and return the figure lines."""
    chats = 500 if quick else 5_000
    everything = announcement()
    few = everything[:300]
    per_digest, seconds, queued = _measure(everything, chats)
    per_digest_few, _, _ = _measure(few, chats)
    growth = per_digest / per_digest_few
    per_1k = seconds / queued * 1000
    return [
        f"# push: {queued:,} chats due at once, {len(everything):,} papers announced",
        figure(
            "push_sql_queries_per_digest",
            per_digest,
            "",
            f"<= 5, not per paper ({per_digest_few:.2f} with {len(few)} papers)",
            per_digest <= 5,
        ),
        figure("push_sql_growth_10x_papers", growth, "x", "<= 1.1x for 10x papers", growth <= 1.1),
        figure(
            "push_seconds_per_1k_digests",
            per_1k,
            " s",
            f"informative: {seconds:.1f} s for {queued:,} digests",
            True,
        ),
        figure(
            "push_queue_minutes_100k",
            per_1k * 100 / 60,
            " min",
            "shorter than the push itself (delivery_push_minutes_100k)",
            per_1k * 100 / 60 < 224,
        ),
    ]


if __name__ == "__main__":
    import sys

    for line in run(quick="--quick" in sys.argv):
        print(line, flush=True)

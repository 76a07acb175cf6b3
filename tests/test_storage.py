"""Storage: schema, migrations, WAL, and each table group's round trips."""

from __future__ import annotations

import os
import stat
from datetime import date
from pathlib import Path

import pytest

from bot.models import AnnounceType, Paper
from storage import chats, deliveries, fetchlog, papers
from storage.database import Store, open_store, schema_version
from storage.migrations import MIGRATIONS
from storage.translations import SqliteTranslationCache


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return open_store(tmp_path / "data" / "bot.sqlite3")


def make_paper(arxiv_id: str, version: int = 1, title: str = "T") -> Paper:
    return Paper(
        arxiv_id=arxiv_id,
        version=version,
        title=title,
        abstract="A.",
        authors=("Ada Lovelace", "Zhang Wei (Tsinghua, Beijing)"),
        categories=("cs.CV", "cs.LG"),
        announce_type=AnnounceType.NEW,
        doi="10.1/x",
    )


def test_new_database_is_migrated_private_wal_and_enforces_foreign_keys(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "bot.sqlite3"
    store = open_store(path)
    assert schema_version(store) == len(MIGRATIONS.applied(store.db)) >= 1
    assert MIGRATIONS.pending(store.db) == []
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    tables = set(store.db.table_names())
    assert {
        "chats",
        "subscriptions",
        "papers",
        "announcements",
        "translations",
        "deliveries",
        "fetch_log",
        "category_state",
    } <= tables
    with pytest.raises(Exception, match="FOREIGN KEY"):
        store.db.execute(
            "INSERT INTO subscriptions (chat_id, kind, value, created_at)"
            " VALUES (1, 'keyword', 'x', '')"
        )


def test_reopening_applies_nothing_twice(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    first = open_store(path)
    version = schema_version(first)
    first.close()
    again = open_store(path)
    assert schema_version(again) == version
    assert MIGRATIONS.pending(again.db) == []


def test_every_lookup_uses_an_index(store: Store) -> None:
    lookups = [
        ("SELECT * FROM subscriptions WHERE chat_id = 1", ()),
        ("SELECT * FROM subscriptions WHERE kind = 'category' AND value = 'cs.CV'", ()),
        ("SELECT * FROM announcements WHERE announced = '2024-03-26'", ()),
        ("SELECT * FROM announcements WHERE arxiv_id = 'x'", ()),
        ("SELECT * FROM deliveries WHERE chat_id = 1 AND arxiv_id = 'x'", ()),
        ("SELECT * FROM translations WHERE text_hash = 'h' AND language = 'zh-CN'", ()),
        ("SELECT * FROM fetch_log WHERE url = 'u' ORDER BY id DESC", ()),
        ("SELECT * FROM chats WHERE active = 1 AND paused = 0", ()),
    ]
    for sql, params in lookups:
        plan = " ".join(row[3] for row in store.db.execute("EXPLAIN QUERY PLAN " + sql, params))
        assert "SCAN" not in plan.replace("SCAN CONSTANT", ""), (sql, plan)


def test_announcement_round_trip_keeps_order_and_newest_version(store: Store) -> None:
    day = date(2024, 3, 26)
    first, second = make_paper("2403.00002"), make_paper("2403.00001")
    papers.save_announcement(
        store,
        day,
        [first, second],
        [
            ("cs.CV", "2403.00002", AnnounceType.NEW),
            ("cs.LG", "2403.00002", AnnounceType.CROSS),
            ("cs.CV", "2403.00001", AnnounceType.NEW),
        ],
    )
    assert papers.latest_announcement(store) == day
    loaded = papers.announced_papers(store, day)
    assert [p.arxiv_id for p in loaded] == ["2403.00002", "2403.00001"]
    assert loaded[0] == first
    assert [p.arxiv_id for p in papers.announced_papers(store, day, ["cs.LG"])] == ["2403.00002"]
    assert papers.announcement_counts(store, day) == {"cs.CV": {"new": 2}, "cs.LG": {"cross": 1}}
    # An older version seen later never overwrites a newer one.
    papers.save_announcement(
        store,
        date(2024, 3, 27),
        [make_paper("2403.00001", 3, "v3")],
        [("cs.CV", "2403.00001", AnnounceType.REPLACE)],
    )
    papers.save_announcement(
        store,
        date(2024, 3, 28),
        [make_paper("2403.00001", 2, "v2")],
        [("cs.CV", "2403.00001", AnnounceType.REPLACE)],
    )
    latest = papers.announced_papers(store, date(2024, 3, 28))[0]
    assert (latest.version, latest.title) == (3, "v3")


def test_translation_cache_round_trip(store: Store) -> None:
    cache = SqliteTranslationCache(store)
    cache.put_many("zh-CN", {"Hello": "你好", "World": "世界"}, "google")
    assert cache.get_many(["Hello", "World", "Missing"], "zh-CN") == {
        "Hello": "你好",
        "World": "世界",
    }
    assert cache.get_many(["Hello"], "ja") == {}
    many = {f"text {i}": f"译 {i}" for i in range(1500)}
    cache.put_many("zh-CN", many, "google")
    assert cache.get_many(list(many), "zh-CN") == many


def test_chats_subscriptions_and_interests(store: Store) -> None:
    chat = chats.ensure_chat(
        store, 42, language="zh-CN", timezone="Asia/Shanghai", delivery_time="09:00"
    )
    assert chat.active and not chat.paused and chat.include_cross and not chat.include_replacements
    # A second ensure keeps the settings.
    chats.update_chat(store, 42, language="en")
    assert (
        chats.ensure_chat(
            store, 42, language="zh-CN", timezone="UTC", delivery_time="08:00"
        ).language
        == "en"
    )
    added = chats.add_subscriptions(
        store,
        42,
        [
            chats.Subscription("category", "cs.CV"),
            chats.Subscription("keyword", "anomaly detection", phrase=True),
            chats.Subscription("exclude", "survey"),
            chats.Subscription("author", "Yann LeCun"),
            chats.Subscription("category", "cs.CV"),
        ],
    )
    assert added == 4
    interests = chats.interests_of(chats.get_chat(store, 42), chats.subscriptions(store, 42))  # type: ignore[arg-type]
    assert interests.categories == frozenset({"cs.CV"})
    assert [k.text for k in interests.keywords] == ["anomaly detection"]
    assert interests.keywords[0].phrase
    assert [k.text for k in interests.excludes] == ["survey"]
    assert interests.authors == ("Yann LeCun",)
    assert chats.subscribed_categories(store) == ["cs.CV"]
    chats.update_chat(store, 42, active=False)
    assert chats.subscribed_categories(store) == []
    assert chats.remove_subscriptions(store, 42, [chats.Subscription("exclude", "survey")]) == 1
    assert chats.clear_subscriptions(store, 42) == 3
    with pytest.raises(ValueError):
        chats.update_chat(store, 42, created_at="yesterday")


def test_ledger_keeps_one_row_per_chat_and_paper(store: Store) -> None:
    chats.ensure_chat(store, 1, language="zh-CN", timezone="UTC", delivery_time="09:00")
    deliveries.record_delivery(store, 1, "2403.00001", 1, date(2024, 3, 26), 10)
    deliveries.record_delivery(store, 1, "2403.00001", 2, date(2024, 3, 27), 11)
    deliveries.record_delivery(store, 1, "2403.00001", 1, date(2024, 3, 28), 12)
    assert deliveries.delivered_versions(store, 1, ["2403.00001", "2403.00009"]) == {
        "2403.00001": 2
    }
    assert store.db.execute("SELECT COUNT(*) FROM deliveries").fetchone()[0] == 1


def test_fetch_log_validators_come_from_the_last_stored_response(store: Store) -> None:
    url = "http://127.0.0.1/rss/cs.CV"
    assert fetchlog.validators(store, url) == (None, None)
    fetchlog.record_fetch(
        store,
        url=url,
        categories=["cs.CV"],
        started_at="t",
        status="ok",
        http_status=200,
        etag='"a"',
        last_modified="Tue",
        items=3,
        announced=date(2024, 3, 26),
    )
    fetchlog.record_fetch(
        store, url=url, categories=["cs.CV"], started_at="t", status="error", error="boom"
    )
    assert fetchlog.validators(store, url) == ('"a"', "Tue")
    last = fetchlog.last_fetch(store)
    assert last is not None and last.status == "error" and last.error == "boom"
    fetchlog.mark_categories_fetched(store, ["cs.CV"], date(2024, 3, 26))
    fetchlog.mark_categories_fetched(store, ["cs.CV"], None)
    row = store.db.execute("SELECT last_announced FROM category_state").fetchone()
    assert row[0] == "2024-03-26"


def test_outbox_serves_each_chats_head_fairest_first_and_a_retry_holds_its_chat(
    store: Store,
) -> None:
    from storage import outbox
    from storage.outbox import OutboxMessage

    day = date(2024, 3, 26)
    for chat_id, count in ((1, 4), (2, 2), (3, 1)):
        chats.ensure_chat(store, chat_id, language="en", timezone="UTC", delivery_time="09:00")
        outbox.enqueue_digest(
            store,
            chat_id,
            day,
            [OutboxMessage(chat_id, n, f"{chat_id}/{n}", announced=day) for n in range(count)],
        )
    heads = outbox.pending(store, now=0)
    assert [m.text for m in heads] == ["1/0", "2/0", "3/0"]
    outbox.mark_sent(store, heads[0], 11)
    outbox.mark_sent(store, heads[2], 12)
    assert [m.text for m in outbox.pending(store, now=0)] == ["2/0", "1/1"]
    # 2/0 waits for a retry: chat 2's next message must not overtake it.
    outbox.retry_later(store, outbox.pending(store, now=0)[0], 100.0, "TimedOut")
    assert [m.text for m in outbox.pending(store, now=50)] == ["1/1"]
    assert outbox.next_due(store) == 0.0
    assert [m.text for m in outbox.pending(store, now=100)] == ["2/0", "1/1"]
    assert len(outbox.pending(store, now=100, limit=1)) == 1
    plan = " ".join(
        row[3]
        for row in store.db.execute(
            "EXPLAIN QUERY PLAN SELECT MIN(id) FROM outbox "
            "WHERE status = 'pending' GROUP BY chat_id"
        )
    )
    assert "idx_outbox_heads" in plan


def test_deliverable_chats_by_slot_and_missing_announcement(store: Store) -> None:
    for chat_id, zone, at, last in (
        (1, "UTC", "09:00", None),
        (2, "UTC", "09:00", "2024-03-26"),
        (3, "Asia/Shanghai", "08:00", "2024-03-25"),
        (4, "Asia/Shanghai", "08:00", None),  # follows nothing: never delivered
    ):
        chats.ensure_chat(store, chat_id, language="en", timezone=zone, delivery_time=at)
        chats.update_chat(store, chat_id, last_announced=last)
        if chat_id != 4:
            chats.add_subscriptions(store, chat_id, [chats.Subscription("category", "cs.CV")])
    assert sorted(chats.delivery_slots(store)) == [("Asia/Shanghai", "08:00"), ("UTC", "09:00")]
    ids = lambda found: sorted(c.chat_id for c in found)  # noqa: E731
    assert ids(chats.deliverable_chats(store)) == [1, 2, 3]
    assert ids(chats.deliverable_chats(store, missing=date(2024, 3, 26))) == [1, 3]
    assert ids(chats.deliverable_chats(store, slots=[("UTC", "09:00")])) == [1, 2]
    assert chats.deliverable_chats(store, slots=[]) == []
    chats.update_chat(store, 3, paused=True)
    assert ids(chats.deliverable_chats(store, missing=date(2024, 3, 27))) == [1, 2]

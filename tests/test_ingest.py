"""Fetch → store: one announcement stored once, failures store nothing and are logged."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.config import Settings
from bot.ingest import fetch_and_store, listings, merge_feeds, plan_feeds, split_feed
from bot.models import AnnounceType, Feed, Paper
from bot.sources.fetch import load_feed_file
from storage import fetchlog, papers
from storage.database import Store, open_store
from tests.fakes.feed_server import FeedServer

FIXTURES = Path(__file__).parent / "fixtures"
STAT = (FIXTURES / "rss-stat-2024-03-26.xml").read_bytes()


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as running:
        yield running


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return open_store(tmp_path / "bot.sqlite3")


def test_listings_say_new_or_cross_per_requested_code() -> None:
    feed = load_feed_file(FIXTURES / "rss-stat-2024-03-26.xml")
    rows = listings(feed, ["stat.ML", "cs.LG"])
    by_key = {(code, arxiv_id): kind for code, arxiv_id, kind in rows}
    # 2403.15527 is stat.ML primary, cross-listed in cs.LG.
    assert by_key[("stat.ML", "2403.15527")] is AnnounceType.NEW
    assert by_key[("cs.LG", "2403.15527")] is AnnounceType.CROSS
    replaced = [(c, i, k) for c, i, k in rows if k.is_replacement]
    assert replaced and all(
        k in (AnnounceType.REPLACE, AnnounceType.REPLACE_CROSS) for _, _, k in replaced
    )


async def test_fetch_stores_once_and_reports_a_new_announcement(
    server: FeedServer, store: Store
) -> None:
    server.route("/rss/stat", STAT)
    settings = Settings(arxiv_rss_url=server.base_url)
    report = await fetch_and_store(settings, store, ["stat"])
    assert report.status == "ok" and report.is_new_announcement
    assert report.announced == date(2024, 3, 26) and report.items == 123
    assert report.counts["stat"] == {"new": 35, "cross": 27, "replace": 41, "replace-cross": 20}
    assert len(papers.announced_papers(store, date(2024, 3, 26))) == 123
    again = await fetch_and_store(settings, store, ["stat"])
    assert again.status == "not-modified" and not again.is_new_announcement
    assert store.db.execute("SELECT COUNT(*) FROM papers").fetchone()[0] == 123


async def test_a_failed_or_broken_fetch_stores_nothing_and_is_logged(
    server: FeedServer, store: Store
) -> None:
    settings = Settings(arxiv_rss_url=server.base_url)
    server.route("/rss/stat", STAT[: len(STAT) // 2])
    broken = await fetch_and_store(settings, store, ["stat"])
    assert broken.status == "error" and "malformed" in (broken.error or "")
    server.route("/rss/stat", b"<html>down</html>", status=404)
    missing = await fetch_and_store(settings, store, ["stat"], retries=0)
    assert missing.status == "error" and "404" in (missing.error or "")
    assert store.db.execute("SELECT COUNT(*) FROM papers").fetchone()[0] == 0
    last = fetchlog.last_fetch(store)
    assert last is not None and last.status == "error" and last.http_status == 404
    # A failed fetch never leaves validators behind that would turn the next one into a 304.
    assert fetchlog.validators(store, server.base_url + "stat") == (None, None)


async def test_an_empty_feed_is_recorded_as_no_announcement(
    server: FeedServer, store: Store
) -> None:
    server.route("/rss/stat", STAT.split(b"<item>", 1)[0] + b"</channel></rss>")
    report = await fetch_and_store(Settings(arxiv_rss_url=server.base_url), store, ["stat"])
    assert report.status == "empty" and not report.is_new_announcement
    assert papers.latest_announcement(store) is None


# -- arXiv's 2,000-item cap: planning and merging feeds ---------------------------------------

codes = st.lists(
    st.sampled_from(["astro-ph", "cs", "cs.CV", "cs.LG", "math.OC", "q-bio.NC", "stat", "stat.ML"]),
    unique=True,
    min_size=1,
)


@settings(max_examples=200, deadline=None)
@given(codes, st.dictionaries(st.text(min_size=1), st.integers(0, 3000)), st.integers(1, 4000))
def test_planned_feeds_cover_every_code_once_within_the_budget(
    requested: list[str], counts: dict[str, int], budget: int
) -> None:
    expected = {code: counts.get(code, 0) for code in requested}
    groups = plan_feeds(requested, expected, budget)
    assert sorted(c for group in groups for c in group) == sorted(requested)
    for group in groups:
        # Over budget only when a single code is.
        assert len(group) == 1 or sum(expected[c] for c in group) <= budget
    assert plan_feeds(requested, expected, budget) == groups  # same URLs every poll


def test_a_new_bot_asks_for_everything_at_once_and_a_busy_one_splits() -> None:
    requested = ["cs.CV", "cs.LG", "math.OC", "stat.ML"]
    assert plan_feeds(requested, {}) == [tuple(requested)]
    busy = {"cs.CV": 900, "cs.LG": 1100, "math.OC": 200, "stat.ML": 150}
    assert plan_feeds(requested, busy) == [("cs.CV",), ("cs.LG", "math.OC", "stat.ML")]


def test_a_full_feed_splits_into_halves_then_an_archive_into_its_categories() -> None:
    assert split_feed(("cs.CV", "cs.LG", "stat")) == [("cs.CV",), ("cs.LG", "stat")]
    parts = split_feed(("stat",))
    assert len(parts) == 2 and {c for part in parts for c in part} >= {"stat.ML", "stat.ME"}
    assert split_feed(("cs.LG",)) == []


def test_merged_feeds_hold_each_paper_once_as_new_where_its_primary_was_asked() -> None:
    def paper(arxiv_id: str, kind: AnnounceType) -> Paper:
        return Paper(arxiv_id, 1, arxiv_id, "", ("A",), ("cs.LG", "stat.ML"), kind)

    lg = Feed(date(2026, 11, 19), (paper("1", AnnounceType.NEW), paper("3", AnnounceType.REPLACE)))
    ml = Feed(
        date(2026, 11, 19),
        (paper("2", AnnounceType.NEW), paper("1", AnnounceType.CROSS)),
    )
    merged = merge_feeds([ml, lg])
    assert [(p.arxiv_id, p.announce_type) for p in merged] == [
        ("2", AnnounceType.NEW),
        ("1", AnnounceType.NEW),
        ("3", AnnounceType.REPLACE),
    ]

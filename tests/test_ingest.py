"""Fetch → store: one announcement stored once, failures store nothing and are logged."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.config import Settings
from bot.ingest import fetch_and_store, listings, merge_feeds, plan_feeds, split_feed
from bot.models import AnnounceType, Feed, Paper
from bot.sources.fetch import load_feed_file
from storage import fetchlog, papers
from storage.database import Store, open_store
from tests.fakes.arxiv_feeds import ArxivCatalogue
from tests.fakes.feed_server import FeedServer

FIXTURES = Path(__file__).parent / "fixtures"
STAT = (FIXTURES / "rss-current-stat.xml").read_bytes()


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as running:
        yield running


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return open_store(tmp_path / "bot.sqlite3")


def test_listings_say_new_or_cross_per_requested_code() -> None:
    feed = load_feed_file(FIXTURES / "rss-current-stat.xml")
    rows = listings(feed, ["stat.ML", "cs.LG"])
    by_key = {(code, arxiv_id): kind for code, arxiv_id, kind in rows}
    # 2603.91001 is stat.ML primary, cross-listed in cs.LG.
    assert by_key[("stat.ML", "2603.91001")] is AnnounceType.NEW
    assert by_key[("cs.LG", "2603.91001")] is AnnounceType.CROSS
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
    assert report.announced == date(2026, 3, 17) and report.items == 45
    assert report.counts["stat"] == {"new": 15, "cross": 12, "replace": 11, "replace-cross": 7}
    assert len(papers.announced_papers(store, date(2026, 3, 17))) == 45
    again = await fetch_and_store(settings, store, ["stat"])
    assert again.status == "not-modified" and not again.is_new_announcement
    assert store.db.execute("SELECT COUNT(*) FROM papers").fetchone()[0] == 45


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
@given(
    codes,
    st.dictionaries(
        st.text(min_size=1), st.sets(st.integers(0, 60).map(str), max_size=40), max_size=8
    ),
    st.integers(1, 60),
)
def test_planned_feeds_cover_every_code_once_within_the_budget(
    requested: list[str], listed: dict[str, set[str]], budget: int
) -> None:
    known = {code: listed.get(code, set()) for code in requested}
    groups = plan_feeds(requested, known, budget)
    assert sorted(c for group in groups for c in group) == sorted(requested)
    for group in groups:
        # Over budget only when a single code is; a paper listed twice counts once.
        assert len(group) == 1 or len(set().union(*(known[c] for c in group))) <= budget
    assert plan_feeds(requested, known, budget) == groups  # same URLs every poll


def test_a_new_bot_asks_for_everything_at_once_and_a_busy_one_splits() -> None:
    requested = ["cs.CV", "cs.LG", "math.OC", "stat.ML"]
    assert plan_feeds(requested, {}) == [tuple(requested)]

    def ids(start: int, count: int) -> set[str]:
        return {str(i) for i in range(start, start + count)}

    # cs.LG and stat.ML share 800 papers: together they are 1,100, not 1,900.
    busy = {"cs.CV": ids(0, 900), "cs.LG": ids(1000, 1000), "math.OC": ids(5000, 300)}
    busy["stat.ML"] = ids(1200, 900)
    assert plan_feeds(requested, busy, 1500) == [("cs.CV",), ("cs.LG", "math.OC", "stat.ML")]


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


CODES = ["cs.CV", "cs.LG", "math.OC", "q-bio.NC", "stat.ML"]


def stored_ids(store: Store, day: date) -> set[str]:
    return {paper.arxiv_id for paper in papers.announced_papers(store, day)}


async def test_a_day_past_arxivs_cap_is_fetched_whole_and_lagging_feeds_store_nothing(
    server: FeedServer, store: Store
) -> None:
    monday, tuesday = date(2026, 11, 16), date(2026, 11, 17)
    catalogue = ArxivCatalogue(2300, CODES, monday)
    server.responder = catalogue.feed
    settings = Settings(arxiv_rss_url=server.base_url)
    waits: list[float] = []

    async def wait(seconds: float) -> None:
        waits.append(seconds)

    async def fetch() -> Any:
        return await fetch_and_store(settings, store, CODES, retries=0, sleep=wait)

    # A new bot asks for everything at once; the feed comes back full (2,000 of 2,300), so it
    # asks again in two halves, 3 s apart as arXiv asks, and stores every paper.
    report = await fetch()
    assert report.status == "ok" and report.is_new_announcement
    assert stored_ids(store, monday) == catalogue.ids_for(CODES)
    assert report.items == 2300 and report.feeds == 3 and waits == [3.0, 3.0]
    assert [r["status"] for r in fetchlog_rows(store)] == ["capped", "ok", "ok"]
    # The next poll plans the feeds from the counts just stored (new URLs, downloaded once,
    # nothing new); from then on until Tuesday's announcement every poll is a 304.
    again = await fetch()
    assert again.status == "ok" and not again.is_new_announcement
    assert again.items == 2300  # the day as stored, though one of the feeds answered 304
    assert again.feeds == 3 and "capped" not in [r["status"] for r in fetchlog_rows(store)[-3:]]
    assert (await fetch()).status == "not-modified"
    # Tuesday: the feeds are planned from Monday's counts, so no request comes back full; one
    # of them is not rebuilt yet, and nothing is stored until it is.
    catalogue.announced = tuesday
    catalogue.lagging = {"stat.ML"}
    asked = len(catalogue.requests)
    lagging = await fetch()
    assert lagging.status == "lagging" and papers.latest_announcement(store) == monday
    catalogue.lagging = set()
    report = await fetch()
    assert report.status == "ok" and report.announced == tuesday
    assert stored_ids(store, tuesday) == catalogue.ids_for(CODES)
    assert "capped" not in [r["status"] for r in fetchlog_rows(store)[-report.feeds :]]
    assert len(catalogue.requests) - asked == lagging.feeds + report.feeds


def fetchlog_rows(store: Store) -> list[Any]:
    return list(store.db.query("SELECT status FROM fetch_log ORDER BY id"))


async def test_an_undated_empty_feed_does_not_hold_the_day_but_an_older_one_does(
    server: FeedServer, store: Store
) -> None:
    # Yesterday stat.ML and cs.LG listed 1,000 papers each: too many for one feed, so two.
    yesterday = [
        Paper(
            f"2403.{i:05d}",
            1,
            f"Paper {i}",
            "Words.",
            ("A",),
            ("stat.ML" if i < 1000 else "cs.LG",),
        )
        for i in range(2000)
    ]
    papers.save_announcement(
        store,
        date(2026, 3, 16),
        yesterday,
        [(p.categories[0], p.arxiv_id, AnnounceType.NEW) for p in yesterday],
    )
    assert plan_feeds(
        ["cs.LG", "stat.ML"], papers.announcement_listings(store, date(2026, 3, 16))
    ) == [
        ("cs.LG",),
        ("stat.ML",),
    ]
    head = STAT.split(b"<item>", 1)[0]
    undated = head.replace(b"<pubDate>Tue, 17 Mar 2026 00:00:00 -0400</pubDate>", b"").replace(
        b"<lastBuildDate>Tue, 17 Mar 2026 04:00:02 +0000</lastBuildDate>", b""
    )
    older = head.replace(b"Tue, 17 Mar 2026", b"Mon, 16 Mar 2026")
    settings = Settings(arxiv_rss_url=server.base_url)

    async def no_wait(seconds: float) -> None:
        pass

    server.route("/rss/cs.LG", STAT)  # asked first: the feeds go in sorted order
    server.route("/rss/stat.ML", older + b"</channel></rss>")
    report = await fetch_and_store(settings, store, ["cs.LG", "stat.ML"], sleep=no_wait)
    assert report.status == "lagging" and papers.latest_announcement(store) == date(2026, 3, 16)
    server.route("/rss/stat.ML", undated + b"</channel></rss>")
    report = await fetch_and_store(settings, store, ["cs.LG", "stat.ML"], sleep=no_wait)
    assert report.status == "ok" and report.announced == date(2026, 3, 17)
    # The fetch schedule reads the newest row: the run's outcome.
    last = fetchlog.last_fetch(store)
    assert last is not None and last.status == "ok"

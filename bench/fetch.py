"""Fetching: requests per announcement when chats follow every arXiv category, and conditional
GET hits on the polls that follow.

The loopback feed server answers the combined URL with the fixture feed (tests/fixtures) and honours
ETag / Last-Modified as arXiv's does. `fetch_and_store` runs as the scheduler runs it: once for
the announcement, then on each poll until the next one.

Figures:
- `fetch_requests_per_announcement`: HTTP requests to fetch the announcement for every active
  arXiv category at once (target 1).
- `fetch_url_chars`: the length of that one URL, against the 8,000 characters common servers
  and proxies accept in a request line (arXiv's own limit is not published).
- `fetch_conditional_hits`: polls answered 304 Not Modified (nothing downloaded, nothing stored)
  out of the polls after the first fetch.
- `fetch_papers_missed_busy_day`: a day of 5,000 papers (3,000 with --quick) over 40 categories,
  served by a fake that cuts every feed at 2,000 items as arXiv does: papers the bot did not
  store. `fetch_requests_busy_day_first` is what a new bot needed (it asks for everything at
  once and splits each full feed); `fetch_requests_busy_day_next` what it needs the next day,
  the feeds planned from the stored listings: the target is that none comes back full (no
  request wasted), with the floor (papers ÷ 2,000) beside it. The fake cross-lists papers at
  random across the 40 categories, so a paper is an item in ~1.8 feeds; arXiv's cross-lists
  mostly stay within an archive, which the planner keeps together.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from bench.report import figure
from bot.config import Settings
from bot.ingest import fetch_and_store
from bot.sources.fetch import feed_url
from bot.sources.rss import FEED_ITEM_CAP
from storage import papers
from storage.database import open_store
from tests.fakes.arxiv_feeds import ArxivCatalogue
from tests.fakes.feed_server import FeedServer

ROOT = Path(__file__).parent.parent
FEED = ROOT / "tests" / "fixtures" / "rss-current-stat.xml"
TAXONOMY = ROOT / "bot" / "sources" / "taxonomy.json"
POLLS = 5
URL_LIMIT = 8000


def every_category() -> list[str]:
    """Every active arXiv category code."""
    data = json.loads(TAXONOMY.read_text(encoding="utf-8"))
    return sorted(code for code, item in data["categories"].items() if item["active"])


async def _cycle(server: FeedServer, categories: list[str], directory: Path) -> list[str]:
    settings = Settings(arxiv_rss_url=server.base_url)
    store = open_store(directory / "bot.sqlite3")
    statuses = []
    for _ in range(1 + POLLS):
        report = await fetch_and_store(settings, store, categories, retries=0)
        statuses.append(report.status)
    store.close()
    return statuses


async def _busy_day(server: FeedServer, catalogue: ArxivCatalogue, directory: Path) -> list[int]:
    """Requests for a new bot's first fetch and the next day's, full feeds the next day, and
    papers missed."""
    settings = Settings(arxiv_rss_url=server.base_url)
    store = open_store(directory / "busy.sqlite3")
    codes = list(catalogue.categories)

    async def no_wait(seconds: float) -> None:
        pass  # arXiv's 3 s spacing is honoured by the bot; here it would only slow the bench

    first = await fetch_and_store(settings, store, codes, sleep=no_wait)
    catalogue.announced += timedelta(days=1)
    before = store.db.execute("SELECT MAX(id) FROM fetch_log").fetchone()[0]
    following = await fetch_and_store(settings, store, codes, sleep=no_wait)
    capped = store.db.execute(
        "SELECT COUNT(*) FROM fetch_log WHERE id > ? AND status = 'capped'", [before]
    ).fetchone()[0]
    assert first.announced is not None and following.announced is not None
    wanted = catalogue.ids_for(codes)
    missed = sum(
        len(wanted - {p.arxiv_id for p in papers.announced_papers(store, day)})
        for day in (first.announced, following.announced)
    )
    store.close()
    return [first.feeds, following.feeds, capped, missed]


def run(quick: bool = False) -> list[str]:
    """Measure and return the figure lines."""
    categories = every_category()
    with FeedServer() as server, tempfile.TemporaryDirectory() as directory:
        url = feed_url(server.base_url, categories)
        server.route(urlsplit(url).path, FEED.read_bytes())
        statuses = asyncio.run(_cycle(server, categories, Path(directory)))
        opening = statuses[0]
        hits = statuses[1:].count("not-modified")
        size = 3000 if quick else 5000
        busy = ArxivCatalogue(size, categories[:40], date(2026, 11, 16))
        server.responder = busy.feed
        first_day, following, capped, missed = asyncio.run(_busy_day(server, busy, Path(directory)))
    # The same URL at arXiv's host, which is what arXiv would receive.
    length = len(feed_url("https://rss.arxiv.org/rss/", categories))
    fewest = -(-size // FEED_ITEM_CAP)
    return [
        f"# fetch: {len(categories)} categories; first fetch {opening}, then {POLLS} polls",
        figure(
            "fetch_requests_per_announcement",
            1 if opening == "ok" else 0,
            "",
            f"1 for all {len(categories)} categories",
            opening == "ok",
        ),
        figure("fetch_url_chars", length, "", f"<= {URL_LIMIT:,}", length <= URL_LIMIT),
        figure(
            "fetch_conditional_hits", hits, f" of {POLLS}", f"{POLLS} of {POLLS}", hits == POLLS
        ),
        figure(
            "fetch_papers_missed_busy_day",
            missed,
            "",
            f"0 of {size:,} a day, over two days, feeds cut at {FEED_ITEM_CAP:,} items",
            missed == 0,
        ),
        figure(
            "fetch_requests_busy_day_first",
            first_day,
            "",
            "informative: a new bot asks for everything, then splits each full feed",
            True,
        ),
        figure(
            "fetch_requests_busy_day_next",
            following,
            "",
            f"no feed full, so no request repeated ({capped} full; floor {fewest}: {size:,} "
            f"papers, {FEED_ITEM_CAP:,} a feed)",
            capped == 0,
        ),
    ]


if __name__ == "__main__":
    for line in run():
        print(line, flush=True)

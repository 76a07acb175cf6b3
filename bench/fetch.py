"""Fetching: requests per announcement when chats follow every arXiv category, and conditional
GET hits on the polls that follow.

The loopback feed server answers the combined URL with a real feed (tests/fixtures) and honours
ETag / Last-Modified as arXiv's does. `fetch_and_store` runs as the scheduler runs it: once for
the announcement, then on each poll until the next one.

Figures:
- `fetch_requests_per_announcement`: HTTP requests to fetch the announcement for every active
  arXiv category at once (target 1).
- `fetch_url_chars`: the length of that one URL, against the 8,000 characters common servers
  and proxies accept in a request line (arXiv's own limit is not published).
- `fetch_conditional_hits`: polls answered 304 Not Modified (nothing downloaded, nothing stored)
  out of the polls after the first fetch.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from bench.report import figure
from bot.config import Settings
from bot.ingest import fetch_and_store
from bot.sources.fetch import feed_url
from storage.database import open_store
from tests.fakes.feed_server import FeedServer

ROOT = Path(__file__).parent.parent
FEED = ROOT / "tests" / "fixtures" / "rss-stat-2024-03-26.xml"
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


def run(quick: bool = False) -> list[str]:
    """Measure and return the figure lines."""
    categories = every_category()
    with FeedServer() as server, tempfile.TemporaryDirectory() as directory:
        url = feed_url(server.base_url, categories)
        server.route(urlsplit(url).path, FEED.read_bytes())
        statuses = asyncio.run(_cycle(server, categories, Path(directory)))
        first = statuses[0]
        hits = statuses[1:].count("not-modified")
    # The same URL at arXiv's host, which is what arXiv would receive.
    length = len(feed_url("https://rss.arxiv.org/rss/", categories))
    return [
        f"# fetch: {len(categories)} categories followed; first fetch {first}, then {POLLS} polls",
        figure(
            "fetch_requests_per_announcement",
            1 if first == "ok" else 0,
            "",
            f"1 for all {len(categories)} categories",
            first == "ok" and server.count() == 1 + POLLS,
        ),
        figure("fetch_url_chars", length, "", f"<= {URL_LIMIT:,}", length <= URL_LIMIT),
        figure(
            "fetch_conditional_hits", hits, f" of {POLLS}", f"{POLLS} of {POLLS}", hits == POLLS
        ),
    ]


if __name__ == "__main__":
    for line in run():
        print(line, flush=True)

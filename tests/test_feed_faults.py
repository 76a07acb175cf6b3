"""What the outside world's feed servers can do to a fetch, end to end through ingest: each is
logged once with its URL, stores nothing wrong, and is visible in the fetch log (/status)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.ingest import FetchReport, fetch_and_store
from bot.sources.fetch import MAX_FEED_BYTES
from bot.sources.rss import parse_feed
from storage import fetchlog, papers
from storage.database import Store, open_store
from tests.fakes.feed_server import FeedServer

CURRENT = (Path(__file__).parent / "fixtures" / "rss-current-stat.xml").read_bytes()
HEAD, REST = CURRENT.split(b"<item>", 1)
ITEMS = b"<item>" + REST.rsplit(b"</channel>", 1)[0]
PAPERS = parse_feed(CURRENT).papers


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as running:
        yield running


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return open_store(tmp_path / "bot.sqlite3")


def big_feed(copies: int) -> bytes:
    """The fixture's items repeated `copies` times, each copy with fresh ids (one month each,
    from January 2015, when five-digit ids began)."""
    parts = [HEAD]
    for n in range(copies):
        fresh: dict[bytes, bytes] = {}

        def rename(match: re.Match[bytes], copy: int = n, ids: dict[bytes, bytes] = fresh) -> bytes:
            month = b"%02d%02d" % (15 + copy // 12, copy % 12 + 1)
            return ids.setdefault(match.group(0), month + b".%05d" % len(ids))

        parts.append(re.sub(rb"(?<!\d)\d{4}\.\d{4,5}(?!\d)", rename, ITEMS))
    return b"".join(parts) + b"</channel></rss>"


async def fetch(server: FeedServer, store: Store) -> FetchReport:
    return await fetch_and_store(
        Settings(arxiv_rss_url=server.base_url), store, ["stat"], retries=2
    )


async def test_a_two_megabyte_feed_is_stored_whole(server: FeedServer, store: Store) -> None:
    copies = 2_000_000 // len(ITEMS) + 1
    body = big_feed(copies)
    assert len(body) > 2_000_000
    server.route("/rss/stat", body)
    report = await fetch(server, store)
    assert report.status == "ok" and report.items == copies * len(PAPERS)
    assert len(papers.announced_papers(store, report.announced)) == copies * len(PAPERS)


DECLARATION = b"<?xml version='1.0' encoding='UTF-8'?>"
assert CURRENT.startswith(DECLARATION)


@pytest.mark.parametrize(
    "body",
    [
        b"\xef\xbb\xbf" + CURRENT,
        b"<?xml version='1.0' encoding='ISO-8859-1'?>"
        + CURRENT[len(DECLARATION) :].decode().encode("latin-1", errors="xmlcharrefreplace"),
        b"<?xml version='1.0' encoding='UTF-16'?>".decode().encode("utf-16")
        + CURRENT[len(DECLARATION) :].decode().encode("utf-16-le"),
    ],
    ids=["utf-8-bom", "latin-1", "utf-16"],
)
async def test_odd_encodings_parse_to_the_same_papers(
    server: FeedServer, store: Store, body: bytes
) -> None:
    server.route("/rss/stat", body)
    report = await fetch(server, store)
    assert report.status == "ok"
    stored = papers.announced_papers(store, report.announced)
    assert [(p.arxiv_id, p.title, p.authors) for p in stored] == [
        (p.arxiv_id, p.title, p.authors) for p in PAPERS
    ]


@pytest.mark.parametrize(
    ("status", "headers", "body", "expect"),
    [
        (403, {}, b"<html><body>Forbidden</body></html>", "403"),
        (429, {"Retry-After": "1"}, b"slow down", "429"),
        (503, {"Retry-After": "1"}, b"<html>maintenance</html>", "503"),
        (200, {}, b"<!DOCTYPE html><html><body>arXiv is down</body></html>", "feed"),
        (200, {}, CURRENT[: len(CURRENT) // 3], "feed"),
    ],
    ids=["403", "429", "503", "html-200", "truncated"],
)
async def test_each_fault_is_logged_once_stores_nothing_and_shows_in_the_fetch_log(
    server: FeedServer,
    store: Store,
    caplog: pytest.LogCaptureFixture,
    status: int,
    headers: dict[str, str],
    body: bytes,
    expect: str,
) -> None:
    server.route("/rss/stat", body, status=status, headers=headers)
    with caplog.at_level(logging.WARNING, logger="bot.ingest"):
        report = await fetch(server, store)
    assert report.status == "error"
    warnings = [r.getMessage() for r in caplog.records if r.name == "bot.ingest"]
    assert len(warnings) == 1 and server.base_url + "stat" in warnings[0]
    assert expect.lower() in warnings[0].lower()
    assert papers.latest_announcement(store) is None
    last = fetchlog.last_fetch(store)
    assert last is not None and last.status == "error" and last.error
    # Retried only where retrying can help (429 and 5xx), a bounded number of times.
    assert server.count("/rss/stat") == (3 if status in (429, 503) else 1)
    assert fetchlog.consecutive_errors(store) == 1


async def test_an_endless_feed_is_cut_at_the_cap_and_stores_nothing(
    server: FeedServer, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    server.endless("/rss/stat", HEAD + b"<item>", ITEMS)
    with caplog.at_level(logging.WARNING, logger="bot.ingest"):
        report = await fetch(server, store)
    assert report.status == "error" and report.error is not None
    assert "too large" in report.error and f"{MAX_FEED_BYTES:,}" in report.error
    # The client hung up: the server saw the connection close well before a second cap's worth
    # (what loopback's socket buffers hold is the only slack).
    assert server.stream_closed.wait(timeout=30)
    assert MAX_FEED_BYTES < server.streamed["/rss/stat"] < 2 * MAX_FEED_BYTES
    assert server.count("/rss/stat") == 1  # not retried: the next answer would be the same flood
    assert papers.latest_announcement(store) is None
    last = fetchlog.last_fetch(store)
    assert last is not None and last.status == "error" and "too large" in (last.error or "")
    warnings = [r.getMessage() for r in caplog.records if r.name == "bot.ingest"]
    assert len(warnings) == 1 and "too large" in warnings[0]


async def test_a_feed_declaring_a_size_over_the_cap_is_not_read(
    server: FeedServer, store: Store
) -> None:
    server.route("/rss/stat", CURRENT, headers={"Content-Length": str(MAX_FEED_BYTES + 1)})
    report = await fetch(server, store)
    assert report.status == "error" and "declared" in (report.error or "")
    assert papers.latest_announcement(store) is None

"""Fetching feeds over real HTTP from a loopback server: validators, retries, errors."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.sources.fetch import (
    DEFAULT_USER_AGENT,
    FetchError,
    FetchState,
    feed_url,
    fetch_feed,
)
from bot.sources.rss import FeedError
from tests.fakes.feed_server import FeedServer

FIXTURES = Path(__file__).parent / "fixtures"
CURRENT = (FIXTURES / "rss-current-stat.xml").read_bytes()


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as running:
        yield running


class Sleeps(list[float]):
    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


def test_one_url_for_all_categories() -> None:
    assert feed_url("https://rss.arxiv.org/rss/", ["cs.LG", "cs.CV", "cs.LG"]) == (
        "https://rss.arxiv.org/rss/cs.CV+cs.LG"
    )
    assert feed_url("http://x/rss", ["stat"]) == "http://x/rss/stat"


async def test_conditional_get_and_user_agent(server: FeedServer) -> None:
    server.route("/rss/stat", CURRENT)
    first = await fetch_feed(server.base_url, ["stat"])
    assert first.status == 200 and first.feed is not None and len(first.feed.papers) == 45
    assert first.etag and first.last_modified
    second = await fetch_feed(
        server.base_url, ["stat"], FetchState(first.etag, first.last_modified)
    )
    assert second.not_modified and second.status == 304
    headers = server.requests[1][1]
    assert headers["If-None-Match"] == first.etag
    assert headers["If-Modified-Since"] == first.last_modified
    assert all(h["User-Agent"] == DEFAULT_USER_AGENT for _, h in server.requests)


async def test_retries_5xx_with_backoff_and_honours_retry_after(server: FeedServer) -> None:
    server.route("/rss/stat", CURRENT)
    server.script(
        "/rss/stat",
        [(503, {"Retry-After": "7"}, b"busy"), (502, {}, b"bad gateway")],
    )
    sleeps = Sleeps()
    result = await fetch_feed(server.base_url, ["stat"], sleep=sleeps, backoff=2.0)
    assert result.feed is not None
    assert server.count("/rss/stat") == 3
    assert sleeps == [7.0, 4.0]  # Retry-After, then the second backoff step


async def test_gives_up_after_the_allowed_retries(server: FeedServer) -> None:
    server.route("/rss/stat", b"down", status=503)
    sleeps = Sleeps()
    with pytest.raises(FetchError) as caught:
        await fetch_feed(server.base_url, ["stat"], sleep=sleeps, retries=2)
    assert caught.value.status == 503
    assert server.count() == 3 and len(sleeps) == 2


async def test_404_is_not_retried(server: FeedServer) -> None:
    sleeps = Sleeps()
    with pytest.raises(FetchError, match="404"):
        await fetch_feed(server.base_url, ["stat"], sleep=sleeps)
    assert server.count() == 1 and sleeps == []


async def test_an_invalid_category_answers_arxivs_error_feed(server: FeedServer) -> None:
    body = (
        b'<?xml version="1.0"?><rss version="2.0"><channel>'
        b"<title>Feed error for query: cs.XX</title><link>http://rss.arxiv.org</link>"
        b"<description>Invalid category: cs.XX</description></channel></rss>"
    )
    server.route("/rss/cs.XX", body, status=400)
    with pytest.raises(FeedError, match=r"cs\.XX"):
        await fetch_feed(server.base_url, ["cs.XX"])
    assert server.count() == 1


async def test_an_html_page_with_200_is_a_feed_error_not_retried(server: FeedServer) -> None:
    server.route("/rss/stat", b"<html><body>Maintenance</body></html>")
    with pytest.raises(FeedError):
        await fetch_feed(server.base_url, ["stat"])
    assert server.count() == 1


async def test_a_slow_server_times_out_then_fails(server: FeedServer) -> None:
    # The server holds every request until the test is over, so only the fetch's own timeout
    # can end each attempt.
    released = threading.Event()

    def hold(path: str) -> tuple[int, dict[str, str], bytes]:
        released.wait(timeout=60)
        return 200, {}, CURRENT

    server.responder = hold
    sleeps = Sleeps()
    try:
        with pytest.raises(FetchError, match="timed out"):
            await fetch_feed(server.base_url, ["stat"], timeout=0.2, retries=1, sleep=sleeps)
        assert server.count() == 2  # the first attempt and one retry, neither answered
    finally:
        released.set()
    assert len(sleeps) == 1

"""The combined-feed fake (tests/fakes/arxiv_feeds.py), read back with the bot's own parser.

The fake is only useful if our parser reads it as it reads arXiv, and if it cuts feeds at 2,000
items the way arXiv does; these tests pin both, so a fetcher test built on it fails for the
fetcher's reasons, not the fake's.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

import httpx
import pytest

from bot.models import AnnounceType, Feed
from bot.sources.rss import parse_feed
from tests.fakes.arxiv_feeds import ArxivCatalogue
from tests.fakes.feed_server import FeedServer

CODES = ["cs.CV", "cs.LG", "stat.ML", "math.OC", "q-bio.NC"]
THURSDAY = date(2026, 11, 19)
MONDAY = date(2026, 11, 16)
ORDER = [AnnounceType.NEW, AnnounceType.CROSS, AnnounceType.REPLACE, AnnounceType.REPLACE_CROSS]


def serve(catalogue: ArxivCatalogue, path: str) -> tuple[int, dict[str, str], bytes]:
    answer = catalogue.feed(path)
    assert answer is not None
    return answer


def fetch(catalogue: ArxivCatalogue, codes: list[str]) -> Feed:
    status, headers, body = serve(catalogue, "/rss/" + "+".join(codes))
    assert status == 200
    assert headers["Content-Type"] == "application/rss+xml; charset=utf-8"
    return parse_feed(body, codes)


def ids(feed: Feed) -> set[str]:
    return {paper.arxiv_id for paper in feed.papers}


def assert_arxiv_order(feed: Feed) -> None:
    """Grouped new, cross, replace, replace-cross; by id within a group."""
    keys = [(ORDER.index(p.announce_type), p.arxiv_id) for p in feed.papers]
    assert keys == sorted(keys)


@pytest.fixture(scope="module")
def big() -> ArxivCatalogue:
    return ArxivCatalogue(2500, CODES, THURSDAY)


def test_combined_feed_is_cut_at_2000(big: ArxivCatalogue) -> None:
    feed = fetch(big, CODES)
    assert feed.announced == THURSDAY
    assert feed.title == "cs.CV+cs.LG+stat.ML+math.OC+q-bio.NC updates on arXiv.org"
    assert len(feed.papers) == 2000
    assert len(big.ids_for(CODES)) == 2500
    assert ids(feed) <= big.ids_for(CODES)
    # Every primary is requested, so the 2,000 kept are the first new papers; replacements
    # (every 7th item) are what the cap cut off.
    assert {p.announce_type for p in feed.papers} == {AnnounceType.NEW}
    assert_arxiv_order(feed)
    assert {p.version for p in feed.papers} == {1}
    assert len({p.title for p in feed.papers}) == 2000  # copies are titled `… (copy N)`


def test_small_feeds_are_complete_and_typed_for_the_request() -> None:
    # 2,200 items: the combined feed is capped, each half of the codes fits under the cap.
    catalogue = ArxivCatalogue(2200, CODES, THURSDAY, seed=1)
    everything = catalogue.ids_for(CODES)
    assert len(everything) == 2200  # more than one combined feed holds

    feed = fetch(catalogue, ["q-bio.NC"])
    assert ids(feed) == catalogue.ids_for(["q-bio.NC"])
    assert 0 < len(feed.papers) < 2000
    assert_arxiv_order(feed)
    types = Counter(p.announce_type for p in feed.papers)
    assert set(types) == set(ORDER)
    for paper in feed.papers:
        assert "q-bio.NC" in paper.categories
        home = paper.categories[0] == "q-bio.NC"
        expected = {
            (True, False): AnnounceType.NEW,
            (False, False): AnnounceType.CROSS,
            (True, True): AnnounceType.REPLACE,
            (False, True): AnnounceType.REPLACE_CROSS,
        }[home, paper.version > 1]
        assert paper.announce_type == expected

    first, second = fetch(catalogue, CODES[:2]), fetch(catalogue, CODES[2:])
    for half, codes in ((first, CODES[:2]), (second, CODES[2:])):
        assert ids(half) == catalogue.ids_for(codes)  # not cut
        assert len(half.papers) < 2000
    assert ids(first) | ids(second) == everything


def test_lagging_codes_are_dated_the_previous_weekday() -> None:
    catalogue = ArxivCatalogue(60, ["cs.CV", "stat.ML"], MONDAY)
    fresh = {key: serve(catalogue, f"/rss/{key}") for key in ("cs.CV", "stat.ML", "cs.CV+stat.ML")}
    catalogue.lagging = {"stat.ML"}
    friday = date(2026, 11, 13)
    for key, expected in (("cs.CV", MONDAY), ("stat.ML", friday), ("cs.CV+stat.ML", friday)):
        _, headers, body = serve(catalogue, f"/rss/{key}")
        feed = parse_feed(body, key.split("+"))
        assert feed.announced == expected
        assert feed.papers == parse_feed(fresh[key][2], key.split("+")).papers
        assert (headers["ETag"] == fresh[key][1]["ETag"]) == (expected == MONDAY)
    assert serve(catalogue, "/rss/stat.ML")[1]["Last-Modified"] == "Fri, 13 Nov 2026 05:00:00 GMT"
    catalogue.lagging.clear()
    assert parse_feed(serve(catalogue, "/rss/stat.ML")[2]).announced == MONDAY


def test_archive_code_covers_its_categories() -> None:
    catalogue = ArxivCatalogue(300, ["cs.CV", "cs.LG", "stat.ML"], THURSDAY)
    feed = fetch(catalogue, ["cs"])
    assert ids(feed) == catalogue.ids_for(["cs.CV", "cs.LG"]) == catalogue.ids_for(["cs"])
    assert ids(feed) != catalogue.ids_for(["cs.CV"])
    for paper in feed.papers:
        home = paper.categories[0].startswith("cs.")
        assert (paper.announce_type in (AnnounceType.NEW, AnnounceType.REPLACE)) == home


def test_served_by_feed_server_with_validators() -> None:
    catalogue = ArxivCatalogue(50, ["cs.CV", "stat.ML"], THURSDAY)
    assert catalogue.feed("/api/query") is None
    assert catalogue.feed("/rss/") is None
    with FeedServer() as server, httpx.Client() as client:
        server.responder = catalogue.feed
        first = client.get(server.base_url + "cs.CV+stat")
        assert first.status_code == 200
        assert parse_feed(first.content).announced == THURSDAY
        assert ids(parse_feed(first.content)) == catalogue.ids_for(["cs.CV", "stat"])
        again = client.get(
            server.base_url + "cs.CV+stat", headers={"If-None-Match": first.headers["ETag"]}
        )
        assert again.status_code == 304
        assert client.get(server.url("/elsewhere")).status_code == 404
    assert catalogue.requests[-3:] == ["/rss/cs.CV+stat", "/rss/cs.CV+stat", "/elsewhere"]

"""The parsers on real arXiv files kept beside the repository (`../shared/`), not in it.

The fixtures in tests/fixtures are the project's own, written in arXiv's formats. These tests
check the same parsers on files arXiv really served, where they are present (CI has them); a
plain clone skips them with the reason.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from bot.models import AnnounceType
from bot.sources.rss import parse_feed
from bot.sources.search import ArxivSearch, parse_query
from tests.fakes.feed_server import FeedServer

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
REAL_FIXTURES = SHARED / "fixtures"
REAL_FEEDS = SHARED / "data" / "feeds"


def real(path: Path) -> bytes:
    """The bytes of a real file beside the repository, or a skip saying which is missing."""
    if not path.is_file():
        pytest.skip(f"real arXiv file not found beside the repository ({path.name})")
    return path.read_bytes()


def test_a_real_current_feed_parses_whole_with_its_groups_and_quirks() -> None:
    feed = parse_feed(real(REAL_FIXTURES / "rss-stat-2024-03-26.xml"))
    assert feed.announced == date(2024, 3, 26) and feed.requested == ("stat",)
    assert Counter(p.announce_type for p in feed.papers) == {
        AnnounceType.NEW: 35,
        AnnounceType.CROSS: 27,
        AnnounceType.REPLACE: 41,
        AnnounceType.REPLACE_CROSS: 20,
    }
    assert max(p.version for p in feed.papers) == 5
    assert any(p.doi for p in feed.papers) and any(p.journal_ref for p in feed.papers)
    for paper in feed.papers:
        assert paper.title and paper.authors and paper.categories
        assert "Announce Type" not in paper.abstract and "\n" not in paper.title
        assert not any("\\" in name for name in paper.authors)


def test_a_real_old_rdf_feed_parses_whole() -> None:
    feed = parse_feed(real(REAL_FIXTURES / "rss-old-rdf-cs-2018-08-30.rdf"))
    assert feed.announced == date(2018, 8, 30) and feed.requested == ("cs",)
    assert len(feed.papers) == 185
    assert sum(p.announce_type.is_replacement for p in feed.papers) == 74  # "UPDATED)"
    for paper in feed.papers:
        assert "(arXiv:" not in paper.title and "&lt;" not in paper.abstract
        assert all("<" not in name and "href" not in name for name in paper.authors)


def test_the_real_heavy_latex_quant_ph_day_parses_whole() -> None:
    feed = parse_feed(real(REAL_FEEDS / "rss_new_quant-ph_2025-04-28_Klafyvel-RSSFeeds.jl.xml"))
    assert feed.is_announcement and len(feed.papers) >= 50
    assert len({p.arxiv_id for p in feed.papers}) == len(feed.papers)
    assert any("$" in p.abstract for p in feed.papers)  # the LaTeX the normaliser must read


@pytest.fixture
def real_api() -> Iterator[FeedServer]:
    """The arXiv API on loopback, answering every query with the real author page."""
    body = real(REAL_FIXTURES / "api-legacy-au-del_maestro.xml")
    wrapped = json.loads(real(REAL_FIXTURES / "api-2026-id-astro-ph_0601001.json"))

    def respond(path: str) -> tuple[int, dict[str, str], bytes]:
        if "id_list=astro-ph" in path:
            return wrapped["status_code"], {}, wrapped["body"].encode()
        return 200, {}, body

    with FeedServer() as server:
        server.responder = respond
        yield server


async def test_real_api_answers_of_both_servers_give_papers(real_api: FeedServer) -> None:
    search = ArxivSearch(real_api.url("/api/query"), min_interval=0.0)
    page = await search.search(parse_query("au:del_maestro"))
    assert page.hits and page.has_more
    assert all(hit.paper.title and hit.paper.authors for hit in page.hits)
    assert all("\n" not in hit.paper.title for hit in page.hits)  # hard-wrapped in the file
    one = await search.search(parse_query("astro-ph/0601001"))
    assert [hit.paper.arxiv_id for hit in one.hits] == ["astro-ph/0601001"]

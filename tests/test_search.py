"""arXiv search against a local server serving real API responses: queries, paging, cache,
spacing between requests, and every error case."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.models import SubscriptionKind
from bot.sources.search import (
    ArxivSearch,
    FollowRefusal,
    SearchError,
    follow_plan,
    parse_query,
)
from tests.fakes.feed_server import FeedServer

FIXTURES = Path(__file__).parent / "fixtures"
AUTHOR = (FIXTURES / "api-legacy-au-van_rossby.xml").read_bytes()
CHECKERBOARD = (FIXTURES / "api-legacy-au-van_rossby-AND-ti-checkerboard.xml").read_bytes()


def wrapped(name: str) -> tuple[int, dict[str, str], bytes]:
    data = json.loads((FIXTURES / name).read_text())
    return data["status_code"], {"Content-Type": "application/atom+xml"}, data["body"].encode()


def respond(path: str) -> tuple[int, dict[str, str], bytes] | None:
    params = {k: v[0] for k, v in parse_qs(urlsplit(path).query).items()}
    ids = re.sub(r"v\d+$", "", params.get("id_list", ""))
    query = params.get("search_query", "")
    start = int(params.get("start", "0"))
    if ids == "nucl-th/0405987":
        return wrapped("api-2026-id-nucl-th_0405987.json")
    if ids == "0000.00000":
        return wrapped("api-2026-id-0000.0000-empty.json")
    if ids:
        return wrapped("api-2026-id-abc-error.json")
    if "checkerboard" in query:
        return 200, {}, CHECKERBOARD
    if "van_rossby" in query and start < 10:
        return 200, {}, AUTHOR
    if query == "all:busy":
        return 503, {"Retry-After": "1"}, b"busy"
    if query == "all:ratelimited":
        return 429, {"Retry-After": "3"}, b"slow down"
    return wrapped("api-2026-id-0000.0000-empty.json")


@pytest.fixture
def api() -> Iterator[FeedServer]:
    with FeedServer() as server:
        server.responder = respond
        yield server


def client(api: FeedServer, **options: float) -> ArxivSearch:
    return ArxivSearch(api.url("/api/query"), **options)


@pytest.mark.parametrize(
    ("typed", "search_query", "ids", "sort"),
    [
        ("diffusion models", "all:diffusion AND all:models", (), "relevance"),
        ('"anomaly detection" video', 'all:"anomaly detection" AND all:video', (), "relevance"),
        ("diffusion sort:date", "all:diffusion", (), "date"),
        (
            "au:del_maestro AND ti:checkerboard",
            "au:del_maestro AND ti:checkerboard",
            (),
            "relevance",
        ),
        ("cat:cs.CV anomaly", "cat:cs.CV anomaly", (), "relevance"),
        ("2403.11083", "", ("2403.11083",), "relevance"),
        ("arXiv:2403.11083v2", "", ("2403.11083v2",), "relevance"),
        ("https://arxiv.org/pdf/2403.11083v2.pdf", "", ("2403.11083v2",), "relevance"),
        ("hep-th/9901001", "", ("hep-th/9901001",), "relevance"),
    ],
)
def test_parse_query(typed: str, search_query: str, ids: tuple[str, ...], sort: str) -> None:
    query = parse_query(typed)
    assert (query.search_query, query.id_list, query.sort) == (search_query, ids, sort)


@pytest.mark.parametrize("typed", ["", "   ", "sort:date", "!!! ???"])
def test_empty_queries_are_bad(typed: str) -> None:
    with pytest.raises(SearchError) as caught:
        parse_query(typed)
    assert caught.value.kind == "bad-query"


@pytest.mark.parametrize("typed", ["diffusion sort:bogus", "sort:", "au:lecun SORT:Datum"])
def test_an_unknown_sort_is_its_own_error_not_a_search_term(typed: str) -> None:
    with pytest.raises(SearchError) as caught:
        parse_query(typed)
    assert caught.value.kind == "bad-sort"


AUTHOR_KIND, KEYWORD, CATEGORY = (
    SubscriptionKind.AUTHOR,
    SubscriptionKind.KEYWORD,
    SubscriptionKind.CATEGORY,
)


@pytest.mark.parametrize(
    ("query", "items"),
    [
        ("au:lecun ti:energy", [(AUTHOR_KIND, "lecun", False), (KEYWORD, "energy", False)]),
        ("au:lecun AND au:bengio", [(AUTHOR_KIND, "lecun", False), (AUTHOR_KIND, "bengio", False)]),
        ("au:del_maestro", [(AUTHOR_KIND, "del maestro", False)]),
        ('au:"Yann LeCun"', [(AUTHOR_KIND, "Yann LeCun", False)]),
        (
            'ti:"energy based" OR abs:diffusion',
            [(KEYWORD, "energy based", True), (KEYWORD, "diffusion", False)],
        ),
        ("all:transformer", [(KEYWORD, "transformer", False)]),
        (
            "cat:cs.CV anomaly detection",
            [(CATEGORY, "cs.CV", False), (KEYWORD, "anomaly detection", True)],
        ),
        ("(ti:a OR ti:b)", [(KEYWORD, "a", False), (KEYWORD, "b", False)]),
        ("diffusion models", [(KEYWORD, "diffusion models", True)]),
    ],
)
def test_a_search_is_followed_for_what_it_means(
    query: str, items: list[tuple[SubscriptionKind, str, bool]]
) -> None:
    plan = follow_plan(query)
    assert plan.refusal is None and list(plan.items) == items


@pytest.mark.parametrize(
    ("query", "refusal", "detail"),
    [
        ("au:lecun ANDNOT ti:energy", FollowRefusal.NEGATION, ""),
        ("au:lecun AND NOT ti:energy", FollowRefusal.NEGATION, ""),
        ("jr:Nature", FollowRefusal.FIELD, "jr:"),
        ("id:2403.11083", FollowRefusal.FIELD, "id:"),
        ("au:lecun submittedDate:[2024 TO 2025]", FollowRefusal.FIELD, "submittedDate:"),
        ("cat:cs.CVV", FollowRefusal.CATEGORY, "cs.CVV"),
        ("ti:, AND", FollowRefusal.NOTHING, ""),
    ],
)
def test_a_search_no_subscription_can_express_is_refused_with_the_reason(
    query: str, refusal: FollowRefusal, detail: str
) -> None:
    plan = follow_plan(query)
    assert (plan.items, plan.refusal, plan.detail) == ((), refusal, detail)


@given(st.text(max_size=300))
def test_any_query_is_followed_or_refused_never_with_an_empty_value(text: str) -> None:
    plan = follow_plan(text)
    assert bool(plan.items) != (plan.refusal is not None)
    for kind, value, phrase in plan.items:
        assert value and value == value.strip()
        assert phrase == (kind is SubscriptionKind.KEYWORD and " " in value)


async def test_field_query_pages_and_cache(api: FeedServer) -> None:
    search = client(api, min_interval=0.0)
    first = await search.search(parse_query("au:van_rossby"))
    assert len(first.hits) == 5 and first.has_more
    assert first.hits[0].paper.arxiv_id == "1207.9871"
    assert all(hit.paper.title and hit.paper.authors for hit in first.hits)
    again = await search.search(parse_query("au:van_rossby"))
    assert again is first and search.requests == 1 and api.count() == 1


async def test_id_query_opens_that_paper(api: FeedServer) -> None:
    page = await client(api, min_interval=0.0).search(parse_query("nucl-th/0405987"))
    assert [hit.paper.arxiv_id for hit in page.hits] == ["nucl-th/0405987"]
    assert page.hits[0].paper.title.startswith("Pairing gaps in neutron-rich tin isotopes")
    assert not page.has_more


async def test_no_results_bad_id_and_server_errors(api: FeedServer) -> None:
    search = client(api, min_interval=0.0)
    empty = await search.search(parse_query("zzzzqqq"))
    assert empty.hits == () and not empty.has_more
    with pytest.raises(SearchError) as bad:
        await search.search(parse_query("2403.99999"))  # answered with arXiv's 400 error
    assert bad.value.kind == "bad-query"
    with pytest.raises(SearchError) as busy:
        await search.search(parse_query("busy"))
    assert busy.value.kind == "unavailable"


async def test_a_slow_server_times_out_instead_of_hanging(api: FeedServer) -> None:
    # arXiv holds every request until the test is over: the results it would send are good,
    # so "unavailable" can only come from the search giving up on its own timeout.
    released = threading.Event()

    def hold(path: str) -> tuple[int, dict[str, str], bytes] | None:
        released.wait(timeout=60)
        return respond(path)

    api.responder = hold
    search = client(api, min_interval=0.0, timeout=0.3)
    try:
        with pytest.raises(SearchError) as caught:
            await search.search(parse_query("au:van_rossby"))
        assert api.count() >= 1  # it did ask
    finally:
        released.set()
    assert caught.value.kind == "unavailable"


async def test_requests_are_spaced_even_when_many_chats_search_at_once(api: FeedServer) -> None:
    search = client(api, min_interval=0.3)
    queries = ["au:van_rossby", "zzz1", "zzz2", "zzz3"]
    await asyncio.gather(*(search.search(parse_query(q)) for q in queries))
    gaps = [b - a for a, b in itertools.pairwise(search.request_times)]
    assert search.requests == 4 and len(gaps) == 3
    assert min(gaps) >= 0.3


async def test_plain_words_find_papers(api: FeedServer) -> None:
    page = await client(api, min_interval=0.0).search(parse_query("checkerboard"))
    assert len(page.hits) == 1 and not page.has_more
    assert "checkerboard" in page.hits[0].paper.title.lower()
    sent = parse_qs(urlsplit(api.requests[0][0]).query)
    assert sent["search_query"] == ["all:checkerboard"]


async def test_rate_limited_by_arxiv_is_unavailable(api: FeedServer) -> None:
    with pytest.raises(SearchError) as caught:
        await client(api, min_interval=0.0).search(parse_query("ratelimited"))
    assert caught.value.kind == "unavailable"


async def test_the_real_three_second_spacing_holds_for_concurrent_chats(api: FeedServer) -> None:
    search = ArxivSearch(api.url("/api/query"))  # the default: arXiv's 3 s
    started = time.monotonic()
    await asyncio.gather(*(search.search(parse_query(f"chat{n}")) for n in range(3)))
    gaps = [b - a for a, b in itertools.pairwise(search.request_times)]
    assert len(gaps) == 2 and min(gaps) >= 3.0
    assert time.monotonic() - started >= 6.0
    assert all(b - a >= 2.9 for a, b in itertools.pairwise(api.arrivals))


async def test_an_empty_later_page_is_arxiv_failing_not_the_end(api: FeedServer) -> None:
    search = client(api, min_interval=0.0)
    with pytest.raises(SearchError) as caught:
        await search.search(parse_query("au:van_rossby"), page=3)  # the fake has 2 pages
    assert caught.value.kind == "unavailable"

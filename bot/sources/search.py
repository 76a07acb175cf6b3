"""arXiv API search for `/search` and `python -m bot search`: polite, cached, never hanging.

arXiv asks for one request every 3 seconds and one connection at a time, for the whole bot. The
`arxiv` package's client is synchronous and keeps its own clock per instance, so one
`ArxivSearch` owns one client, runs it in a thread behind an asyncio lock, spaces requests itself,
and answers repeated or paged queries from a short-lived cache.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

import arxiv
import requests

from bot.models import Paper, SubscriptionKind
from bot.sources.ids import find_arxiv_id, parse_arxiv_id
from bot.sources.taxonomy import get_taxonomy
from bot.text import normalize_space

log = logging.getLogger(__name__)

PER_PAGE = 5
MIN_INTERVAL = 3.0
_FIELD = re.compile(r"\b(?:ti|au|abs|co|jr|cat|rn|all|id):", re.IGNORECASE)
_BOOLEAN = re.compile(r"\b(?:AND|OR|ANDNOT)\b")
_SORT = re.compile(r"(?:^|\s)sort:(date|new|newest|relevance|updated)\b", re.IGNORECASE)
# Any `sort:` left after the valid ones were taken out is a value we do not know.
_ANY_SORT = re.compile(r"(?:^|\s)sort:(\S*)", re.IGNORECASE)
SORT_VALUES = ("date", "updated", "relevance")
_SORTS = {
    "date": arxiv.SortCriterion.SubmittedDate,
    "new": arxiv.SortCriterion.SubmittedDate,
    "newest": arxiv.SortCriterion.SubmittedDate,
    "updated": arxiv.SortCriterion.LastUpdatedDate,
    "relevance": arxiv.SortCriterion.Relevance,
}


class SearchError(Exception):
    """A search that could not be answered; `kind` is `bad-query`, `bad-sort` (the message is
    the unknown value) or `unavailable`."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class SearchQuery:
    """What a person asked for, in the API's terms."""

    text: str
    search_query: str
    id_list: tuple[str, ...] = ()
    sort: str = "relevance"


@dataclass(frozen=True)
class SearchHit:
    """One result: the paper and its first submission date."""

    paper: Paper
    published: date | None


@dataclass(frozen=True)
class SearchPage:
    """Up to PER_PAGE hits of one page, and whether another page exists."""

    query: SearchQuery
    page: int
    hits: tuple[SearchHit, ...]
    has_more: bool


def parse_query(text: str) -> SearchQuery:
    """User input → API query: an id (any form) opens that paper; `sort:date` sorts; arXiv's
    field syntax passes through; plain words must all appear (quoted phrases kept together)."""
    raw = normalize_space(text)
    sort = "relevance"
    found = _SORT.search(raw)
    if found:
        sort = "date" if found.group(1).lower() in ("date", "new", "newest") else found.group(1)
        raw = normalize_space(_SORT.sub(" ", raw))
    unknown = _ANY_SORT.search(raw)
    if unknown:
        # Searched for, `sort:bogus` would only find nothing; the reader meant to sort.
        raise SearchError("bad-sort", unknown.group(1))
    if not raw:
        raise SearchError("bad-query", "empty query")
    single = raw.split()
    if len(single) == 1:
        try:
            arxiv_id, version = parse_arxiv_id(single[0])
        except ValueError:
            pass
        else:
            wanted = f"{arxiv_id}v{version}" if version else arxiv_id
            return SearchQuery(raw, "", (wanted,), sort)
    if _FIELD.search(raw) or _BOOLEAN.search(raw):
        return SearchQuery(raw, raw, (), sort)
    terms = re.findall(r'"[^"]+"|\S+', raw)
    parts = []
    for term in terms:
        term = term.strip()
        if term.startswith('"'):
            parts.append(f"all:{term}")
        else:
            cleaned = re.sub(r"[^\w\-.+]", "", term)
            if cleaned:
                parts.append(f"all:{cleaned}")
    if not parts:
        raise SearchError("bad-query", f"nothing to search for in {text!r}")
    return SearchQuery(raw, " AND ".join(parts), (), sort)


class FollowRefusal(StrEnum):
    """Why a search cannot become subscriptions (each has its own reply)."""

    NEGATION = "negation"  # ANDNOT / AND NOT: a subscription cannot say "without"
    FIELD = "field"  # jr:, co:, rn:, id:, submittedDate…: nothing a digest matches on
    CATEGORY = "category"  # cat: with a code that is not an arXiv category
    NOTHING = "nothing"  # no words left to follow


@dataclass(frozen=True)
class FollowPlan:
    """What ➕ under a search follows: `(kind, value, phrase)` items, or why it cannot
    (`refusal`, with `detail` naming the field or code)."""

    items: tuple[tuple[SubscriptionKind, str, bool], ...] = ()
    refusal: FollowRefusal | None = None
    detail: str = ""


_FOLLOW_TOKEN = re.compile(
    r'(?P<field>[A-Za-z]+):(?P<value>"[^"]*"?|\S*)|"(?P<quoted>[^"]*)"?|(?P<word>\S+)'
)
_KEYWORD_FIELDS = ("ti", "abs", "all")
# Any `name:` at all: arXiv's fields and the ones it has beyond them (submittedDate:…).
_ANY_FIELD = re.compile(r"\b[A-Za-z]+:")


def _keyword(value: str) -> tuple[SubscriptionKind, str, bool] | None:
    value = normalize_space(value)
    if not any(c.isalnum() for c in value):
        return None
    return (SubscriptionKind.KEYWORD, value, len(value.split()) > 1)


def follow_plan(text: str) -> FollowPlan:
    """What a search's words mean as subscriptions: `au:` an author (`au:del_maestro` is "del
    maestro", as arXiv reads it), `ti:`/`abs:`/`all:` keywords, `cat:` a category; quoted
    phrases and runs of bare words are keyword phrases. A plain query is one phrase, as it was
    searched.

    Anything a subscription cannot express is refused with the reason, never stored as a
    keyword that could not match."""
    plain = normalize_space(text)
    if not _ANY_FIELD.search(plain) and not _BOOLEAN.search(plain) and '"' not in plain:
        whole = _keyword(plain.strip(" ()"))
        return FollowPlan((whole,)) if whole else FollowPlan(refusal=FollowRefusal.NOTHING)
    items: list[tuple[SubscriptionKind, str, bool] | None] = []
    words: list[str] = []  # bare words in a row: one phrase, as the reader typed them

    def flush() -> None:
        if words:
            items.append(_keyword(" ".join(words)))
            words.clear()

    previous = ""
    for found in _FOLLOW_TOKEN.finditer(plain.replace("(", " ").replace(")", " ")):
        field, quoted, word = found.group("field"), found.group("quoted"), found.group("word")
        if word is not None:
            if word == "ANDNOT" or (word == "NOT" and previous == "AND") or word.startswith("-"):
                return FollowPlan(refusal=FollowRefusal.NEGATION)
            previous = word
            if word in ("AND", "OR"):
                flush()
            elif word != "NOT":
                words.append(word)
            continue
        previous = ""
        flush()
        if quoted is not None:
            items.append(_keyword(quoted))
            continue
        name = field.lower()
        value = normalize_space(found.group("value").strip('"'))
        if not value:
            continue
        if name == "au":
            items.append((SubscriptionKind.AUTHOR, normalize_space(value.replace("_", " ")), False))
        elif name in _KEYWORD_FIELDS:
            items.append(_keyword(value))
        elif name == "cat":
            code = get_taxonomy().canonical(value)
            if code is None:
                return FollowPlan(refusal=FollowRefusal.CATEGORY, detail=value)
            items.append((SubscriptionKind.CATEGORY, code, False))
        else:
            return FollowPlan(refusal=FollowRefusal.FIELD, detail=f"{field}:")
    flush()
    unique = tuple(dict.fromkeys(item for item in items if item is not None))
    return FollowPlan(unique) if unique else FollowPlan(refusal=FollowRefusal.NOTHING)


def _paper(result: arxiv.Result) -> SearchHit:
    arxiv_id, version = parse_arxiv_id(result.entry_id)
    categories = list(dict.fromkeys([result.primary_category, *result.categories]))
    paper = Paper(
        arxiv_id=arxiv_id,
        version=version or 1,
        title=normalize_space(result.title),
        abstract=normalize_space(result.summary),
        authors=tuple(a.name for a in result.authors),
        categories=tuple(c for c in categories if c),
        doi=result.doi or None,
        journal_ref=result.journal_ref or None,
        comment=result.comment or None,
    )
    published = result.published.date() if result.published else None
    return SearchHit(paper, published)


class ArxivSearch:
    """The bot's one connection to the arXiv API: spaced, cached, bounded in time."""

    def __init__(
        self,
        api_url: str,
        *,
        min_interval: float = MIN_INTERVAL,
        timeout: float = 20.0,
        cache_size: int = 256,
        cache_seconds: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = arxiv.Client(page_size=PER_PAGE + 1, delay_seconds=0.0, num_retries=1)
        self._client.query_url_format = api_url + "?{}"
        # The arxiv client sets no timeout on its requests: give its session one.
        session = self._client._session
        session.get = functools.partial(session.get, timeout=timeout)  # type: ignore[method-assign,unused-ignore]
        self._lock = asyncio.Lock()
        self._min_interval = min_interval
        self._last_request = -float("inf")
        self._cache: OrderedDict[
            tuple[str, str, tuple[str, ...], str, int], tuple[float, SearchPage]
        ] = OrderedDict()
        self._cache_size = cache_size
        self._cache_seconds = cache_seconds
        self._clock = clock
        self.requests = 0
        self.request_times: list[float] = []

    def _cached(self, key: tuple[str, str, tuple[str, ...], str, int]) -> SearchPage | None:
        found = self._cache.get(key)
        if found is None:
            return None
        stored_at, page = found
        if self._clock() - stored_at > self._cache_seconds:
            del self._cache[key]
            return None
        self._cache.move_to_end(key)
        return page

    def cached(self, query: SearchQuery, page: int = 0) -> SearchPage | None:
        """The page if `search` would serve it from the cache (no arXiv request), else None."""
        return self._cached((query.search_query, query.text, query.id_list, query.sort, page))

    async def search(self, query: SearchQuery, page: int = 0) -> SearchPage:
        """One page of results, from the cache when this query and page were asked recently."""
        key = (query.search_query, query.text, query.id_list, query.sort, page)
        cached = self._cached(key)
        if cached is not None:
            return cached
        async with self._lock:
            cached = self._cached(key)
            if cached is not None:
                return cached
            wait = self._last_request + self._min_interval - self._clock()
            if wait > 0:
                await asyncio.sleep(wait)
            self._last_request = self._clock()
            self.requests += 1
            self.request_times.append(self._last_request)
            try:
                result = await asyncio.to_thread(self._fetch, query, page)
            finally:
                self._last_request = self._clock()
        self._cache[key] = (self._clock(), result)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return result

    def _fetch(self, query: SearchQuery, page: int) -> SearchPage:
        search = arxiv.Search(
            query=query.search_query,
            id_list=list(query.id_list),
            max_results=(page + 1) * PER_PAGE + 1,
            sort_by=_SORTS.get(query.sort, arxiv.SortCriterion.Relevance),
        )
        try:
            results = list(self._client.results(search, offset=page * PER_PAGE))
        except arxiv.HTTPError as exc:
            if exc.status == 400:
                raise SearchError("bad-query", f"arXiv rejected the query {query.text!r}") from exc
            raise SearchError("unavailable", f"arXiv answered HTTP {exc.status}") from exc
        except arxiv.UnexpectedEmptyPageError as exc:
            raise SearchError("unavailable", "arXiv returned an empty page") from exc
        except requests.RequestException as exc:
            raise SearchError("unavailable", f"arXiv unreachable: {type(exc).__name__}") from exc
        if not results and page > 0:
            # The previous page promised more: an empty one is arXiv's known transient failure.
            raise SearchError("unavailable", "arXiv returned an empty page")
        hits = []
        for result in results:
            if "/api/errors" in result.entry_id:
                raise SearchError("bad-query", normalize_space(result.summary) or "bad query")
            hits.append(_paper(result))
        return SearchPage(query, page, tuple(hits[:PER_PAGE]), len(hits) > PER_PAGE)


def looks_like_id(text: str) -> bool:
    """Whether free text contains an arXiv id (used to word replies)."""
    return find_arxiv_id(text) is not None

"""Fetch → store: as few requests as arXiv's feeds allow, stored as one announcement.

The feed lists each paper once, with an announce type relative to the whole request. Stored
listings say, per requested code, whether the paper is new there or a cross-list, so `/status`
can count "cs.CV: 132 announced" and matching can ask for one category's papers.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence, Set
from dataclasses import dataclass, field, replace
from datetime import date

import httpx

from bot import metrics
from bot.config import Settings
from bot.models import AnnounceType, Feed, Paper
from bot.sources.fetch import FetchError, FetchResult, FetchState, feed_url, fetch_feed
from bot.sources.rss import FEED_ITEM_CAP, FeedError
from bot.sources.taxonomy import get_taxonomy
from bot.watch import PaperState, note_text, now_known, what_changed
from storage import fetchlog, papers, retention, saved
from storage.clock import utc_now
from storage.database import Store
from storage.fetchlog import FetchStatus
from storage.outbox import Kind, OutboxMessage

log = logging.getLogger(__name__)

# Feeds are planned to hold at most this many items, leaving room under arXiv's cap for a day
# busier than the last (a day much busier costs one full feed, split and asked again).
PLANNED_ITEMS = 1800
# arXiv's terms of use: one request every 3 seconds.
ARXIV_SPACING = 3.0


def listings(feed: Feed, requested: Sequence[str]) -> list[tuple[str, str, AnnounceType]]:
    """(requested code, arxiv_id, announce type in that code) for every paper of the feed.

    A paper is `new` in a code that covers its primary category and `cross` in a code that only
    covers a secondary one; replacements keep their replacement-ness.
    """
    taxonomy = get_taxonomy()
    covered = {code: taxonomy.expand([code]) for code in requested}
    rows: list[tuple[str, str, AnnounceType]] = []
    for paper in feed.papers:
        replacement = paper.announce_type.is_replacement
        for code, categories in covered.items():
            if not categories.intersection(paper.categories):
                continue
            primary_here = paper.primary_category in categories
            if replacement:
                kind = AnnounceType.REPLACE if primary_here else AnnounceType.REPLACE_CROSS
            else:
                kind = AnnounceType.NEW if primary_here else AnnounceType.CROSS
            rows.append((code, paper.arxiv_id, kind))
    return rows


@dataclass(frozen=True)
class FetchReport:
    """What one fetch did, for the CLI, `/status` and the scheduler."""

    url: str
    status: FetchStatus
    announced: date | None = None
    previous: date | None = None
    items: int = 0
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    error: str | None = None
    feeds: int = 1  # feed requests made (more than one when arXiv's item cap split the fetch)
    saved_notes: int = 0  # notes queued to chats whose saved papers changed (bot.watch)
    pruned: retention.PruneReport | None = None  # what retention removed after storing it

    @property
    def is_new_announcement(self) -> bool:
        """The feed moved past the last announcement stored."""
        return (
            self.status is FetchStatus.OK
            and self.announced is not None
            and (self.previous is None or self.announced > self.previous)
        )


def plan_feeds(
    requested: Sequence[str], listed: Mapping[str, Set[str]], budget: int = PLANNED_ITEMS
) -> list[tuple[str, ...]]:
    """The codes grouped into as few feeds as arXiv's item cap allows.

    `listed` is the papers each code listed in the last announcement; a feed's size is the
    number of distinct papers its codes list (a cross-listed paper is one item), and a code
    never seen counts as empty, so a new bot asks for everything at once and splits only if the
    feed comes back full. Codes are taken in sorted order, first fit: neighbours share an
    archive (`cs.CV`, `cs.LG`), and most cross-lists stay within one, so they cost one item
    where a packing by size would split them across feeds; and the order is fixed, so the URLs
    stay the same from poll to poll and their validators keep answering 304. A code over
    `budget` alone gets a feed of its own.
    """
    groups: list[tuple[str, ...]] = []
    current: list[str] = []
    papers_in: set[str] = set()
    for code in sorted(set(requested)):
        mine = listed.get(code, set())
        if current and len(papers_in | mine) > budget:
            groups.append(tuple(current))
            current, papers_in = [], set()
        current.append(code)
        papers_in |= mine
    if current:
        groups.append(tuple(current))
    return groups


def split_feed(codes: tuple[str, ...]) -> list[tuple[str, ...]]:
    """A feed that came back full, as smaller ones: two halves, or a lone archive as its
    categories; a lone category cannot be split (empty list)."""
    if len(codes) > 1:
        middle = len(codes) // 2
        return [codes[:middle], codes[middle:]]
    taxonomy = get_taxonomy()
    if taxonomy.is_archive(codes[0]):
        members = taxonomy.categories_in(codes[0])
        if len(members) > 1:
            return split_feed(tuple(members))
    return []


def merge_feeds(feeds: Sequence[Feed]) -> tuple[Paper, ...]:
    """One announcement from several feeds: each paper once, as the feed where its primary
    category was requested lists it, in arXiv's order (new, cross-lists, replacements)."""
    chosen: dict[str, Paper] = {}
    for feed in feeds:
        for paper in feed.papers:
            held = chosen.get(paper.arxiv_id)
            if held is None or (
                held.announce_type.is_cross_list and not paper.announce_type.is_cross_list
            ):
                chosen[paper.arxiv_id] = paper
    return tuple(
        sorted(
            chosen.values(),
            key=lambda p: (p.announce_type.is_replacement, p.announce_type.is_cross_list),
        )
    )


@dataclass
class _Fetched:
    """One feed request that got an answer."""

    codes: tuple[str, ...]
    url: str
    started: str
    result: FetchResult
    announced: date | None  # the feed's date; for a 304, the date of the response it repeats


async def fetch_and_store(
    settings: Settings,
    store: Store,
    categories: Sequence[str],
    *,
    client: httpx.AsyncClient | None = None,
    retries: int = 3,
    spacing: float = ARXIV_SPACING,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> FetchReport:
    """Fetch the announcement for `categories` (conditional GET) and store it.

    One feed for every category when arXiv's 2,000-item cap allows (`plan_feeds` sizes the
    feeds from the last announcement; a feed that comes back full is split and asked again),
    `spacing` seconds apart as arXiv's terms ask. The announcement is stored only when every
    feed carries the same date, in one transaction: a feed not yet rebuilt would otherwise
    make chats miss its papers for good. Every request is logged in the fetch log; a failed or
    malformed fetch stores nothing.
    """
    requested = sorted(set(categories))
    if not requested:
        raise ValueError("nothing to fetch: no category given")
    base = settings.arxiv_rss_url
    previous = papers.latest_announcement(store)
    listed = papers.announcement_listings(store, previous) if previous is not None else {}
    queue = deque(plan_feeds(requested, listed))
    fetched: list[_Fetched] = []
    requests = 0
    while queue:
        codes = queue.popleft()
        url = feed_url(base, codes)
        if requests:
            await sleep(spacing)
        requests += 1
        started = utc_now()
        etag, last_modified = fetchlog.validators(store, url)
        try:
            result = await fetch_feed(
                base,
                codes,
                FetchState(etag=etag, last_modified=last_modified),
                client=client,
                retries=retries,
            )
        except (FetchError, FeedError) as exc:
            status_code = exc.status if isinstance(exc, FetchError) else None
            metrics.feed_request(FetchStatus.ERROR.value)
            fetch_id = fetchlog.record_fetch(
                store,
                url=url,
                categories=list(codes),
                started_at=started,
                status=FetchStatus.ERROR,
                http_status=status_code,
                error=str(exc),
            )
            log.warning("fetching %s failed: %s", url, exc, extra={"fetch_id": fetch_id})
            return FetchReport(
                url=url, status=FetchStatus.ERROR, previous=previous, error=str(exc), feeds=requests
            )
        feed = result.feed
        if feed is not None and feed.entries >= FEED_ITEM_CAP:
            smaller = split_feed(codes)
            if smaller:
                fetch_id = _record(
                    store,
                    _Fetched(codes, url, started, result, feed.announced),
                    FetchStatus.CAPPED,
                )
                log.info(
                    "%s came back with arXiv's %d-item cap; asking for it as %d feeds",
                    url,
                    FEED_ITEM_CAP,
                    len(smaller),
                    extra={"fetch_id": fetch_id},
                )
                queue.extendleft(reversed(smaller))
                continue
            log.warning(
                "%s alone has arXiv's %d-item cap: papers past it cannot be fetched by RSS",
                url,
                FEED_ITEM_CAP,
            )
        announced = feed.announced if feed is not None else fetchlog.stored_announcement(store, url)
        fetched.append(_Fetched(codes, url, started, result, announced))
    report = _store(store, feed_url(base, requested), requested, previous, fetched, requests)
    if report.status is FetchStatus.OK and settings.retention_days is not None:
        report = replace(report, pruned=await prune_after_fetch(store, settings.retention_days))
    return report


async def prune_after_fetch(store: Store, days: int) -> retention.PruneReport | None:
    """Retention after a stored announcement, for the bot's fetch job and `python -m bot fetch`
    alike: in a worker thread, in batches (storage.retention), so the bot keeps answering.
    A failure is logged and the fetch still counts: the next announcement prunes again."""
    try:
        pruned = await asyncio.to_thread(retention.prune, store, days)
    except sqlite3.Error:
        log.exception("pruning data older than %d days failed", days)
        return None
    if pruned.rows:
        log.info("retention (%d days): %s", days, pruned.summary())
    return pruned


def _store(
    store: Store,
    whole_url: str,
    requested: list[str],
    previous: date | None,
    fetched: list[_Fetched],
    requests: int,
) -> FetchReport:
    """Store what the feeds say, if they agree on one announcement; log every request."""
    # One feed: its URL; several: the one they stand for, as /status and the CLI show it.
    url = fetched[0].url if len(fetched) == 1 else whole_url
    changed = [f for f in fetched if f.result.feed is not None]
    if not changed:
        for item in fetched:
            _record(store, item, FetchStatus.NOT_MODIFIED)
        return FetchReport(
            url=url, status=FetchStatus.NOT_MODIFIED, previous=previous, feeds=requests
        )
    announcing = [f for f in changed if f.result.feed is not None and f.result.feed.is_announcement]
    if not announcing:
        for item in fetched:
            _record(
                store,
                item,
                FetchStatus.EMPTY if item.result.feed is not None else FetchStatus.NOT_MODIFIED,
            )
        fetchlog.mark_categories_fetched(store, requested, None)
        day = changed[0].announced
        return FetchReport(
            url=url, status=FetchStatus.EMPTY, announced=day, previous=previous, feeds=requests
        )
    newest = max(f.announced for f in announcing if f.announced is not None)
    # An empty feed without a date says nothing about the day; any other feed must carry it.
    behind = [f for f in fetched if f.announced != newest and not _undated_empty(f)]
    if behind:
        fetch_ids = [_record(store, item, FetchStatus.LAGGING) for item in fetched]
        log.info(
            "arXiv's feeds disagree (%s is dated %s, another %s): storing nothing until they agree",
            behind[0].url,
            behind[0].announced,
            newest,
            extra={"fetch_id": fetch_ids[-1]},
        )
        return FetchReport(
            url=url, status=FetchStatus.LAGGING, announced=newest, previous=previous, feeds=requests
        )
    feeds = [f.result.feed for f in announcing if f.result.feed is not None]
    merged = Feed(newest, merge_feeds(feeds), tuple(requested))
    # The papers and the notes about saved ones they update, in one transaction: a crash
    # stores both or neither, so no note is lost or queued twice.
    with store.lock, store.db.atomic():
        papers.save_announcement(store, newest, merged.papers, listings(merged, requested))
        notes = tell_savers(store, [paper.arxiv_id for paper in merged.papers])
    statuses = [
        FetchStatus.NOT_MODIFIED
        if f.result.feed is None
        else FetchStatus.OK
        if f.result.feed.is_announcement
        else FetchStatus.EMPTY
        for f in fetched
    ]
    # The run's outcome last: the fetch schedule reads the newest row.
    fetch_ids = [
        _record(store, item, status)
        for status, item in sorted(
            zip(statuses, fetched, strict=True), key=lambda p: p[0] is FetchStatus.OK
        )
    ]
    fetchlog.mark_categories_fetched(store, requested, newest)
    report = FetchReport(
        url=url,
        status=FetchStatus.OK,
        announced=newest,
        previous=previous,
        # The whole day as stored, not only the feeds that changed since the last poll.
        items=len(set().union(*papers.announcement_listings(store, newest).values())),
        counts=papers.announcement_counts(store, newest),
        feeds=requests,
        saved_notes=notes,
    )
    log.info(
        "announcement of %s stored: %d papers from %d feeds",
        newest,
        report.items,
        requests,
        extra={"fetch_id": fetch_ids[-1]},
    )
    return report


def tell_savers(store: Store, arxiv_ids: Sequence[str]) -> int:
    """Queue one note to each active chat that saved one of these stored papers and was not
    told what changed in it (bot.watch); returns how many. What each chat knows is recorded
    with its note, so calling this again for the same papers tells nobody twice."""
    learned: list[tuple[int, str, PaperState]] = []
    notes: list[OutboxMessage] = []
    for row in saved.watched(store, arxiv_ids):
        change = what_changed(row.known, row.stored)
        state = now_known(row.known, row.stored)
        if change is None and state == row.known:
            continue
        learned.append((row.chat_id, row.arxiv_id, state))
        if change is not None:
            text = note_text(
                change,
                arxiv_id=row.arxiv_id,
                title=row.title,
                version=row.stored.version,
                lang=row.ui_language,
            )
            notes.append(OutboxMessage(row.chat_id, 0, text, kind=Kind.WATCH))
    if learned:
        saved.record_told(store, learned, notes)
    if notes:
        log.info("saved-paper watch: %d notes queued", len(notes))
    return len(notes)


def _undated_empty(item: _Fetched) -> bool:
    feed = item.result.feed
    return feed is not None and not feed.is_announcement and feed.announced is None


def _record(store: Store, item: _Fetched, status: FetchStatus) -> int:
    """One request in the fetch log (and the metrics), validators only where the response was
    stored; returns its fetch id."""
    feed = item.result.feed
    stored = status in (FetchStatus.OK, FetchStatus.EMPTY)
    metrics.feed_request(status.value)
    return fetchlog.record_fetch(
        store,
        url=item.url,
        categories=list(item.codes),
        started_at=item.started,
        status=status,
        http_status=item.result.status,
        etag=(item.result.etag if stored else None),
        last_modified=(item.result.last_modified if stored else None),
        announced=item.announced,
        items=len(feed.papers) if feed is not None else 0,
    )

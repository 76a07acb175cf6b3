"""Fetch → store: one request for every subscribed category, stored as one announcement.

The feed lists each paper once, with an announce type relative to the whole request. Stored
listings say, per requested code, whether the paper is new there or a cross-list, so `/status`
can count "cs.CV: 132 announced" and matching can ask for one category's papers.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import httpx

from bot.config import Settings
from bot.models import AnnounceType, Feed
from bot.sources.fetch import FetchError, FetchState, feed_url, fetch_feed
from bot.sources.rss import FeedError
from bot.sources.taxonomy import get_taxonomy
from storage import fetchlog, papers
from storage.clock import utc_now
from storage.database import Store

log = logging.getLogger(__name__)


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
    status: str
    announced: date | None = None
    previous: date | None = None
    items: int = 0
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    error: str | None = None

    @property
    def is_new_announcement(self) -> bool:
        """The feed moved past the last announcement stored."""
        return (
            self.status == "ok"
            and self.announced is not None
            and (self.previous is None or self.announced > self.previous)
        )


async def fetch_and_store(
    settings: Settings,
    store: Store,
    categories: Sequence[str],
    *,
    client: httpx.AsyncClient | None = None,
    retries: int = 3,
) -> FetchReport:
    """Fetch the combined feed for `categories` (conditional GET) and store its announcement.

    Every attempt is logged in the fetch log; a failed or malformed fetch stores no papers.
    """
    requested = sorted(set(categories))
    url = feed_url(settings.arxiv_rss_url, requested)
    started = utc_now()
    previous = papers.latest_announcement(store)
    etag, last_modified = fetchlog.validators(store, url)
    try:
        result = await fetch_feed(
            settings.arxiv_rss_url,
            requested,
            FetchState(etag=etag, last_modified=last_modified),
            client=client,
            retries=retries,
        )
    except (FetchError, FeedError) as exc:
        status_code = exc.status if isinstance(exc, FetchError) else None
        log.warning("fetching %s failed: %s", url, exc)
        fetchlog.record_fetch(
            store,
            url=url,
            categories=requested,
            started_at=started,
            status="error",
            http_status=status_code,
            error=str(exc),
        )
        return FetchReport(url=url, status="error", previous=previous, error=str(exc))
    if result.feed is None:
        fetchlog.record_fetch(
            store,
            url=url,
            categories=requested,
            started_at=started,
            status="not-modified",
            http_status=result.status,
            etag=result.etag or etag,
            last_modified=result.last_modified or last_modified,
        )
        return FetchReport(url=url, status="not-modified", previous=previous)
    feed = result.feed
    if not feed.is_announcement or feed.announced is None:
        fetchlog.record_fetch(
            store,
            url=url,
            categories=requested,
            started_at=started,
            status="empty",
            http_status=result.status,
            etag=result.etag,
            last_modified=result.last_modified,
            announced=feed.announced,
        )
        fetchlog.mark_categories_fetched(store, requested, None)
        return FetchReport(url=url, status="empty", announced=feed.announced, previous=previous)
    papers.save_announcement(store, feed.announced, feed.papers, listings(feed, requested))
    fetchlog.record_fetch(
        store,
        url=url,
        categories=requested,
        started_at=started,
        status="ok",
        http_status=result.status,
        etag=result.etag,
        last_modified=result.last_modified,
        announced=feed.announced,
        items=len(feed.papers),
    )
    fetchlog.mark_categories_fetched(store, requested, feed.announced)
    return FetchReport(
        url=url,
        status="ok",
        announced=feed.announced,
        previous=previous,
        items=len(feed.papers),
        counts=papers.announcement_counts(store, feed.announced),
    )

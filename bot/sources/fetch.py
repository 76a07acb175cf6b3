"""Fetching arXiv feeds over HTTP: one request for all categories, conditional, patient, polite.

arXiv asks for few requests and a User-Agent that names the client. A 304 answer costs arXiv
nothing, so every fetch sends the last ETag / Last-Modified. Network errors, 5xx and 429 are
retried with exponential backoff (honouring Retry-After); other 4xx are final.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from bot.models import Feed
from bot.sources.rss import FeedError, parse_feed

log = logging.getLogger(__name__)

DEFAULT_USER_AGENT = "arxiv-digest-bot/0.1 (+https://github.com/arxiv-digest-bot)"
# The longest wait a Retry-After may impose on one fetch; the scheduler retries later anyway.
MAX_RETRY_AFTER = 300.0
# The largest feed body read, counted after decompression. A full 2,000-item feed (arXiv's cap)
# is about 4 MB (the stat fixture: 223 KB for 123 items); 32 MB is eight times that, and it stops
# an endless or bomb-sized answer before it fills memory.
MAX_FEED_BYTES = 32 * 1024 * 1024


class FeedTooLarge(Exception):
    """The body passed the size cap; reading stopped there."""


class FetchError(Exception):
    """The feed could not be fetched (network, timeout, HTTP error) after the allowed retries."""

    def __init__(
        self, message: str, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


@dataclass(frozen=True)
class FetchState:
    """HTTP validators of the last stored response, for a conditional GET."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class FetchResult:
    """One successful exchange: a parsed feed, or None when the server said 304 Not Modified."""

    url: str
    status: int
    feed: Feed | None
    etag: str | None
    last_modified: str | None

    @property
    def not_modified(self) -> bool:
        """The feed has not changed since the validators sent."""
        return self.feed is None


def feed_url(base_url: str, categories: Sequence[str]) -> str:
    """`https://rss.arxiv.org/rss/cs.CV+cs.LG`: every category in one request, sorted."""
    base = base_url if base_url.endswith("/") else base_url + "/"
    return base + "+".join(sorted(set(categories)))


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return min(max(float(value), 0.0), MAX_RETRY_AFTER)
    except ValueError:
        return None


async def _read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    """The body, read in chunks and abandoned as soon as it passes `max_bytes`."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FeedTooLarge(f"declared {int(declared):,} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise FeedTooLarge(f"more than {max_bytes:,} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def fetch_url(
    url: str,
    state: FetchState | None = None,
    *,
    requested: Sequence[str] = (),
    client: httpx.AsyncClient | None = None,
    timeout: float = 30.0,
    retries: int = 3,
    backoff: float = 2.0,
    user_agent: str = DEFAULT_USER_AGENT,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    max_bytes: int = MAX_FEED_BYTES,
) -> FetchResult:
    """GET one feed URL with validators and retries, and parse it (FeedError if unusable).

    The body is streamed and given up past `max_bytes` (a final FetchError that says so).
    """
    headers = {"User-Agent": user_agent, "Accept": "application/rss+xml, application/xml"}
    if state and state.etag:
        headers["If-None-Match"] = state.etag
    if state and state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    own_client = client is None
    http = client or httpx.AsyncClient(timeout=timeout, follow_redirects=True)
    try:
        attempt = 0
        while True:
            error: FetchError
            try:
                async with http.stream("GET", url, headers=headers, timeout=timeout) as response:
                    # Only a feed (200) or arXiv's error feed (400) is worth reading.
                    body = (
                        await _read_capped(response, max_bytes)
                        if response.status_code in (200, 400)
                        else b""
                    )
            except FeedTooLarge as exc:
                # Final: asking again would download the same flood.
                raise FetchError(
                    f"feed too large at {url}: {exc}, over the {max_bytes:,}-byte cap; "
                    "stopped reading",
                    status=response.status_code,
                ) from None
            except httpx.TimeoutException:
                error = FetchError(f"timed out after {timeout:g} s fetching {url}")
            except httpx.HTTPError as exc:
                error = FetchError(f"network error fetching {url}: {type(exc).__name__}")
            else:
                if response.status_code in (200, 304):
                    # 304: unchanged since the validators we sent; 200: parse (FeedError if bad).
                    feed = parse_feed(body, requested) if response.status_code == 200 else None
                    return FetchResult(
                        url,
                        response.status_code,
                        feed,
                        response.headers.get("ETag"),
                        response.headers.get("Last-Modified"),
                    )
                if response.status_code == 400:
                    # arXiv answers an unknown category with 400 and an error feed: say why.
                    parse_feed(body, requested)
                retry_after = _retry_after(response)
                error = FetchError(
                    f"HTTP {response.status_code} fetching {url}",
                    status=response.status_code,
                    retry_after=retry_after,
                )
                if response.status_code != 429 and response.status_code < 500:
                    raise error
            attempt += 1
            if attempt > retries:
                raise error
            wait = (
                error.retry_after if error.retry_after is not None else backoff * 2 ** (attempt - 1)
            )
            log.info("fetch attempt %d failed (%s); retrying in %.1f s", attempt, error, wait)
            await sleep(wait)
    finally:
        if own_client:
            await http.aclose()


async def fetch_feed(
    base_url: str,
    categories: Sequence[str],
    state: FetchState | None = None,
    **options: object,
) -> FetchResult:
    """Fetch the combined feed of `categories` from `base_url` (see `fetch_url` for options)."""
    return await fetch_url(
        feed_url(base_url, categories),
        state,
        requested=tuple(categories),
        **options,  # type: ignore[arg-type]
    )


def load_feed_file(path: Path | str, requested: Sequence[str] = ()) -> Feed:
    """A feed saved to disk (tests, `digest --feed FILE`)."""
    return parse_feed(Path(path).read_bytes(), requested)


__all__ = [
    "DEFAULT_USER_AGENT",
    "MAX_FEED_BYTES",
    "FeedError",
    "FetchError",
    "FetchResult",
    "FetchState",
    "feed_url",
    "fetch_feed",
    "fetch_url",
    "load_feed_file",
]

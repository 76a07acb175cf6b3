"""Prometheus metrics: events counted where they happen, state read from SQLite at scrape.

The rest of the code calls the small functions below (`metrics.sent()`,
`metrics.send_failed(failure)`, ...) at the edges that already exist: the sender, the rate
limiter, the translation service, the fetch. While METRICS_PORT is unset no `Metrics` is
active and each function returns after one global read, so the bot pays nothing for them.

Each `Metrics` has its own `CollectorRegistry` (not prometheus_client's global one), so two
bots in one test process never share a counter, and the gauges that describe the database
(outbox depth, the last fetch) are computed by a collector at scrape time: they cannot drift
from what the database says, and cost a few indexed queries per scrape, nothing in between.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from storage import fetchlog, outbox
from storage.database import Store
from storage.fetchlog import FetchStatus

PREFIX = "arxiv_digest"
# Update handling: most commands answer in milliseconds; a /search waits on arXiv's 3 s pace
# and a /digest on translation, so the buckets reach well past a minute.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)


class Metrics:
    """The bot's counters and histogram, in a registry of their own."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.messages_sent = Counter(
            f"{PREFIX}_messages_sent", "Messages and documents Telegram confirmed.", registry=r
        )
        self.messages_failed = Counter(
            f"{PREFIX}_messages_failed",
            "Failed sends, by failure class (bot.sender.Failure); a retried send counts each "
            "failure.",
            ["failure"],
            registry=r,
        )
        self.rate_limited = Counter(
            f"{PREFIX}_telegram_429",
            "429 Too Many Requests answers from Telegram, including those retried by the rate "
            "limiter.",
            registry=r,
        )
        self.fetches = Counter(
            f"{PREFIX}_feed_requests",
            "arXiv feed requests, by outcome (the fetch log's status).",
            ["status"],
            registry=r,
        )
        self.translation_requests = Counter(
            f"{PREFIX}_translation_requests",
            "Requests sent to a translation backend.",
            ["backend"],
            registry=r,
        )
        self.translation_failures = Counter(
            f"{PREFIX}_translation_failures",
            "Failed translation requests, by backend.",
            ["backend"],
            registry=r,
        )
        self.translation_cache_hits = Counter(
            f"{PREFIX}_translation_cache_hits",
            "Texts answered from the translation cache, without a request.",
            registry=r,
        )
        self.update_seconds = Histogram(
            f"{PREFIX}_update_handling_seconds",
            "From an update reaching the bot's processor to its handlers finishing, waiting "
            "for the chat's earlier updates included.",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )

    def watch_store(self, store: Store, clock: Callable[[], datetime] | None = None) -> None:
        """Also report what `store` says at each scrape (outbox depth, the last fetch)."""
        self.registry.register(StoreCollector(store, clock or (lambda: datetime.now(UTC))))

    def exposition(self) -> bytes:
        """Everything in the registry, in Prometheus's text format."""
        return generate_latest(self.registry)


class StoreCollector(Collector):
    """Gauges read from the database when scraped."""

    def __init__(self, store: Store, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clock = clock

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(
            f"{PREFIX}_outbox_depth",
            "Messages waiting in the outbox (pending, retries included).",
            value=outbox.pending_count(self.store),
        )
        last = fetchlog.last_fetch(self.store)
        status = GaugeMetricFamily(
            f"{PREFIX}_last_fetch_status",
            "1 for the status of the latest feed request, 0 for the others.",
            labels=["status"],
        )
        for value in FetchStatus:
            status.add_metric([value.value], 1.0 if last and last.status is value else 0.0)
        yield status
        if last is not None:
            finished = datetime.fromisoformat(last.finished_at)
            yield GaugeMetricFamily(
                f"{PREFIX}_last_fetch_age_seconds",
                "Seconds since the latest feed request finished.",
                value=max((self.clock() - finished).total_seconds(), 0.0),
            )


# The active metrics, or None while METRICS_PORT is unset (every function below is a no-op).
_active: Metrics | None = None


def activate(metrics: Metrics | None) -> None:
    """Count into `metrics` from now on (None: stop counting)."""
    global _active
    _active = metrics


def active() -> Metrics | None:
    """The metrics being counted into, if any."""
    return _active


def sent() -> None:
    """Telegram confirmed a message (or a document)."""
    if _active is not None:
        _active.messages_sent.inc()


def send_failed(failure: str) -> None:
    """A send failed; `failure` is its bot.sender.Failure class."""
    if _active is not None:
        _active.messages_failed.labels(failure).inc()


def rate_limited() -> None:
    """Telegram answered 429."""
    if _active is not None:
        _active.rate_limited.inc()


def feed_request(status: str) -> None:
    """A feed request ended with this fetch-log status."""
    if _active is not None:
        _active.fetches.labels(status).inc()


def translation_request(backend: str) -> None:
    """A request went to a translation backend."""
    if _active is not None:
        _active.translation_requests.labels(backend).inc()


def translation_failed(backend: str) -> None:
    """A translation request failed (error, timeout, an answer that is not a translation)."""
    if _active is not None:
        _active.translation_failures.labels(backend).inc()


def cache_hits(count: int) -> None:
    """`count` texts came from the translation cache."""
    if _active is not None and count:
        _active.translation_cache_hits.inc(count)


def update_handled(seconds: float) -> None:
    """An update took `seconds` from arrival to its handlers' end."""
    if _active is not None:
        _active.update_seconds.observe(seconds)

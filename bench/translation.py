"""Translation cost: requests per shown paper with batching, concurrency vs serial, and the
chain's fallback when Google fails.

Runs the real TranslationService against the loopback fake translator with a per-request
latency (200 ms by default, like a remote service), on the abstracts of the fixture feed.

- `translation_fallback_seconds`: TRANSLATOR=google,libre with Google answering HTTP 500 to
  every request: from the push's start (`queue_due_digests`) until a 20-paper digest is queued,
  translated by Libre (Google's breaker opening after at most 3 failures in a row).
- `translator_requests_cached_paper`: requests, on every backend of the chain, for papers
  already translated (a second process sharing the database): 0.
- `llm_requests_per_shown_paper`: TRANSLATOR=llm,google, the fake LLM answering well: chat
  completions per paper shown (one per batch of papers; target <= 0.2);
- `llm_tokens_per_paper`: the tokens (prompt + completion) the fake reported per paper, which
  it counts as one per 4 characters, about what English and Chinese cost on real models.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from bench.push import DAY, NOW
from bench.report import figure
from bot.config import Settings
from bot.models import Paper, SubscriptionKind
from bot.push import queue_due_digests
from bot.sources.fetch import load_feed_file
from bot.translate import MemoryTranslationCache, TranslationService
from storage import chats, outbox, papers
from storage.database import Store, open_store
from storage.translations import SqliteTranslationCache
from tests.fakes.translate_server import FakeTranslateServer

FEED = Path(__file__).parent.parent / "tests" / "fixtures" / "rss-current-stat.xml"


async def _translate(server: FakeTranslateServer, papers: list, workers: int) -> float:
    settings = Settings(translator="google", google_translate_url=server.google_url)
    service = TranslationService(settings, MemoryTranslationCache(), max_workers=workers)
    started = time.perf_counter()
    await service.paper_texts(papers, "zh-CN")
    elapsed = time.perf_counter() - started
    service.close()
    return elapsed


def _chain(server: FakeTranslateServer, store: Store) -> TranslationService:
    settings = Settings(
        translator="google,libre",
        google_translate_url=server.google_url,
        libretranslate_url=server.libre_url,
    )
    return TranslationService(settings, SqliteTranslationCache(store))


def _fallback(shown: list[Paper]) -> list[str]:
    """The chain's two figures: Google down during a push, then papers already translated."""
    with tempfile.TemporaryDirectory() as directory, FakeTranslateServer() as server:
        store = open_store(Path(directory) / "bot.sqlite3")
        listings = [(p.primary_category or "stat.ML", p.arxiv_id, p.announce_type) for p in shown]
        papers.save_announcement(store, DAY, shown, listings)
        chats.ensure_chat(store, 1, language="zh-CN", timezone="UTC", delivery_time="08:00")
        # Following every category of the papers: the digest holds all of them.
        followed = sorted({category for category, _id, _type in listings})
        chats.add_subscriptions(
            store, 1, [chats.Subscription(SubscriptionKind.CATEGORY, code) for code in followed]
        )
        chats.update_chat(
            store, 1, max_papers=len(shown), include_cross=True, include_replacements=True
        )
        server.latency = 0.2
        server.modes = {"google": "error"}
        service = _chain(server, store)
        started = time.perf_counter()
        queued = asyncio.run(queue_due_digests(store, service, NOW))
        seconds = time.perf_counter() - started
        google_requests = server.count("google")
        translated = service.translated_by_backend["libre"]
        service.close()
        if queued != 1 or outbox.pending_count(store) <= len(shown) or not translated:
            raise RuntimeError(f"the digest was not queued translated ({queued} chats queued)")
        # A second process on the same database, Google working again: nothing is asked.
        server.reset()
        again = _chain(server, store)
        texts = asyncio.run(again.paper_texts(shown, "zh-CN"))
        again.close()
        store.close()
        if not all(text.translated for text in texts.values()):
            raise RuntimeError("papers translated once came back untranslated")
        repeat = server.count()
    return [
        figure(
            "translation_fallback_seconds",
            seconds,
            " s",
            f"< 30 s, breaker open after <= 3 failures; {google_requests} Google requests",
            seconds < 30,
        ),
        figure("translator_requests_cached_paper", repeat, "", "0 on every backend", repeat == 0),
    ]


def _llm(shown: list[Paper]) -> list[str]:
    """The llm backend's cost: requests and tokens per paper shown."""
    with FakeTranslateServer() as server:
        settings = Settings(
            translator="llm,google",
            google_translate_url=server.google_url,
            llm_base_url=server.llm_base_url,
            llm_model="fake-model",
        )
        service = TranslationService(settings, MemoryTranslationCache())
        texts = asyncio.run(service.paper_texts(shown, "zh-CN"))
        service.close()
        if not all(text.translated for text in texts.values()) or server.count("google"):
            raise RuntimeError("the llm backend did not translate every paper")
        requests = len(server.llm_batches) / len(shown)
        tokens = server.llm_tokens / len(shown)
    return [
        figure(
            "llm_requests_per_shown_paper",
            requests,
            "",
            "<= 0.2 (one request per batch of papers)",
            requests <= 0.2,
        ),
        figure("llm_tokens_per_paper", tokens, "", "informative: fake, 1 token per 4 chars", True),
    ]


def run(quick: bool = False) -> list[str]:
    """Measure and return the figure lines."""
    papers = list(load_feed_file(FEED).papers[: 10 if quick else 20])
    lines = []
    with FakeTranslateServer() as server:
        server.latency = 0.2
        concurrent = asyncio.run(_translate(server, papers, workers=4))
        requests = server.count()
        per_paper = requests / len(papers)
        lines.append(
            figure(
                "translator_requests_per_paper",
                per_paper,
                "",
                "<= 0.5 (naive: 3)",
                per_paper <= 0.5,
            )
        )
        server.reset()
        server.latency = 0.2
        serial = asyncio.run(_translate(server, papers, workers=1))
        speedup = serial / concurrent
        lines.append(figure("translation_concurrency_speedup", speedup, "x", ">= 2x", speedup >= 2))
        # The second chat that gets the same papers costs nothing.
        settings = Settings(translator="google", google_translate_url=server.google_url)
        cache = MemoryTranslationCache()
        service = TranslationService(settings, cache)
        asyncio.run(service.paper_texts(papers, "zh-CN"))
        before = server.count()
        asyncio.run(service.paper_texts(papers, "zh-CN"))
        repeat = server.count() - before
        service.close()
        lines.append(figure("translator_requests_second_chat", repeat, "", "0", repeat == 0))
    lines += _fallback(list(load_feed_file(FEED).papers[:20]))
    lines += _llm(list(load_feed_file(FEED).papers[:20]))
    return lines

"""Translation cost: requests per shown paper with batching, and concurrency vs serial.

Runs the real TranslationService against the loopback fake translator with a per-request
latency (200 ms by default, like a remote service), on the abstracts of the fixture feed.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from bench.report import figure
from bot.config import Settings
from bot.sources.fetch import load_feed_file
from bot.translate import MemoryTranslationCache, TranslationService
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
    return lines

"""Shared fixtures: a running bot against the fake Bot API, with its own database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings

from bot.config import Settings
from bot.sender import Sender, SendLimits
from bot.sources.search import ArxivSearch
from storage.database import Store, open_store
from tests.fakes.bot_api import FakeBotApi
from tests.fakes.feed_server import FeedServer

# Hypothesis's default deadline (200 ms an example) is a wall-clock bound: on a machine with
# both cores busy it fails tests that are right. Slowness is measured in `make bench` instead.
hypothesis_settings.register_profile("no-deadline", deadline=None)
hypothesis_settings.load_profile("no-deadline")


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    with FakeBotApi() as running:
        yield running


@dataclass
class RunningBot:
    """The bot under test: its fake Telegram, its settings and its database."""

    api: FakeBotApi
    settings: Settings
    store: Store
    feeds: FeedServer
    application: Any = None

    def job_context(self) -> Any:
        """What the job queue hands a job callback: the application's typed context."""
        from bot.services import BotContext

        return BotContext(self.application)


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    from tests.test_search import respond

    with FeedServer() as running:
        running.responder = respond
        yield running


@pytest.fixture
async def running_bot(
    api: FakeBotApi, feeds: FeedServer, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[RunningBot]:
    """The real Application, polling the fake Bot API, as `python -m bot` runs it.

    Tests marked `drain_by_hand` drain the outbox themselves (to read each drain's report), so
    the background sender is not started for them: two drains at once could send a message
    twice."""
    from bot.app import build_application

    settings = Settings(
        telegram_bot_token=api.token,
        telegram_base_url=api.base_url,
        arxiv_rss_url=feeds.base_url,
        arxiv_api_url=feeds.url("/api/query"),
        database_path=tmp_path / "bot.sqlite3",
        translator="none",
        admin_ids=frozenset({999}),
    )
    store = open_store(settings.database_path)
    application = build_application(settings, store)
    # Telegram's pace, twenty times faster: conversations stay quick, and replies are still
    # paced per chat by the one sender, as in production.
    services = application.bot_data["services"]
    services.sender = Sender(application.bot, store, SendLimits().scaled(0.05))
    # arXiv's 3 s spacing is measured in test_search; here it would only slow conversations.
    application.bot_data["services"].search = ArxivSearch(settings.arxiv_api_url, min_interval=0.05)
    # A press trains the chat's model this long after the burst (2 s in production).
    services.ranking.debounce = 0.05
    await application.initialize()
    if application.post_init:
        await application.post_init(application)
    # Scheduled pushes would interleave with the conversations under test; the delivery
    # tests queue digests themselves. The sender runs, as in production: /digest, alerts and
    # broadcasts go out through it.
    assert application.job_queue is not None
    for job in application.job_queue.jobs():
        job.schedule_removal()
    await application.start()
    sender = application.bot_data["services"].sender
    if request.node.get_closest_marker("drain_by_hand") is None:
        sender.start()
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0, timeout=1)
    try:
        yield RunningBot(api, settings, store, feeds, application)
    finally:
        await application.updater.stop()
        await sender.stop()
        await application.stop()
        await application.shutdown()

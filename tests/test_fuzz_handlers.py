"""Arbitrary input to every command through the real library: a reply every time, no handler
ever fails, and nothing stored is malformed.

The bot runs in a background thread on its own event loop (as `python -m bot` runs it, minus
signal handling), so hypothesis drives it synchronously through the fake Bot API.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import time
from collections.abc import Iterator
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.app import COMMANDS, build_application
from bot.config import Settings
from bot.flood import FloodGuard
from bot.sources.search import ArxivSearch
from bot.sources.taxonomy import get_taxonomy
from bot.subscriptions import MAX_VALUE_LENGTH
from storage import chats, searches
from storage.database import Store, open_store
from tests.fakes.bot_api import FakeBotApi
from tests.fakes.feed_server import FeedServer

NAMES = [name for name, _, _ in COMMANDS] + ["keywords", "stats", "broadcast", "nosuch", "x"]
NASTY = [
    "\u202eevil\u202c",  # right-to-left override
    "\u200f\u200e",
    "🧪🔬 量子",
    "<b>bold</b> <script>alert(1)</script> &amp; &",
    "'; DROP TABLE chats; --",
    '" OR 1=1 --',
    "cs.CV cs.LG",
    '-exclude "a phrase" word',
    "\x00\x01\x7f",
    "%s %d {0} {name}",
    "A" * 4000,
]


class BotThread:
    """The Application polling the fake Bot API on its own loop in a daemon thread."""

    def __init__(self, api: FakeBotApi, feeds: FeedServer, tmp: Path) -> None:
        self.settings = Settings(
            telegram_bot_token=api.token,
            telegram_base_url=api.base_url,
            arxiv_rss_url=feeds.base_url,
            arxiv_api_url=feeds.url("/api/query"),
            database_path=tmp / "fuzz.sqlite3",
            translator="none",
            admin_ids=frozenset({999}),
        )
        self.store: Store = open_store(self.settings.database_path)
        self.loop = asyncio.new_event_loop()
        self.application = build_application(self.settings, self.store)
        services = self.application.bot_data["services"]
        services.search = ArxivSearch(self.settings.arxiv_api_url, min_interval=0.0)
        # Every example uses a fresh chat, but keep the flood limit out of the way anyway.
        services.flood = FloodGuard(limit=10**6)
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._start())
        self._ready.set()
        self.loop.run_forever()

    async def _start(self) -> None:
        application = self.application
        await application.initialize()
        await application.bot_data["services"].sender.stop()
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=1)

    async def _stop(self) -> None:
        application = self.application
        assert application.updater is not None
        await application.updater.stop()
        await application.stop()
        await application.shutdown()

    def __enter__(self) -> BotThread:
        self._thread.start()
        assert self._ready.wait(30)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)


class Failures(logging.Handler):
    """Collects 'handler failed' records from the error handler."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="module")
def fuzz_bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FakeBotApi, BotThread]]:
    from tests.test_search import respond

    tmp = tmp_path_factory.mktemp("fuzz")
    with FakeBotApi() as api, FeedServer() as feeds:
        feeds.responder = respond
        with BotThread(api, feeds, tmp) as bot:
            yield api, bot


def wait_for_reply(api: FakeBotApi, chat_id: int, before: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while len(api.sent(chat_id)) + len(api.sent(chat_id, "sendDocument")) <= before:
        assert time.monotonic() < deadline, f"no reply in chat {chat_id}: {api.calls[-3:]}"
        time.sleep(0.01)


CHAT_IDS = count(10_000)
arguments = st.one_of(
    st.just(""),
    st.sampled_from(NASTY),
    st.text(max_size=60),
    st.text(
        alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)),
        min_size=1,
        max_size=300,
    ),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    name=st.sampled_from(NAMES),
    mention=st.booleans(),
    args=arguments,
    group=st.booleans(),
)
# Named nothing to remove: the reply was empty, so nothing was sent at all.
@example(name="unsubscribe", mention=False, args='"', group=False)
def test_any_command_with_any_argument_gets_a_reply_and_breaks_nothing(
    fuzz_bot: tuple[FakeBotApi, BotThread], name: str, mention: bool, args: str, group: bool
) -> None:
    api, bot = fuzz_bot
    chat_id = next(CHAT_IDS) * (-1 if group else 1)
    if group:
        api.admins[chat_id] = {7}
    failures = Failures()
    logging.getLogger("bot.app").addHandler(failures)
    try:
        text = f"/{name}{'@digest_bot' if mention else ''} {args}".rstrip()
        before = len(api.sent(chat_id)) + len(api.sent(chat_id, "sendDocument"))
        extra: dict[str, Any] = {"chat_type": "supergroup", "user_id": 7} if group else {}
        api.push_message(chat_id, text[:4096], **extra)
        wait_for_reply(api, chat_id, before)
    finally:
        logging.getLogger("bot.app").removeHandler(failures)
    assert failures.records == [], [r.getMessage() for r in failures.records]
    for reply in api.sent(chat_id)[before:]:
        assert not set(reply["text"]) & set("\u202a\u202b\u202c\u202d\u202e"), reply["text"]
    # Whatever was stored is well formed.
    taxonomy = get_taxonomy()
    for kind, value in bot.store.db.execute(
        "SELECT kind, value FROM subscriptions WHERE chat_id = ?", [chat_id]
    ):
        assert value.strip() == value and value
        if kind == "category":
            assert taxonomy.expand([value]), value
        else:
            assert len(value) <= MAX_VALUE_LENGTH


PREFIXES = ["unsub:", "unsub:all:", "br:", "br:t:", "br:c:cs:", "br:a:", "set:", "set:z:"]
PREFIXES += ["sp:", "sd:", "sk:", "save:", "fb:", "fb:1:", "\x00", "unsub\x00", ""]
PREFIXES += ["fb:-1:", "sv:", "sv:p:", "sv:r:", "sv:r:0:", "sv:r:99999:"]
# Patterns of the registered button handlers (handlers.register): data matching one must be
# answered, whatever follows the prefix.
HANDLED = re.compile(r"^(unsub|br|set|s[pdkv]|save|fb):")
garbage = st.one_of(
    st.text(max_size=70),
    st.binary(max_size=70).map(lambda raw: raw.decode("utf-8", errors="replace")),
    st.sampled_from(["", "\x00", "\x00" * 64, ":", "::::", "-1", "99999999999999999999", "a0"]),
)


def callback_data(prefix: str, rest: str) -> str:
    """At most 64 bytes of UTF-8, as Telegram delivers it, cut on a character boundary."""
    return (prefix + rest).encode()[:64].decode(errors="ignore")


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    prefix=st.sampled_from(PREFIXES),
    with_key=st.booleans(),
    rest=garbage,
    message_id=st.integers(1, 5),
    group=st.booleans(),
)
def test_forged_or_stale_buttons_are_answered_or_ignored_never_fail(
    fuzz_bot: tuple[FakeBotApi, BotThread],
    prefix: str,
    with_key: bool,
    rest: str,
    message_id: int,
    group: bool,
) -> None:
    api, bot = fuzz_bot
    chat_id = next(CHAT_IDS) * (-1 if group else 1)
    if group:
        api.admins[chat_id] = {7}
    if with_key and prefix in ("sp:", "sd:", "sk:"):
        # A key the bot really issued, so the garbage reaches past the key lookup.
        prefix += searches.remember_query(bot.store, "au:van_rossby") + ":"
    data = callback_data(prefix, rest)
    extra: dict[str, Any] = {"chat_type": "supergroup", "user_id": 8} if group else {}
    failures = Failures()
    logging.getLogger("bot.app").addHandler(failures)
    try:
        update_id = api.push_callback(chat_id, message_id, data, **extra)
        api.push_message(chat_id, "/help", **extra)  # one chat's updates run in order
        wait_for_reply(api, chat_id, 0)
    finally:
        logging.getLogger("bot.app").removeHandler(failures)
    assert failures.records == [], [r.getMessage() for r in failures.records]
    answered = [
        p
        for p in api.sent(method="answerCallbackQuery")
        if p["callback_query_id"] == f"cb{update_id}"
    ]
    if HANDLED.match(data):
        assert len(answered) == 1, data
    # A group member who is not an administrator changed nothing.
    if group:
        assert chats.subscriptions(bot.store, chat_id) == []


def test_the_database_is_intact_after_the_fuzzing(fuzz_bot: tuple[FakeBotApi, BotThread]) -> None:
    _, bot = fuzz_bot
    assert bot.store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert bot.store.db.execute("PRAGMA foreign_key_check").fetchall() == []

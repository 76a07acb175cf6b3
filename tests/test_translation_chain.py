"""The translation chain: backends tried in order, each behind a circuit breaker; a quality
guard on every answer; one admin alert per outage of the whole chain."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.config import Backend, ConfigError, Settings, load_settings, parse_translators
from bot.translate import MemoryTranslationCache, TranslationService
from bot.translate.breaker import Breaker, State
from bot.translate.quality import Failure, judge
from tests.fakes.translate_server import FakeTranslateServer

T = "译:"


class Clock:
    """Monotonic seconds the test moves by hand."""

    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now


# -- the breaker, pure ------------------------------------------------------------------------


def test_a_breaker_opens_after_three_failures_in_a_row_and_not_before() -> None:
    clock = Clock()
    breaker = Breaker(clock=clock)
    breaker.failure("HTTP 500")
    breaker.failure("HTTP 500")
    assert breaker.state is State.CLOSED and breaker.allow()
    breaker.failure("HTTP 500")
    assert breaker.state is State.OPEN and not breaker.allow()
    assert breaker.retry_in == 600


def test_a_success_between_failures_starts_the_count_again() -> None:
    breaker = Breaker(clock=Clock())
    for _ in range(5):
        breaker.failure("x")
        breaker.failure("x")
        breaker.success()
    assert breaker.state is State.CLOSED


def test_after_the_cool_down_a_probe_goes_and_its_answer_closes_the_breaker() -> None:
    clock = Clock()
    breaker = Breaker(clock=clock, cool_down=10)
    for _ in range(3):
        breaker.failure("x")
    clock.now += 9.9
    assert not breaker.allow()
    clock.now += 0.1
    assert breaker.state is State.HALF_OPEN and breaker.allow()
    breaker.success()
    assert breaker.state is State.CLOSED and breaker.failures_in_a_row == 0


def test_a_failed_probe_doubles_the_cool_down_up_to_the_cap() -> None:
    clock = Clock()
    breaker = Breaker(clock=clock, cool_down=10, max_cool_down=35)
    for _ in range(3):
        breaker.failure("x")
    waits = []
    for _ in range(4):
        waits.append(breaker.retry_in)
        clock.now += breaker.retry_in
        assert breaker.allow()
        breaker.failure("still down")
    assert waits == [10, 20, 35, 35]
    assert breaker.state is State.OPEN and breaker.last_error == "still down"


def test_a_fatal_failure_opens_at_once() -> None:
    breaker = Breaker(clock=Clock())
    breaker.failure("AuthorizationException", fatal=True)
    assert breaker.state is State.OPEN


@given(st.lists(st.booleans(), max_size=40))
def test_the_breaker_is_open_exactly_when_the_last_three_outcomes_failed(
    outcomes: list[bool],
) -> None:
    # Time stands still: once open, it stays open (no probe), whatever arrives after.
    breaker = Breaker(clock=Clock())
    opened = False
    run = 0
    for ok in outcomes:
        if opened:
            assert not breaker.allow()
            continue
        if ok:
            breaker.success()
            run = 0
        else:
            breaker.failure("x")
            run += 1
        opened = run >= 3
        assert (breaker.state is State.OPEN) == opened


# -- TRANSLATOR ---------------------------------------------------------------------------------


def test_translator_takes_a_chain_in_any_order() -> None:
    assert parse_translators("google,libre") == (Backend.GOOGLE, Backend.LIBRE)
    assert parse_translators(" Libre , mymemory,deepl ,google") == (
        Backend.LIBRE,
        Backend.MYMEMORY,
        Backend.DEEPL,
        Backend.GOOGLE,
    )
    assert load_settings({"TRANSLATOR": "google, libre"}, dotenv=None).translator == "google,libre"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("google,bing", "'bing' is not one of"),
        ("google,,libre", "empty name"),
        ("google,google", "appears twice"),
        ("none,google", "'none' means no translation"),
        ("llm", "'llm' needs LLM_BASE_URL and LLM_MODEL"),
        ("google,llm", "'llm' needs LLM_BASE_URL and LLM_MODEL"),
    ],
)
def test_a_bad_chain_is_one_line_naming_the_problem(raw: str, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_settings({"TRANSLATOR": raw}, dotenv=None)
    assert message in str(error.value) and "\n" not in str(error.value)
    assert str(error.value).startswith("TRANSLATOR: ")


# -- the quality guard, pure -------------------------------------------------------------------

SOURCE = "We propose a conformal method for online model aggregation."


@pytest.mark.parametrize(
    ("translation", "language", "failure"),
    [
        ("", "zh-CN", Failure.EMPTY),
        ("   ", "de", Failure.EMPTY),
        (SOURCE, "zh-CN", Failure.UNCHANGED),
        ("  " + SOURCE.replace(" ", "  "), "de", Failure.UNCHANGED),
        ("Wir schlagen eine konforme Methode vor.", "zh-CN", Failure.WRONG_SCRIPT),
        ("我们提出一种方法。", "ja", None),  # kanji count for Japanese
        ("我们提出一种方法。", "ko", Failure.WRONG_SCRIPT),
        ("우리는 방법을 제안한다.", "ko", None),
        ("We propose a method.", "ru", Failure.WRONG_SCRIPT),
        ("Мы предлагаем метод.", "ru", None),
        ("方法", "zh-CN", Failure.TOO_SHORT),
        ("方" * 1000, "zh-CN", Failure.TOO_LONG),
        ("我们提出一种用于在线模型聚合的保形方法。", "zh-CN", None),
        ("Wir schlagen eine konforme Methode zur Online-Modellaggregation vor.", "de", None),
        (SOURCE, "en", None),
    ],
)
def test_the_quality_guard(translation: str, language: str, failure: Failure | None) -> None:
    assert judge(SOURCE, translation, language) is failure


def test_short_sources_may_come_back_unchanged() -> None:
    # An acronym, a name, a formula: the same in every language.
    assert judge("BERT", "BERT", "zh-CN") is None
    assert judge("[M0]-means", "[M0]-means", "ru") is None


@given(st.text(max_size=200), st.text(max_size=200), st.sampled_from(["zh-CN", "ja", "de", "ru"]))
def test_the_guard_never_raises(source: str, translation: str, language: str) -> None:
    assert judge(source, translation, language) in (None, *Failure)


# -- the chain, through the real clients and the loopback fakes ---------------------------------


async def no_sleep(_delay: float) -> None:
    """Backoff waits pass at once: the tests count requests, not seconds."""


@pytest.fixture
def server() -> Iterator[FakeTranslateServer]:
    with FakeTranslateServer() as running:
        yield running


@pytest.fixture
def make_chain(server: FakeTranslateServer) -> Iterator[Any]:
    made: list[TranslationService] = []

    def make(
        translator: str = "google,libre", cache: MemoryTranslationCache | None = None, **kwargs: Any
    ) -> TranslationService:
        settings = Settings(
            translator=translator,
            google_translate_url=server.google_url,
            libretranslate_url=server.libre_url,
            deepl_api_key="test-key:fx",
            deepl_url=server.deepl_url,
        )
        kwargs.setdefault("sleep", no_sleep)
        kwargs.setdefault("base_urls", {"mymemory": server.mymemory_url})
        service = TranslationService(settings, cache or MemoryTranslationCache(), **kwargs)
        made.append(service)
        return service

    yield make
    for service in made:
        service.close()


def papers(count: int) -> list[Any]:
    from tests.test_translate import fixture_papers

    return fixture_papers(count)


def backends_in(cache: MemoryTranslationCache) -> set[str]:
    return {backend for _translation, backend in cache.entries.values()}


async def test_google_failing_every_request_the_digest_is_translated_by_libre(
    server: FakeTranslateServer, make_chain: Any
) -> None:
    server.modes = {"google": "error"}
    cache = MemoryTranslationCache()
    service = make_chain(cache=cache, max_workers=1)
    shown = papers(20)
    texts = await service.paper_texts(shown, "zh-CN")
    assert all(texts[p.arxiv_id].translated for p in shown)
    assert all(texts[p.arxiv_id].title.startswith(T) for p in shown)
    # One packed request (its failure may be the size, so it is not counted), then three
    # failures in a row open Google's breaker; everything else went to Libre.
    assert server.count("google") <= 1 + 3
    [google, libre] = service.chain_status()
    assert google.state is State.OPEN and google.last_error == "RequestError"
    assert libre.state is State.CLOSED
    assert backends_in(cache) == {"libre"}
    assert service.outage is None  # Libre translated: the chain is not down
    # While the breaker is open, Google is not asked at all.
    before = server.count("google")
    await service.translate(["A new text about conformal prediction."], "zh-CN")
    assert server.count("google") == before


async def test_google_is_probed_after_the_cool_down_and_used_again_when_it_answers(
    server: FakeTranslateServer, make_chain: Any
) -> None:
    clock = Clock()
    server.modes = {"google": "error"}
    cache = MemoryTranslationCache()
    service = make_chain(cache=cache, clock=clock, max_workers=1)
    await service.translate(["One text to translate, long enough."], "zh-CN")
    assert service.chain_status()[0].state is State.OPEN
    clock.now += 600  # the cool-down is over; Google still fails its probe
    before = server.count("google")
    await service.translate(["A second text to translate, as long."], "zh-CN")
    assert server.count("google") == before + 1
    [google, _libre] = service.chain_status()
    assert google.state is State.OPEN and google.retry_in == 1200  # twice as long
    clock.now += 1200
    server.modes = {}  # Google is back
    result = await service.translate(["A third text to translate, no shorter."], "zh-CN")
    assert (
        result["A third text to translate, no shorter."]
        == T + "A third text to translate, no shorter."
    )
    assert service.chain_status()[0].state is State.CLOSED
    assert cache.entries[("zh-CN", "A third text to translate, no shorter.")][1] == "google"


async def test_a_text_translated_once_is_not_requested_again_from_any_backend(
    server: FakeTranslateServer, make_chain: Any
) -> None:
    server.modes = {"google": "error"}
    cache = MemoryTranslationCache()
    shown = papers(5)
    await make_chain(cache=cache).paper_texts(shown, "zh-CN")
    server.reset()  # Google works again; a new process (fresh breakers) shares the cache
    again = await make_chain(cache=cache).paper_texts(shown, "zh-CN")
    assert all(again[p.arxiv_id].translated for p in shown)
    assert server.count() == 0


async def test_a_wrong_language_answer_falls_to_the_next_backend_and_is_not_cached(
    server: FakeTranslateServer, make_chain: Any
) -> None:
    server.modes = {"google": "wrong-language"}  # Google echoes English back
    cache = MemoryTranslationCache()
    service = make_chain(cache=cache)
    shown = papers(3)
    texts = await service.paper_texts(shown, "zh-CN")
    assert all(texts[p.arxiv_id].translated for p in shown)
    assert server.count("google") > 0 and server.count("libre") > 0
    assert backends_in(cache) == {"libre"}
    assert all(translation.startswith(T) for translation, _ in cache.entries.values())


async def test_the_first_request_of_the_day_refused_is_retried_after_retry_after(
    server: FakeTranslateServer, make_chain: Any
) -> None:
    server.first_of_day_429 = True
    waits: list[float] = []

    async def sleep(delay: float) -> None:
        waits.append(delay)

    service = make_chain("libre", sleep=sleep, backoff=0.1)
    result = await service.translate(["Hello there, a sentence to translate."], "zh-CN")
    assert (
        result["Hello there, a sentence to translate."]
        == T + "Hello there, a sentence to translate."
    )
    assert server.count("libre") == 2 and waits and waits[0] == pytest.approx(1.0, abs=0.05)
    assert service.chain_status()[0].state is State.CLOSED


async def test_deepl_in_a_chain_with_its_key_in_the_header(
    server: FakeTranslateServer, make_chain: Any
) -> None:
    server.modes = {"google": "error"}
    service = make_chain("google,deepl", max_workers=1)
    result = await service.translate(["Hello there, a sentence to translate."], "zh-CN")
    assert (
        result["Hello there, a sentence to translate."]
        == T + "Hello there, a sentence to translate."
    )
    deepl = [r for r in server.requests if r.service == "deepl"]
    assert deepl and all(r.authorization == "DeepL-Auth-Key test-key:fx" for r in deepl)
    assert not any("test-key" in r.url for r in server.requests)


async def test_the_whole_chain_down_is_an_outage_until_one_backend_translates(
    server: FakeTranslateServer, make_chain: Any
) -> None:
    clock = Clock()
    server.mode = "error"
    service = make_chain(clock=clock, max_workers=1)
    await service.translate(["A text nobody can translate now."], "zh-CN")
    assert service.outage is not None
    assert "google" in service.outage and "libre" in service.outage
    # Later runs while both breakers are open send nothing and keep the outage.
    before = server.count()
    await service.translate(["Another text nobody can translate now."], "zh-CN")
    assert server.count() == before and service.outage is not None
    server.mode = "ok"
    server.modes = {"google": "error"}
    clock.now += 600
    await service.translate(["A text Libre translates again now."], "zh-CN")
    assert service.outage is None


# -- through the running bot: the push, the admins' alerts and /status --------------------------


def chain_for(bot: Any, server: FakeTranslateServer, **kwargs: Any) -> TranslationService:
    """Put a google,libre chain on the fakes into the running bot, as `TRANSLATOR` would."""
    from storage.translations import SqliteTranslationCache

    settings = Settings(
        translator="google,libre",
        google_translate_url=server.google_url,
        libretranslate_url=server.libre_url,
    )
    service = TranslationService(
        settings, SqliteTranslationCache(bot.store), sleep=no_sleep, **kwargs
    )
    bot.application.bot_data["services"].translator = service
    return service


# The test drains the outbox itself (`push`, `tick`), so the background sender stays off.
@pytest.mark.drain_by_hand
async def test_google_down_the_push_is_translated_by_libre_and_admins_hear_nothing(
    running_bot: Any, server: FakeTranslateServer
) -> None:
    from bot.ingest import fetch_and_store
    from storage import chats
    from tests.test_bot_subscriptions import ask
    from tests.test_notes_and_alerts import (
        ADMIN,
        add_admin,
        add_chat,
        expected_now,
        feed_dated,
        push,
        texts,
        tick,
    )

    server.modes = {"google": "error"}
    service = chain_for(running_bot, server, max_workers=2)
    expected, now = expected_now()
    add_admin(running_bot)
    add_chat(running_bot, 311)
    chats.update_chat(running_bot.store, 311, language="zh-CN")
    running_bot.feeds.route("/rss/stat.ML", feed_dated(expected))
    await fetch_and_store(running_bot.settings, running_bot.store, ["stat.ML"])
    assert await push(running_bot, now) == 1
    entries = [text for text in texts(running_bot, 311) if text.startswith("<b>")]
    assert len(entries) > 1 and all(T in text and "翻译暂不可用" not in text for text in entries)
    # Each worker's first packed request (not counted: it may be the size), three failures
    # in a row, and the request the other worker had under way.
    assert server.count("libre") > 0 and server.count("google") <= 2 + 3 + 1
    await tick(running_bot)
    assert texts(running_bot, ADMIN) == []  # one backend down is not an outage
    status = (await ask(running_bot, "/status", chat_id=ADMIN))["text"]
    assert "1. google: open (RequestError" in status and "probed again in 10 min" in status
    assert "2. libre: working" in status
    assert "Translation chain" not in (await ask(running_bot, "/status", chat_id=311))["text"]
    service.close()


# The test drains the outbox itself (`push`, `tick`), so the background sender stays off.
@pytest.mark.drain_by_hand
async def test_one_alert_per_outage_of_the_whole_chain_and_one_when_it_recovers(
    running_bot: Any, server: FakeTranslateServer
) -> None:
    from datetime import UTC, timedelta

    from bot.ingest import fetch_and_store
    from storage import chats
    from tests.test_notes_and_alerts import (
        ADMIN,
        add_admin,
        add_chat,
        expected_now,
        feed_dated,
        push,
        texts,
        tick,
    )

    clock = Clock()
    server.mode = "error"
    service = chain_for(running_bot, server, max_workers=1, clock=clock)
    expected, now = expected_now()
    add_admin(running_bot)
    for chat_id in (321, 322):
        add_chat(running_bot, chat_id)
        chats.update_chat(running_bot.store, chat_id, language="zh-CN")
    later = now.astimezone(UTC) + timedelta(minutes=1)
    chats.update_chat(running_bot.store, 322, delivery_time=later.strftime("%H:%M"), paused=True)
    running_bot.feeds.route("/rss/stat.ML", feed_dated(expected))
    await fetch_and_store(running_bot.settings, running_bot.store, ["stat.ML"])
    assert await push(running_bot, now) == 1
    assert any("翻译暂不可用" in text for text in texts(running_bot, 321))
    await tick(running_bot)
    # More failing runs and ticks while the chain stays down: still the one alert.
    await service.translate(["Another text that nobody translates today."], "zh-CN")
    await tick(running_bot)
    await tick(running_bot)
    [alert] = texts(running_bot, ADMIN)
    assert alert.startswith("⚠️ Alert: translation is down") and "google" in alert
    # Libre comes back; the breakers' cool-down passes; the next digest is translated.
    server.mode = "ok"
    server.modes = {"google": "error"}
    clock.now += 600
    chats.update_chat(running_bot.store, 322, paused=False)
    assert await push(running_bot, later) == 1
    entries = [text for text in texts(running_bot, 322) if text.startswith("<b>")]
    assert entries and all(T in text for text in entries)
    await tick(running_bot)
    await tick(running_bot)
    assert texts(running_bot, ADMIN) == [alert, "✅ Recovered: translation works again."]
    service.close()


def test_deepl_in_the_chain_needs_its_key() -> None:
    with pytest.raises(ConfigError, match="'deepl' needs DEEPL_API_KEY"):
        load_settings({"TRANSLATOR": "google,deepl"}, dotenv=None)
    settings = load_settings({"TRANSLATOR": "deepl", "DEEPL_API_KEY": "k:fx"}, dotenv=None)
    assert settings.translator == "deepl"

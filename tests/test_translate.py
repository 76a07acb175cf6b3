"""Translation service: real deep-translator backends against the loopback fake server."""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import re
import socket
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import deep_translator.google
import deep_translator.mymemory
import httpx
import pytest
import requests
from deep_translator import GoogleTranslator
from deep_translator import exceptions as dt_errors
from deep_translator.constants import BASE_URLS
from hypothesis import given
from hypothesis import strategies as st

from bot.config import TRANSLATORS, Settings
from bot.models import Paper
from bot.translate import (
    BACKENDS,
    REQUEST_SIZES,
    Backend,
    MemoryTranslationCache,
    TimeoutShimError,
    TranslationService,
    UnsupportedLanguage,
    backend_language,
    install_timeouts,
    join_batch,
    mask,
    split_batch,
    split_for_requests,
    timeouts,
    unmask,
)
from bot.translate.errors import ErrorKind, classify
from bot.translate.llm import language_name
from bot.translate.quality import (
    GROWTH_FLOOR,
    MAX_GROWTH,
    MAX_SOURCE_CHARS,
    MAX_TRANSLATION_CHARS,
    implausibly_long,
)
from tests.fakes.translate_server import HUGE_ANSWER, FakeTranslateServer

FIXTURE = Path(__file__).parent / "fixtures" / "rss-current-stat.xml"
T = "译:"  # the fake server's "translation" prefix


@pytest.fixture(autouse=True)
def timeouts_installed() -> None:
    """As at the bot's start-up: deep-translator's requests carry our socket timeout."""
    install_timeouts()


@pytest.fixture
def server() -> Iterator[FakeTranslateServer]:
    with FakeTranslateServer() as fake:
        yield fake


class Sleeps:
    """An injectable sleep that records the delays instead of waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


class FakeClock:
    """A monotonic clock the test moves by hand (the breakers' cool-downs)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def make_service(server: FakeTranslateServer) -> Iterator[Any]:
    services: list[TranslationService] = []

    def make(
        translator: str = "google",
        cache: MemoryTranslationCache | None = None,
        settings: Settings | None = None,
        **kwargs: Any,
    ) -> TranslationService:
        settings = settings or Settings(
            translator=translator,
            google_translate_url=server.google_url,
            libretranslate_url=server.libre_url.rstrip("/"),  # the service adds the slash
            deepl_api_key="test-key:fx",
        )
        kwargs.setdefault("sleep", Sleeps())
        kwargs.setdefault("base_urls", {"mymemory": server.mymemory_url, "deepl": server.deepl_url})
        service = TranslationService(settings, cache or MemoryTranslationCache(), **kwargs)
        services.append(service)
        return service

    yield make
    for service in services:
        service.close()


def fixture_papers(count: int) -> list[Paper]:
    """Papers from the fixture stat feed (new announcements first)."""
    root = ET.parse(FIXTURE).getroot()
    papers = []
    for item in root.findall("./channel/item")[:count]:
        abstract = (item.findtext("description") or "").split("Abstract:", 1)[1]
        arxiv_id = (item.findtext("link") or "").rsplit("/", 1)[1]
        papers.append(
            Paper(arxiv_id, 1, item.findtext("title") or "", abstract.strip(), (), ("stat.ML",))
        )
    return papers


def as_sent(text: str) -> str:
    """What the fake's translation keeps of a text: masked and restored (accents as Unicode)."""
    masked = mask(text)
    restored = unmask(masked.text, masked.spans)
    assert restored is not None
    return restored


# -- language codes -------------------------------------------------------------------------


def test_backend_language_codes() -> None:
    assert backend_language("google", "zh-CN") == "zh-CN"
    assert backend_language("google", "zh") == "zh-CN"
    assert backend_language("google", "zh-Hans") == "zh-CN"
    assert backend_language("google", "zh-TW") == "zh-TW"
    assert backend_language("google", "he") == "iw"
    assert backend_language("mymemory", "zh-CN") == "zh-CN"
    assert backend_language("mymemory", "de") == "de-DE"
    assert backend_language("libre", "zh-CN") == "zh"
    assert backend_language("libre", "zh_cn") == "zh"
    assert backend_language("deepl", "zh-CN") == "zh"
    assert backend_language("deepl", "ja") == "ja"
    with pytest.raises(UnsupportedLanguage):
        backend_language("libre", "sw")
    with pytest.raises(UnsupportedLanguage):
        backend_language("bing", "zh-CN")


def test_a_locale_the_backend_lists_is_sent_as_it_is_and_the_table_reads_the_rest() -> None:
    # MyMemory lists Brazilian Portuguese and Hong Kong Chinese themselves: send what was asked.
    assert backend_language("mymemory", "pt-BR") == "pt-BR"
    assert backend_language("mymemory", "zh-HK") == "zh-HK"
    assert backend_language("mymemory", "de-AT") == "de-AT"
    # Elsewhere the table's row decides: zh-HK is Traditional Chinese, `zh` for Libre.
    assert backend_language("google", "zh-HK") == "zh-TW"
    assert backend_language("libre", "zh-HK") == "zh"
    assert backend_language("google", "de-AT") == "de"
    # Any spelling the table knows, not only codes.
    assert backend_language("google", "Deutsch") == "de"
    assert backend_language("deepl", "简体中文") == "zh"
    # Outside the table: Google's own list, then the backend's (a MyMemory locale).
    assert backend_language("google", "Swahili") == "sw"
    assert backend_language("mymemory", "he") == "he-IL"
    # The table says DeepL has no Korean, whatever the spelling.
    for korean in ("ko", "ko-KR", "한국어"):
        with pytest.raises(UnsupportedLanguage):
            backend_language("deepl", korean)


def test_the_llm_is_told_the_tables_name_or_googles() -> None:
    assert language_name("zh-HK") == "Traditional Chinese"  # the old copy said Simplified
    assert language_name("ja") == "Japanese"
    assert language_name("sw") == "Swahili"  # not in the table: Google names it
    assert language_name("he") == "Hebrew"  # Google's `iw`
    assert language_name("pt-BR") == "Brazilian Portuguese"


def test_the_backends_are_the_values_translator_accepts() -> None:
    assert BACKENDS == TRANSLATORS == tuple(Backend)
    assert Backend.LIBRE == "libre" and Backend("none") is Backend.NONE


async def test_google_gets_zh_cn_and_answers_are_parsed(
    server: FakeTranslateServer, make_service: Any
) -> None:
    service = make_service("google")
    result = await service.translate(["Hello world."], "zh-CN")
    assert result == {"Hello world.": T + "Hello world."}
    (request,) = server.requests
    assert (request.service, request.source, request.target) == ("google", "en", "zh-CN")


async def test_libre_gets_zh_and_its_api_key_in_the_body_never_in_the_url(
    server: FakeTranslateServer, make_service: Any
) -> None:
    server.libre_api_key = "libre-secret-42"
    settings = Settings(
        translator="libre", libretranslate_url=server.libre_url, libre_api_key="libre-secret-42"
    )
    result = await make_service(settings=settings).translate(["Hello world."], "zh-CN")
    assert result["Hello world."] == T + "Hello world."
    (request,) = server.requests
    assert (request.service, request.target, request.path) == ("libre", "zh", "/libre/translate")
    assert request.params["api_key"] == "libre-secret-42"
    assert request.url == "/libre/translate"  # no query string: nothing for an access log
    assert "libre-secret" not in request.url and "Hello" not in request.url


async def test_libre_without_a_key_sends_none(
    server: FakeTranslateServer, make_service: Any
) -> None:
    await make_service("libre").translate(["Hello world."], "zh-CN")
    (request,) = server.requests
    assert "api_key" not in request.params and request.url == "/libre/translate"


async def test_deepl_authenticates_by_header_and_reports_its_usage(
    server: FakeTranslateServer, make_service: Any
) -> None:
    service = make_service("deepl")
    result = await service.translate(["Hello world."], "zh-CN")
    assert result["Hello world."] == T + "Hello world."
    (request,) = server.requests
    assert request.authorization == "DeepL-Auth-Key test-key:fx"
    assert "test-key" not in request.url and "auth_key" not in request.params
    assert (request.source, request.target) == ("EN", "ZH")
    assert await service.deepl_usage() == "12,000 of 500,000 characters"
    assert server.usage_requests == ["DeepL-Auth-Key test-key:fx"]


async def test_a_refused_deepl_key_opens_its_breaker_at_once(
    server: FakeTranslateServer, make_service: Any
) -> None:
    server.deepl_auth_key = "another-key"
    service = make_service("deepl")
    assert (await service.translate(["Hello world."], "zh-CN"))["Hello world."] is None
    assert server.count("deepl") == 1  # 403 is fatal: no retries
    [status] = service.chain_status()
    assert status.state == "open" and "AuthorizationException" in status.last_error


async def test_mymemory_codes(server: FakeTranslateServer, make_service: Any) -> None:
    await make_service("mymemory").translate(["Hello world."], "zh-CN")
    (mymemory,) = server.requests
    assert (mymemory.source, mymemory.target) == ("en-GB", "zh-CN")


async def test_google_url_override_is_per_instance(
    server: FakeTranslateServer, make_service: Any
) -> None:
    default = BASE_URLS["GOOGLE_TRANSLATE"]
    await make_service("google").translate(["Hello world."], "zh-CN")
    assert server.count("google") == 1
    assert BASE_URLS["GOOGLE_TRANSLATE"] == default
    assert GoogleTranslator(source="en", target="zh-CN")._base_url == default


# -- no requests when nothing needs translating ---------------------------------------------


@pytest.mark.parametrize(("translator", "language"), [("none", "zh-CN"), ("google", "en-US")])
async def test_passthrough_sends_nothing(
    server: FakeTranslateServer, make_service: Any, translator: str, language: str
) -> None:
    service = make_service(translator)
    texts = ["Hello world.", "A $\\beta$ test."]
    assert await service.translate(texts, language) == {t: t for t in texts}
    papers = fixture_papers(3)
    result = await service.paper_texts(papers, language)
    assert server.count() == 0 and service.requests_sent == 0
    for paper in papers:
        text = result[paper.arxiv_id]
        assert text.title == " ".join(paper.title.split())
        assert text.summary == text.summary_original != ""
        # English needs none, and `none` wants none: the original is the text, not a failure.
        assert text.passthrough and not text.translated and not text.translation_failed


async def test_empty_and_duplicate_texts_are_not_sent(
    server: FakeTranslateServer, make_service: Any
) -> None:
    service = make_service()
    result = await service.translate(["", "  ", "Same.", "Same.", "$x$"], "zh-CN")
    assert result == {"": "", "  ": "  ", "Same.": T + "Same.", "$x$": "$x$"}
    assert server.texts() == ["Same."]


# -- cache ----------------------------------------------------------------------------------


async def test_second_run_of_the_same_papers_makes_no_requests(
    server: FakeTranslateServer, make_service: Any
) -> None:
    cache = MemoryTranslationCache()
    papers = fixture_papers(20)
    first = await make_service(cache=cache).paper_texts(papers, "zh-CN")
    sent = server.count()
    assert sent > 0 and all(text.translated for text in first.values())
    again = make_service(cache=cache)
    second = await again.paper_texts(papers, "zh-CN")
    assert server.count() == sent  # nothing new reached the server
    assert again.requests_sent == 0 and again.cache_hits == 3 * len(papers)
    assert second == first
    assert {backend for _, backend in cache.entries.values()} == {"google"}


async def test_failures_are_not_cached(server: FakeTranslateServer, make_service: Any) -> None:
    cache = MemoryTranslationCache()
    server.mode = "error"
    service = make_service(cache=cache, attempts=1)
    assert await service.translate(["Hello world."], "zh-CN") == {"Hello world.": None}
    assert cache.entries == {} and service.failures == 1
    server.mode = "ok"
    assert await service.translate(["Hello world."], "zh-CN") == {
        "Hello world.": T + "Hello world."
    }


async def test_concurrent_calls_share_requests(
    server: FakeTranslateServer, make_service: Any
) -> None:
    server.latency = 0.1
    service = make_service()
    texts = [f"Sentence number {i}." for i in range(5)]
    first, second = await asyncio.gather(
        service.translate(texts, "zh-CN"), service.translate(texts, "zh-CN")
    )
    assert first == second == {t: T + t for t in texts}
    assert server.count() == 1


# -- batching -------------------------------------------------------------------------------


async def test_short_texts_are_batched_and_mapped_back(
    server: FakeTranslateServer, make_service: Any
) -> None:
    service = make_service()
    texts = [f"Title number {i} about topic {i * 7}." for i in range(60)]
    result = await service.translate(texts, "zh-CN")
    assert result == {t: T + t for t in texts}
    assert server.count() <= 3  # instead of 60
    assert all(r.length <= REQUEST_SIZES["google"].packed for r in server.requests)
    assert service.batch_fallbacks == 0


async def test_markers_survive_the_fake_server(
    server: FakeTranslateServer, make_service: Any
) -> None:
    await make_service().translate(["One.", "Two."], "zh-CN")
    (request,) = server.requests
    assert request.text == join_batch(["One.", "Two."]) == "[[0]]\nOne.\n[[1]]\nTwo."


async def test_marker_mismatch_falls_back_to_one_by_one(
    server: FakeTranslateServer, make_service: Any
) -> None:
    server.mode = "drop-markers"
    service = make_service()
    texts = ["First text.", "Second text.", "Third text."]
    result = await service.translate(texts, "zh-CN")
    assert result == {t: T + t for t in texts}
    assert server.count() == 1 + len(texts)
    assert sorted(server.texts()[1:]) == sorted(texts)
    assert service.batch_fallbacks == 1


async def test_tolerant_markers_and_placeholders(
    server: FakeTranslateServer, make_service: Any
) -> None:
    server.mode = "fullwidth"  # 【 [1] 】 and ［ M0 ］ come back
    service = make_service()
    texts = ["First $x$ text.", "Second text."]
    result = await service.translate(texts, "zh-CN")
    assert result == {"First $x$ text.": T + "First $x$ text.", "Second text.": T + "Second text."}
    assert server.count() == 1


def test_split_batch_rules() -> None:
    assert split_batch("[[0]]\na\n[[1]]\nb", 2) == ["a", "b"]
    assert split_batch("[[0]] a [[1]] b", 2) == ["a", "b"]  # newlines may be lost
    assert split_batch("【[0]】a ［［1］］b", 2) == ["a", "b"]
    assert split_batch("[[0]]\na\n[[1]]\nb", 3) is None  # a marker missing
    assert split_batch("[[1]]\nb\n[[0]]\na", 2) is None  # out of order
    assert split_batch("x [[0]]\na\n[[1]]\nb", 2) is None  # text before the first marker
    assert split_batch("[[0]]\n\n[[1]]\nb", 2) is None  # an empty part
    assert split_batch("", 1) is None


# -- splitting ------------------------------------------------------------------------------


async def test_long_text_is_split_under_the_limit_and_reassembled_in_order(
    server: FakeTranslateServer, make_service: Any
) -> None:
    sentences = [
        f"Sentence {i:03d} says something about $x_{{{i}}}$ and more words." for i in range(110)
    ]
    text = " ".join(sentences)
    assert len(text) > 6000
    service = make_service()
    result = await service.translate([text], "zh-CN")
    translated = result[text]
    assert translated is not None
    limit = REQUEST_SIZES["google"].packed
    assert server.count() >= len(text) // limit
    assert all(r.length <= limit for r in server.requests)
    # Every sentence came back once, in order, with its math restored.
    found = [int(n) for n in re.findall(r"Sentence (\d{3})", translated)]
    assert found == list(range(110))
    assert all(f"$x_{{{i}}}$" in translated for i in range(110))
    # One translated part per piece the text was cut into, however the pieces were packed.
    assert translated.count(T) == sum(r.text.count("[[") or 1 for r in server.requests)


def test_split_for_requests_prefers_sentences_then_words() -> None:
    text = "Short one. " + "word " * 100 + "end. Tail sentence."
    chunks = split_for_requests(text.strip(), 120)
    assert all(len(c) <= 120 for c in chunks)
    assert " ".join(chunks) == " ".join(text.split())
    assert chunks[0].startswith("Short one. word")
    assert split_for_requests("x" * 250, 100) == ["x" * 100, "x" * 100, "x" * 50]


# -- masking --------------------------------------------------------------------------------


async def test_math_is_masked_and_restored_untouched(
    server: FakeTranslateServer, make_service: Any
) -> None:
    texts = [
        r"We bound $\alpha$ by $$x^2 + \frac{1}{2}$$ for all \textbf{x}.",
        r"Code at https://github.com/a/b and 50\% fewer \cite{ref1,ref2} errors.",
        r"The Poincar\'e inequality.",
    ]
    result = await make_service().translate(texts, "zh-CN")
    for text in texts[:2]:
        assert result[text] == T + text
    assert result[texts[2]] == T + "The Poincaré inequality."
    (request,) = server.requests
    assert "$" not in request.text and "\\" not in request.text and "http" not in request.text
    assert "[M0]" in request.text


def test_mask_round_trip_and_lost_placeholders() -> None:
    text = r"Let $a$ and $$b$$ and \emph{c} and \(d\) and [M0] and [[1]] stay."
    masked = mask(text)
    assert len(masked.spans) == 6
    assert "$" not in masked.text and "\\" not in masked.text
    assert unmask(masked.text, masked.spans) == text
    assert unmask(masked.text.replace("[M2]", ""), masked.spans) is None
    assert unmask(masked.text + " [M2]", masked.spans) is None  # duplicated
    assert unmask(masked.text + " [M9]", masked.spans) is None  # invented


async def test_lost_placeholder_means_failed_text(
    server: FakeTranslateServer, make_service: Any
) -> None:
    server.mode = "drop-placeholders"
    cache = MemoryTranslationCache()
    service = make_service(cache=cache)
    result = await service.translate(["Uses $\\alpha$ here.", "No math here."], "zh-CN")
    assert result == {"Uses $\\alpha$ here.": None, "No math here.": T + "No math here."}
    assert list(cache.entries) == [("zh-CN", "No math here.")]


# -- rate limits, errors, timeouts, concurrency ---------------------------------------------


# deep-translator does not read Retry-After (1 s in the fake); our LibreTranslate client does.
@pytest.mark.parametrize(
    ("translator", "waits"),
    [("google", [0.5, 1.0]), ("libre", [1.0, 1.0]), ("mymemory", [0.5, 1.0])],
)
async def test_too_many_requests_backs_off_then_succeeds(
    server: FakeTranslateServer, make_service: Any, translator: str, waits: list[float]
) -> None:
    sleeps = Sleeps()
    service = make_service(translator, sleep=sleeps, backoff=0.5)
    server.fail_next(2, status=429)
    result = await service.translate(["Hello world."], "zh-CN")
    assert result == {"Hello world.": T + "Hello world."}
    assert sleeps.delays == pytest.approx(waits, abs=0.05)
    assert service.requests_sent == server.count() == 3


async def test_backend_down_gives_up_and_papers_keep_originals(
    server: FakeTranslateServer, make_service: Any, caplog: pytest.LogCaptureFixture
) -> None:
    server.mode = "error"
    sleeps = Sleeps()
    clock = FakeClock()
    service = make_service(sleep=sleeps, attempts=3, max_workers=2, clock=clock)
    papers = fixture_papers(10)
    with caplog.at_level(logging.WARNING, logger="bot.translate"):
        texts = await service.paper_texts(papers, "zh-CN")
    for paper in papers:
        text = texts[paper.arxiv_id]
        assert text.translated is False
        assert text.title == " ".join(paper.title.split())
        assert text.abstract == " ".join(paper.abstract.split())
        assert text.summary == text.summary_original
    # Three failures in a row end the run, plus what the other worker already had under way,
    # plus the one try of a packed request each worker made first; the remaining requests are
    # never sent.
    assert server.count() <= 3 + 1 + 2
    assert len([r for r in caplog.records if "gave up" in r.getMessage()]) == 1
    # The admins' alert reads this until a later run gets translations through.
    assert service.outage is not None and "3 failures in a row" in service.outage
    # Its breaker is open: until the cool-down ends the backend is not asked at all.
    server.mode = "ok"
    before = server.count()
    assert (await service.translate(["A recovered backend."], "zh-CN"))[
        "A recovered backend."
    ] is None
    assert server.count() == before and service.outage is not None
    clock.now += 601
    assert (await service.translate(["A recovered backend."], "zh-CN"))["A recovered backend."]
    assert service.outage is None


async def test_empty_answers_leave_the_originals_marked_and_are_asked_again_later(
    server: FakeTranslateServer, make_service: Any
) -> None:
    server.mode = "empty"  # the backend answers 200 with no translation at all
    cache = MemoryTranslationCache()
    service = make_service(cache=cache)
    papers = fixture_papers(3)
    texts = await service.paper_texts(papers, "zh-CN")
    for paper in papers:
        text = texts[paper.arxiv_id]
        assert text.translated is False and text.title == " ".join(paper.title.split())
    assert cache.get_many([texts[papers[0].arxiv_id].title], "zh-CN") == {}  # nothing cached
    server.reset()
    again = await service.paper_texts(papers, "zh-CN")
    assert all(again[p.arxiv_id].translated for p in papers) and server.count() > 0


async def test_timeout_bounds_a_slow_backend(
    server: FakeTranslateServer, make_service: Any
) -> None:
    # The answer would come after a minute (the server's stop() ends the wait at teardown):
    # a result at all, and a failed one, means the wait was cut at the timeout.
    server.latency = 60
    service = make_service(timeout=0.2, attempts=1)
    result = await service.translate(["Hello world."], "zh-CN")
    assert result == {"Hello world.": None}


def test_socket_timeout_reaches_deep_translator(
    server: FakeTranslateServer, make_service: Any
) -> None:
    # The worker thread itself stops waiting (not only the event loop), so a hung backend
    # cannot pin the thread pool.
    server.latency = 60  # without the socket timeout the call would succeed a minute later
    service = make_service(timeout=0.2)
    with pytest.raises(requests.exceptions.Timeout):
        service._call_backend(Backend.GOOGLE, "zh-CN", "Hello world.")


async def test_deepl_key_never_reaches_the_log(
    make_service: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    service = make_service("deepl", base_urls={"deepl": f"http://127.0.0.1:{port}"})
    with caplog.at_level(logging.DEBUG):
        result = await service.translate(["Hello world."], "zh-CN")
    assert result == {"Hello world.": None}
    assert "gave up" in caplog.text and "ConnectionException" in caplog.text
    assert "test-key" not in caplog.text


async def test_concurrency_is_bounded_by_max_workers(
    server: FakeTranslateServer, make_service: Any
) -> None:
    server.latency = 0.05
    service = make_service(max_workers=3)
    # Each text fills a request of its own, so there are many requests to run at once.
    texts = [f"Paper {i}: " + "many words in a long abstract " * 146 for i in range(12)]
    result = await service.translate(texts, "zh-CN")
    assert all(value is not None for value in result.values())
    assert server.count() == 12
    assert 2 <= server.max_in_flight <= 3


# -- papers and LLM summaries ---------------------------------------------------------------


async def test_paper_texts_batch_titles_abstracts_and_summaries(
    server: FakeTranslateServer, make_service: Any
) -> None:
    papers = fixture_papers(20)
    service = make_service()
    texts = await service.paper_texts(papers, "zh-CN")
    # Titles, abstracts and summaries packed several papers to a request (naive: 3 a paper).
    assert server.count() <= len(papers) / 2, f"{server.count()} requests for {len(papers)} papers"
    assert max(r.length for r in server.requests) > REQUEST_SIZES["google"].text
    for paper in papers:
        text = texts[paper.arxiv_id]
        assert text.translated and text.language == "zh-CN"
        assert text.title.startswith(T)
        assert text.summary.startswith(T)
        # The abstract's own words; a cut lead-in ("To address this, we …") raises "We".
        original = text.summary_original.rstrip("…")
        abstract = " ".join(paper.abstract.split())
        assert original in abstract or original[0].lower() + original[1:] in abstract


async def test_a_service_refusing_long_requests_gets_the_known_size_from_then_on(
    server: FakeTranslateServer, make_service: Any, caplog: pytest.LogCaptureFixture
) -> None:
    server.max_length = 1800  # Google's page has refused texts near this length
    service = make_service(sleep=Sleeps(), max_workers=2)
    papers = fixture_papers(12)
    with caplog.at_level(logging.WARNING, logger="bot.translate"):
        texts = await service.paper_texts(papers, "zh-CN")
    assert all(texts[p.arxiv_id].translated for p in papers)
    refused = [r for r in server.requests if r.length > 1800]
    # One packed try per worker at most, then requests of the known size only.
    assert 1 <= len(refused) <= 2 and service.packing_fallbacks >= len(refused)
    assert len([r for r in caplog.records if "packing at most 1500" in r.getMessage()]) == 1
    assert service.outage is None
    server.reset()
    server.max_length = 1800
    await service.paper_texts(fixture_papers(20)[12:], "zh-CN")
    assert server.requests and all(r.length <= 1500 for r in server.requests)


async def test_a_rate_limited_packed_request_waits_and_is_sent_again_packed(
    server: FakeTranslateServer, make_service: Any
) -> None:
    server.fail_next(1, 429)
    sleeps = Sleeps()
    service = make_service(sleep=sleeps, max_workers=1)
    texts = await service.paper_texts(fixture_papers(3), "zh-CN")
    assert all(text.translated for text in texts.values())
    # The 429 was about the pace, not the size: one wait, then the same packed request.
    assert service.packing_fallbacks == 0 and sleeps.delays
    assert server.requests[0].text in [r.text for r in server.requests[1:]]
    assert server.requests[0].length > REQUEST_SIZES["google"].text


async def test_a_backend_that_was_down_gets_packed_requests_again_once_back(
    server: FakeTranslateServer, make_service: Any
) -> None:
    server.mode = "error"
    service = make_service(sleep=Sleeps(), attempts=2, max_workers=1)
    down = await service.paper_texts(fixture_papers(6), "zh-CN")
    assert not any(text.translated for text in down.values())
    server.reset()
    back = await service.paper_texts(fixture_papers(6), "zh-CN")
    assert all(text.translated for text in back.values())
    # The failures were the service being down, not refusing the size: packing resumes.
    assert max(r.length for r in server.requests) > REQUEST_SIZES["google"].text


async def test_llm_summary_is_used_and_cached(
    server: FakeTranslateServer, make_service: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(
        translator="google",
        google_translate_url=server.google_url,
        llm_base_url=server.llm_base_url,
        llm_api_key="sk-very-secret",
        llm_model="fake-model",
    )
    cache = MemoryTranslationCache()
    papers = fixture_papers(4)
    service = make_service(settings=settings, cache=cache)
    with caplog.at_level(logging.DEBUG):
        texts = await service.paper_texts(papers, "zh-CN")
    sent_parts = {part for sent in server.texts() for part in re.split(r"\n?\[\[\d+\]\]\n", sent)}
    for paper in papers:
        text = texts[paper.arxiv_id]
        assert text.translated
        assert text.summary == "LLM: " + paper.title
        assert text.summary_original  # the extractive English sentence, kept
        # The extractive summary was not sent on its own (it is a sentence of the abstract).
        assert mask(text.summary_original).text not in sent_parts
    assert len(server.llm_requests) == len(papers)
    request = server.llm_requests[0]
    assert request["authorization"] == "Bearer sk-very-secret"
    assert request["body"]["model"] == "fake-model"
    assert "Simplified Chinese" in request["body"]["messages"][0]["content"]
    assert "sk-very-secret" not in caplog.text
    assert {b for _, b in cache.entries.values()} == {"google", "llm:fake-model"}
    again = make_service(settings=settings, cache=cache)
    assert await again.paper_texts(papers, "zh-CN") == texts
    assert len(server.llm_requests) == len(papers) and again.llm_requests == 0


async def test_llm_failure_falls_back_to_translated_extractive_summary(
    server: FakeTranslateServer, make_service: Any, caplog: pytest.LogCaptureFixture
) -> None:
    server.llm_status = 503
    settings = Settings(
        translator="google",
        google_translate_url=server.google_url,
        llm_base_url=server.llm_base_url,
        llm_model="fake-model",
    )
    papers = fixture_papers(6)
    service = make_service(settings=settings, max_workers=1)
    with caplog.at_level(logging.WARNING, logger="bot.translate"):
        texts = await service.paper_texts(papers, "zh-CN")
    for paper in papers:
        text = texts[paper.arxiv_id]
        assert text.translated
        assert text.summary == T + as_sent(text.summary_original)
    assert len(server.llm_requests) == 1  # an unavailable endpoint is not asked again this run
    assert len([r for r in caplog.records if "LLM summaries" in r.getMessage()]) == 1


# -- implausible answers and oversized input ------------------------------------------------


async def test_an_answer_far_longer_than_its_source_is_shown_as_a_failure_and_asked_again(
    server: FakeTranslateServer, make_service: Any, caplog: pytest.LogCaptureFixture
) -> None:
    server.mode = "huge"  # 100,000 characters for any request, through real deep-translator
    cache = MemoryTranslationCache()
    service = make_service(cache=cache)
    papers = fixture_papers(3)
    with caplog.at_level(logging.WARNING, logger="bot.translate"):
        texts = await service.paper_texts(papers, "zh-CN")
    for paper in papers:
        text = texts[paper.arxiv_id]
        assert text.translated is False  # the original, marked as untranslated
        assert text.title == " ".join(paper.title.split())
        assert text.abstract == " ".join(paper.abstract.split())
        assert HUGE_ANSWER[:20] not in text.summary
    assert cache.entries == {}  # nothing cached
    assert "implausibly long" in caplog.text
    assert service.outage is None  # the backend answered: this is no outage
    asked = server.count()
    title = " ".join(papers[0].title.split())
    assert await service.translate([title], "zh-CN") == {title: None}
    assert server.count() > asked  # asked again, not answered from a cache
    server.mode = "ok"
    assert await service.translate([title], "zh-CN") == {title: T + as_sent(title)}
    assert list(cache.entries) == [("zh-CN", title)]


def test_length_guard_bounds() -> None:
    short = "GAN."
    assert not implausibly_long(short, "x" * GROWTH_FLOOR)  # short sources may grow a lot
    assert implausibly_long(short, "x" * (GROWTH_FLOOR + 1))
    source = "y" * 1000
    assert not implausibly_long(source, "x" * (MAX_GROWTH * 1000))
    assert implausibly_long(source, "x" * (MAX_GROWTH * 1000 + 1))
    huge_source = "y" * MAX_SOURCE_CHARS
    assert implausibly_long(huge_source, "x" * (MAX_TRANSLATION_CHARS + 1))  # the hard cap
    assert implausibly_long("Hello world.", HUGE_ANSWER)


@given(st.text(max_size=3000), st.integers(min_value=0, max_value=30_000))
def test_length_guard_accepts_exactly_up_to_the_limit(source: str, length: int) -> None:
    limit = min(max(MAX_GROWTH * len(source), GROWTH_FLOOR), MAX_TRANSLATION_CHARS)
    assert implausibly_long(source, "x" * length) is (length > limit)


async def test_a_source_longer_than_any_arxiv_text_is_not_sent(
    server: FakeTranslateServer, make_service: Any
) -> None:
    cache = MemoryTranslationCache()
    service = make_service(cache=cache)
    hostile = "word. " * (MAX_SOURCE_CHARS // 6 + 1)
    result = await service.translate([hostile, "Hello world."], "zh-CN")
    assert result == {hostile: None, "Hello world.": T + "Hello world."}
    assert server.texts() == ["Hello world."]
    assert list(cache.entries) == [("zh-CN", "Hello world.")]


# -- masking stays linear on hostile input --------------------------------------------------

# Each repeats a pattern that made masking scan to the end of the text once per occurrence,
# with the delimiter that closes it.
HOSTILE = {
    "inline math": ("$a$ ", "$"),
    "unclosed \\[": ("\\[ x ", "\\]"),
    "unclosed \\(": ("\\( x ", "\\)"),
    "unclosed option": ("\\a[ ", "]"),
    "unclosed brace": ("\\a{ ", "}"),
    "unclosed $$": ("$$ x ", "$$"),
}


def test_an_unclosed_delimiter_does_not_swallow_the_next_one() -> None:
    # What keeps masking linear: a span stops looking at the next opening delimiter.
    masked = mask(r"open \[ a and \[ b \] then \( c and \( d \) and \cmd[ e \cmd[f]{g}.")
    # (the unclosed ones stay protected as two-character escapes)
    assert masked.spans == ("\\[", r"\[ b \]", "\\(", r"\( d \)", r"\cmd", r"\cmd[f]{g}")
    assert unmask(masked.text, masked.spans) == (
        r"open \[ a and \[ b \] then \( c and \( d \) and \cmd[ e \cmd[f]{g}."
    )


@pytest.mark.parametrize(("unit", "closer"), list(HOSTILE.values()), ids=list(HOSTILE))
def test_masking_looks_no_further_than_the_next_opening_delimiter(unit: str, closer: str) -> None:
    # Linear without timing it (the time of a run is the machine's, not the code's): a span
    # begun at one occurrence stops at the next, so each character is looked at a bounded number
    # of times. A pattern that looked further, as the quadratic ones did (to the end of the
    # text, for every unclosed delimiter), finds the closing delimiter put at the far end and
    # masks one span as long as the text.
    text = unit * 5_000 + closer
    masked = mask(text)
    assert unmask(masked.text, masked.spans) == text
    assert max(len(span) for span in masked.spans) <= len(unit) + len(closer)
    # and every occurrence is still protected: the bound does not come from masking less
    assert len(masked.spans) >= 5_000 // 2


def test_twenty_thousand_math_spans_round_trip() -> None:
    text = "$a$ " * 20_000 + "end of a hostile abstract."
    masked = mask(text)
    assert len(masked.spans) == 20_000 and "$" not in masked.text
    assert unmask(masked.text, masked.spans) == text
    assert unmask(masked.text.replace("[M19999]", ""), masked.spans) is None


# -- the timeout shim -----------------------------------------------------------------------


@pytest.fixture
def unpatched(monkeypatch: pytest.MonkeyPatch) -> None:
    """deep-translator as freshly imported (the shim is put back after the test)."""
    for name in timeouts.PATCHED_MODULES:
        monkeypatch.setattr(importlib.import_module(name), "requests", requests)


def test_install_patches_every_backend_module_once(unpatched: None) -> None:
    assert not timeouts.installed()
    install_timeouts()
    assert timeouts.installed()
    for name in timeouts.PATCHED_MODULES:
        assert importlib.import_module(name).requests is timeouts.TIMED_REQUESTS
    install_timeouts()  # again: nothing changes, nothing fails
    assert timeouts.installed()


def test_install_fails_loudly_and_patches_nothing_when_deep_translator_changed(
    unpatched: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As if a release of deep-translator moved MyMemoryTranslator to httpx.
    monkeypatch.setattr(deep_translator.mymemory, "requests", httpx, raising=False)
    with pytest.raises(TimeoutShimError, match=r"deep_translator\.mymemory\.requests is a module"):
        install_timeouts()
    assert deep_translator.google.requests is requests  # all or nothing
    monkeypatch.delattr(deep_translator.mymemory, "requests")
    with pytest.raises(TimeoutShimError, match=r"deep_translator\.mymemory\.requests is nothing"):
        install_timeouts()


def test_install_names_a_backend_module_that_is_gone(monkeypatch: pytest.MonkeyPatch) -> None:
    modules = (*timeouts.PATCHED_MODULES, "deep_translator.gone")
    monkeypatch.setattr(timeouts, "PATCHED_MODULES", modules)
    with pytest.raises(TimeoutShimError, match=r"deep_translator\.gone cannot be imported"):
        install_timeouts()


def test_the_bot_installs_the_shim_at_start_up_and_refuses_to_start_without_it(
    unpatched: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from bot.app import build_application
    from storage.database import open_store

    settings = Settings(telegram_bot_token="123:TEST", database_path=tmp_path / "bot.sqlite3")
    build_application(settings, open_store(settings.database_path))
    assert timeouts.installed()
    monkeypatch.setattr(deep_translator.mymemory, "requests", httpx)
    with pytest.raises(TimeoutShimError, match=r"deep_translator\.mymemory"):
        build_application(settings, open_store(settings.database_path))


def test_the_digest_command_refuses_to_translate_without_the_shim(tmp_path: Path) -> None:
    # In a process of its own, as a person runs it, with deep-translator's layout changed.
    script = (
        "import sys, httpx, deep_translator.mymemory as m; m.requests = httpx\n"
        "from bot.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    args = ["digest", "--feed", str(FIXTURE), "--category", "stat.ML", "--translator", "google"]
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TELEGRAM_", "TRANSLAT", "GOOGLE_", "DATABASE_", "LLM_"))
    }
    env.update(
        PYTHONPATH=str(Path(__file__).parent.parent),
        DATABASE_PATH=str(tmp_path / "bot.sqlite3"),
        GOOGLE_TRANSLATE_URL="http://127.0.0.1:9/m",  # never reached
    )
    result = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "TimeoutShimError" in result.stderr and "deep_translator.mymemory" in result.stderr
    assert result.stdout == ""  # no digest printed with unbounded requests


def test_only_requests_inside_bounded_get_the_timeout(server: FakeTranslateServer) -> None:
    server.latency = 0.3
    translator = GoogleTranslator(source="en", target="zh-CN")
    translator._base_url = server.google_url
    # Outside bounded(): other users of deep-translator are not affected.
    assert translator.translate("Hello world.") == T + "Hello world."
    server.latency = 60  # the server's stop() ends the wait at teardown
    with timeouts.bounded(0.1), pytest.raises(requests.exceptions.Timeout):
        translator.translate("Hello world.")


# -- error kinds ----------------------------------------------------------------------------


def test_backend_errors_are_sorted_into_kinds() -> None:
    assert classify(dt_errors.TooManyRequests()) is ErrorKind.RETRY
    assert classify(dt_errors.ServerException(429)) is ErrorKind.RETRY
    assert classify(dt_errors.ServerException(503)) is ErrorKind.RETRY
    assert classify(dt_errors.ServerException(401)) is ErrorKind.FATAL  # bad key
    assert classify(dt_errors.ServerException(413)) is ErrorKind.PERMANENT  # this text only
    assert classify(requests.exceptions.ConnectionError()) is ErrorKind.RETRY
    assert classify(TimeoutError()) is ErrorKind.RETRY
    assert classify(dt_errors.AuthorizationException("k")) is ErrorKind.FATAL
    assert classify(UnsupportedLanguage("x")) is ErrorKind.FATAL
    assert classify(dt_errors.TranslationNotFound("x")) is ErrorKind.PERMANENT
    assert classify(KeyError("translations")) is ErrorKind.UNKNOWN


async def test_an_unexpected_error_is_logged_at_warning_with_its_type(
    server: FakeTranslateServer,
    make_service: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(self: GoogleTranslator, text: str, **kwargs: Any) -> str:
        raise KeyError("result-container")  # as if Google's page changed shape

    monkeypatch.setattr(GoogleTranslator, "translate", broken)
    service = make_service()
    with caplog.at_level(logging.WARNING, logger="bot.translate"):
        assert await service.translate(["Hello world."], "zh-CN") == {"Hello world.": None}
    assert "unexpected KeyError" in caplog.text

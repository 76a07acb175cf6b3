"""The `llm` translation backend: batches of papers in one JSON chat completion, each item
checked, bad ones asked again once and then left to the next backend; a daily token budget."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.config import ConfigError, Settings, load_settings
from bot.translate import MemoryTranslationCache, TranslationService
from bot.translate.llm_backend import (
    LLMRequestError,
    PaperSource,
    batches,
    math_spans,
    parse_answer,
)
from bot.translate.report import chain_lines
from bot.translate.service import MemoryTokenLedger
from tests.fakes.translate_server import FakeTranslateServer
from tests.test_translate import fixture_papers

T = "译:"
ABSTRACT = "We prove that $x^2 \\geq 0$ for every real $x$ and study its consequences at length."
PAPER = PaperSource("2401.00001", "A bound on squares of real numbers", ABSTRACT)


def item(paper: PaperSource, **changes: str) -> dict[str, str]:
    """A good Chinese answer item for `paper` (the fake's style: a Han marker, math echoed)."""
    good = {
        "id": paper.id,
        "title": "译:" + paper.title,
        "abstract": "译:" + paper.abstract,
        "summary": "译:本文证明了一个界。",
    }
    return good | changes


def answer(*items: dict[str, str]) -> str:
    return json.dumps({"papers": list(items)}, ensure_ascii=False)


def test_a_good_item_is_used() -> None:
    good, bad = parse_answer(answer(item(PAPER)), [PAPER], "zh-CN")
    assert bad == {}
    assert good[PAPER.id].abstract == "译:" + ABSTRACT
    assert good[PAPER.id].summary == "译:本文证明了一个界。"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"abstract": "译:We prove that for every real $x$ and study its consequences."}, "math"),
        ({"title": PAPER.title}, "unchanged"),
        (
            {"abstract": "We show that $x^2 \\geq 0$ for every real $x$, and more, at length."},
            "script",
        ),
        ({"summary": "one\ntwo"}, "lines"),
        ({"summary": "This paper proves a bound on squares."}, "script"),
    ],
)
def test_a_bad_item_is_refused_with_its_reason(changes: dict[str, str], reason: str) -> None:
    good, bad = parse_answer(answer(item(PAPER, **changes)), [PAPER], "zh-CN")
    assert good == {}
    assert reason in bad[PAPER.id]


def test_ids_must_match_one_item_per_paper() -> None:
    other = PaperSource("2401.00002", "Another title about something", ABSTRACT)
    good, bad = parse_answer(answer(item(PAPER), item(PAPER)), [PAPER, other], "zh-CN")
    assert good == {}
    assert bad == {PAPER.id: "answered twice", other.id: "missing from the answer"}


@pytest.mark.parametrize("content", ["not json", "[1, 2]", '{"items": []}', '{"papers": 3}'])
def test_an_answer_not_in_the_shape_asked_fails_the_whole_batch(content: str) -> None:
    with pytest.raises(LLMRequestError):
        parse_answer(content, [PAPER], "zh-CN")


def test_a_fenced_answer_with_thinking_is_read() -> None:
    content = "<think>hmm</think>```json\n" + answer(item(PAPER)) + "\n```"
    good, _ = parse_answer(content, [PAPER], "zh-CN")
    assert PAPER.id in good


@given(st.text(max_size=300))
def test_any_answer_is_parsed_or_refused_without_crashing(content: str) -> None:
    with contextlib.suppress(LLMRequestError):
        parse_answer(content, [PAPER], "zh-CN")


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=10,
)
_ITEM = st.fixed_dictionaries(
    {},
    optional={
        "id": st.sampled_from([PAPER.id, "other"]) | _JSON,
        "title": _JSON,
        "abstract": _JSON,
        "summary": _JSON,
    },
)


@given(st.lists(_ITEM | _JSON, max_size=4))
def test_any_items_are_sorted_into_good_and_bad_without_crashing(items: list[Any]) -> None:
    good, bad = parse_answer(json.dumps({"papers": items}), [PAPER], "zh-CN")
    assert set(good) | set(bad) == {PAPER.id} and not set(good) & set(bad)


@given(st.lists(st.integers(min_value=1, max_value=5000), max_size=40))
def test_batches_keep_order_and_bounds(sizes: list[int]) -> None:
    papers = [PaperSource(str(i), "t" * size, "") for i, size in enumerate(sizes)]
    groups = batches(papers, max_papers=8, max_chars=6000)
    assert [p for group in groups for p in group] == papers
    for group in groups:
        assert len(group) <= 8
        assert len(group) == 1 or sum(p.size for p in group) <= 6000


def test_llm_daily_tokens_is_a_positive_number_or_unset() -> None:
    llm = {"TRANSLATOR": "google,llm", "LLM_BASE_URL": "http://x/v1", "LLM_MODEL": "m"}
    assert load_settings(llm, dotenv=None).llm_daily_tokens is None
    assert load_settings(llm | {"LLM_DAILY_TOKENS": "50000"}, dotenv=None).llm_daily_tokens == 50000
    for raw in ("0", "-5", "lots"):
        with pytest.raises(ConfigError, match="LLM_DAILY_TOKENS"):
            load_settings(llm | {"LLM_DAILY_TOKENS": raw}, dotenv=None)


# -- through the real HTTP client against the fake ----------------------------------------------


async def no_sleep(_delay: float) -> None:
    """Waits pass at once: the tests count requests, not seconds."""


class Today:
    """The UTC date the test moves by hand."""

    def __init__(self) -> None:
        self.day = date(2026, 12, 1)

    def __call__(self) -> date:
        return self.day


@pytest.fixture
def server() -> Iterator[FakeTranslateServer]:
    with FakeTranslateServer() as running:
        yield running


@pytest.fixture
def make_chain(server: FakeTranslateServer) -> Iterator[Any]:
    made: list[TranslationService] = []

    def make(
        translator: str = "llm,google",
        cache: MemoryTranslationCache | None = None,
        daily_tokens: int | None = None,
        **kwargs: Any,
    ) -> TranslationService:
        settings = Settings(
            translator=translator,
            google_translate_url=server.google_url,
            llm_base_url=server.llm_base_url,
            llm_api_key="sk-test",
            llm_model="fake-model",
            llm_daily_tokens=daily_tokens,
        )
        kwargs.setdefault("sleep", no_sleep)
        service = TranslationService(settings, cache or MemoryTranslationCache(), **kwargs)
        made.append(service)
        return service

    yield make
    for service in made:
        service.close()


def google_texts(server: FakeTranslateServer) -> str:
    """Everything Google was asked to translate, in one string."""
    return "\n".join(server.texts())


async def test_llm_translates_a_batch_of_papers_in_one_request_with_its_summaries(
    server: FakeTranslateServer, make_chain: Any
) -> None:
    shown = fixture_papers(8)
    cache = MemoryTranslationCache()
    service = make_chain(cache=cache)
    texts = await service.paper_texts(shown, "zh-CN")
    assert len(server.llm_batches) == 1 and sorted(server.llm_batches[0]) == sorted(
        p.arxiv_id for p in shown
    )
    assert server.count("google") == 0
    for paper in shown:
        text = texts[paper.arxiv_id]
        assert text.translated and text.title.startswith(T) and text.abstract.startswith(T)
        assert text.summary.startswith(T + "摘要")  # the LLM's, not the extractive one
    request = server.llm_requests[0]
    assert request["authorization"] == "Bearer sk-test"
    assert request["body"]["response_format"] == {"type": "json_object"}
    assert service.token_ledger.used(service._today()) == server.llm_tokens > 0
    # A paper already translated is not requested again, from any backend.
    server.reset()
    again = await make_chain(cache=cache).paper_texts(shown, "zh-CN")
    assert server.llm_batches == [] and server.count() == 0
    assert all(again[p.arxiv_id].summary.startswith(T + "摘要") for p in shown)


async def test_math_in_the_source_survives_or_the_paper_is_refused(
    server: FakeTranslateServer, make_chain: Any
) -> None:
    shown = [p for p in fixture_papers(40) if "$" in p.abstract][:2]
    assert shown, "the fixture feed has abstracts with math"
    texts = await make_chain().paper_texts(shown, "zh-CN")
    for paper in shown:
        for span in math_spans(paper.abstract):
            assert span in texts[paper.arxiv_id].abstract


@pytest.mark.parametrize("mode", ["malformed", "wrong-count", "wrong-language", "429", "timeout"])
async def test_each_failure_is_asked_again_once_then_google_gets_exactly_those_papers(
    server: FakeTranslateServer, make_chain: Any, mode: str
) -> None:
    shown = fixture_papers(3)
    server.llm_mode = mode
    waits: list[float] = []

    async def sleep(delay: float) -> None:
        waits.append(delay)

    service = make_chain(sleep=sleep, llm_timeout=0.5)
    texts = await service.paper_texts(shown, "zh-CN")
    ids = sorted(p.arxiv_id for p in shown)
    # "wrong-count" leaves out the last paper: only that one is asked again.
    failed = [shown[-1].arxiv_id] if mode == "wrong-count" else ids
    assert [sorted(batch) for batch in server.llm_batches] == [ids, sorted(failed)]
    asked = google_texts(server)
    for paper in shown:
        assert (paper.abstract[:40] in asked) == (paper.arxiv_id in failed)
        assert texts[paper.arxiv_id].translated and texts[paper.arxiv_id].title.startswith(T)
    if mode == "429":
        assert waits == [1.0]  # Retry-After


async def test_a_bad_item_is_asked_again_alone_and_a_good_second_answer_is_used(
    server: FakeTranslateServer, make_chain: Any
) -> None:
    shown = fixture_papers(4)
    server.llm_next = ["wrong-count"]  # the first answer leaves out the last paper
    texts = await make_chain().paper_texts(shown, "zh-CN")
    assert [len(batch) for batch in server.llm_batches] == [4, 1]
    assert server.llm_batches[1] == [shown[-1].arxiv_id]
    assert server.count("google") == 0
    assert all(texts[p.arxiv_id].summary.startswith(T + "摘要") for p in shown)


async def test_llm_after_google_gets_only_what_google_failed(
    server: FakeTranslateServer, make_chain: Any
) -> None:
    server.modes = {"google": "error"}
    shown = fixture_papers(3)
    service = make_chain(translator="google,llm")
    texts = await service.paper_texts(shown, "zh-CN")
    assert all(texts[p.arxiv_id].translated for p in shown)
    assert sorted(id for batch in server.llm_batches for id in batch) == sorted(
        p.arxiv_id for p in shown
    )
    # With Google working (a new process: fresh breakers), no LLM request, and the papers
    # keep their translated extractive summary.
    server.reset()
    more = fixture_papers(5)[3:]
    texts = await make_chain(translator="google,llm").paper_texts(more, "zh-CN")
    assert server.llm_batches == []
    assert all(texts[p.arxiv_id].translated for p in more)
    assert all(texts[p.arxiv_id].summary.startswith(T) for p in more)


async def test_the_daily_budget_stops_llm_for_the_day_and_it_resumes_the_next(
    server: FakeTranslateServer, make_chain: Any
) -> None:
    today = Today()
    ledger = MemoryTokenLedger()
    service = make_chain(daily_tokens=100, token_ledger=ledger, today=today)
    first = fixture_papers(2)
    await service.paper_texts(first, "zh-CN")
    assert len(server.llm_batches) == 1 and ledger.used(today.day) > 100  # spent
    assert service.llm_budget_spent()
    [llm, _google] = service.chain_status()
    assert llm.skipped_because == "daily token budget spent"
    line = "\n".join(chain_lines(service.chain_status(), None, None, service.llm_tokens_today()))
    assert f"LLM tokens today: {ledger.used(today.day)} of 100" in line
    assert "1. llm: skipped (daily token budget spent)" in line
    # The rest of the day goes to Google, without a request to the LLM.
    second = fixture_papers(4)[2:]
    texts = await service.paper_texts(second, "zh-CN")
    assert len(server.llm_batches) == 1 and server.count("google") > 0
    assert all(texts[p.arxiv_id].translated for p in second)
    # The next UTC day the budget is new.
    today.day += timedelta(days=1)
    assert not service.llm_budget_spent()
    third = fixture_papers(6)[4:]
    await service.paper_texts(third, "zh-CN")
    assert len(server.llm_batches) == 2


def test_the_token_count_is_kept_per_day_in_the_database() -> None:
    from storage.database import open_store
    from storage.llm_tokens import SqliteTokenLedger

    store = open_store(":memory:")
    ledger = SqliteTokenLedger(store)
    day = date(2026, 12, 1)
    ledger.add(day, 120)
    ledger.add(day, 30)
    assert ledger.used(day) == 150
    assert ledger.used(day + timedelta(days=1)) == 0
    assert SqliteTokenLedger(store).used(day) == 150


# -- through the running bot: a push translated by the LLM, and /status ------------------------


# The test drains the outbox itself (`push`), so the background sender stays off.
@pytest.mark.drain_by_hand
async def test_a_push_translated_by_the_llm_and_its_tokens_in_admins_status(
    running_bot: Any, server: FakeTranslateServer
) -> None:
    from bot.ingest import fetch_and_store
    from storage import chats
    from storage.llm_tokens import SqliteTokenLedger
    from storage.translations import SqliteTranslationCache
    from tests.test_bot_subscriptions import ask
    from tests.test_notes_and_alerts import (
        ADMIN,
        add_admin,
        add_chat,
        expected_now,
        feed_dated,
        push,
        texts,
    )

    settings = Settings(
        translator="llm,google",
        google_translate_url=server.google_url,
        llm_base_url=server.llm_base_url,
        llm_model="fake-model",
        llm_daily_tokens=100,
    )
    service = TranslationService(
        settings,
        SqliteTranslationCache(running_bot.store),
        sleep=no_sleep,
        token_ledger=SqliteTokenLedger(running_bot.store),
    )
    running_bot.application.bot_data["services"].translator = service
    expected, now = expected_now()
    add_admin(running_bot)
    add_chat(running_bot, 311)
    chats.update_chat(running_bot.store, 311, language="zh-CN")
    running_bot.feeds.route("/rss/stat.ML", feed_dated(expected))
    await fetch_and_store(running_bot.settings, running_bot.store, ["stat.ML"])
    assert await push(running_bot, now) == 1
    entries = [text for text in texts(running_bot, 311) if text.startswith("<b>")]
    assert entries and all(T + "摘要" in text for text in entries)  # the LLM's summaries
    assert server.llm_batches and server.count("google") == 0
    status = (await ask(running_bot, "/status", chat_id=ADMIN))["text"]
    assert f"LLM tokens today: {server.llm_tokens} of 100 (UTC day)" in status
    assert "1. llm: skipped (daily token budget spent) until 00:00 UTC" in status
    service.close()

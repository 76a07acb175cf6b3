"""The `llm` translation backend: batches of papers in one JSON chat completion, each item
checked, bad ones asked again once and then left to the next backend; a daily token budget."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.config import ConfigError, load_settings
from bot.translate.llm_backend import (
    LLMRequestError,
    PaperSource,
    batches,
    parse_answer,
)

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

"""One-line summaries: the extractive contribution sentence, and the LLM client."""

from __future__ import annotations

import socket
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.summarize import one_line_summary
from bot.text import normalize_space
from bot.translate.llm import (
    LLMSummaryError,
    LLMUnavailable,
    clean_llm_answer,
    language_name,
    llm_summary,
)
from tests.fakes.translate_server import FakeTranslateServer

FIXTURE = Path(__file__).parent / "fixtures" / "rss-stat-2024-03-26.xml"


def fixture_abstracts() -> dict[str, tuple[str, str]]:
    """arXiv id → (title, abstract) from the real stat feed."""
    root = ET.parse(FIXTURE).getroot()
    found = {}
    for item in root.findall("./channel/item"):
        arxiv_id = (item.findtext("link") or "").rsplit("/", 1)[1]
        abstract = (item.findtext("description") or "").split("Abstract:", 1)[1]
        found[arxiv_id] = (item.findtext("title") or "", abstract)
    return found


# Each abstract opens with background; the chosen sentence must be the contribution one.
@pytest.mark.parametrize(
    ("arxiv_id", "start"),
    [
        ("2403.15527", "This paper proposes a new approach towards conformal model aggregation"),
        ("2403.15670", "In this article, we tackle these two problems simultaneously"),
        ("2403.15802", "In this paper, we propose a statistical framework inspired by doubly"),
        ("2403.15862", "This paper introduces an innovative method for constructing copula"),
        ("2403.15877", "In this paper, we introduce a novel method for stability selection"),
        ("2403.15983", "To address these challenges, we propose a novel Bayesian segmented"),
        ("2403.16059", "To address this limitation, this paper proposes an approach"),
        ("2403.16590", "This paper contributes to advancing our understanding"),
    ],
)
def test_real_abstracts_give_the_contribution_sentence(arxiv_id: str, start: str) -> None:
    title, abstract = fixture_abstracts()[arxiv_id]
    summary = one_line_summary(abstract, title)
    assert summary.startswith(start)
    assert len(summary) <= 300
    assert summary.rstrip("…").strip() in normalize_space(abstract)


def test_background_sentences_lose_to_the_contribution() -> None:
    abstract = (
        "Graph neural networks are important for many applications in chemistry. "
        "Recent work has studied their expressive power in great detail and depth. "
        "However, existing methods remain expensive on large graphs with many nodes. "
        "We propose a linear-time message passing scheme that matches their accuracy. "
        "Experiments on five benchmarks confirm the speed-up of the scheme."
    )
    assert one_line_summary(abstract, "Linear-time message passing").startswith("We propose")


def test_title_overlap_breaks_ties_between_plain_sentences() -> None:
    abstract = (
        "The weather was mild during most of the recorded season this year. "
        "Sparse regression recovers the drivers of river flow from few gauges. "
        "Data came from the national archive of hydrological records."
    )
    summary = one_line_summary(abstract, "Sparse regression for river flow")
    assert summary.startswith("Sparse regression recovers")


def test_long_sentence_is_cut_at_a_word_boundary() -> None:
    sentence = "We propose " + " ".join(f"component{i}" for i in range(80)) + "."
    summary = one_line_summary(sentence)
    assert len(summary) <= 300
    assert summary.endswith("…")
    assert summary[:-1].rstrip().split(" ")[-1].startswith("component")
    assert summary[:-1].strip() in sentence


def test_empty_abstract() -> None:
    assert one_line_summary("") == ""
    assert one_line_summary("   \n ", "A title") == ""


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=2000), st.text(max_size=200))
def test_one_line_summary_never_raises_and_stays_short(abstract: str, title: str) -> None:
    summary = one_line_summary(abstract, title)
    assert len(summary) <= 300
    assert "\n" not in summary
    # A sentence of the abstract (perhaps shortened): its start is in the normalized text.
    core = summary.removesuffix("…").strip()
    assert core[:50] in normalize_space(abstract)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "We propose a method.",
                "Deep learning is important.",
                "Recent work has shown $x^2$ gains.",
                "e.g. Fig. 3 shows 0.5 accuracy.",
                "In this paper, we study \\textbf{graphs} et al. results!",
                "Short.",
                "A" * 400 + ".",
                "Why?",
            ]
        ),
        max_size=12,
    )
)
def test_one_line_summary_on_abstract_like_text(parts: list[str]) -> None:
    abstract = " ".join(parts)
    summary = one_line_summary(abstract)
    assert len(summary) <= 300
    assert summary.removesuffix("…").strip()[:50] in normalize_space(abstract)


# -- the LLM client -------------------------------------------------------------------------


@pytest.fixture
def server() -> Iterator[FakeTranslateServer]:
    with FakeTranslateServer() as fake:
        yield fake


async def test_llm_summary_asks_for_one_sentence_in_the_language(
    server: FakeTranslateServer,
) -> None:
    server.llm_reply = "  「本文提出了一种新的方法。」 "
    summary = await llm_summary(
        "We propose X.",
        "A title",
        "zh-CN",
        base_url=server.llm_base_url + "/",
        api_key="sk-secret",
        model="m",
    )
    assert summary == "本文提出了一种新的方法。"
    (request,) = server.llm_requests
    assert request["authorization"] == "Bearer sk-secret"
    messages = request["body"]["messages"]
    assert "Simplified Chinese" in messages[0]["content"]
    assert messages[1]["content"] == "Title: A title\n\nAbstract: We propose X."


async def test_llm_summary_with_a_shared_client(server: FakeTranslateServer) -> None:
    async with httpx.AsyncClient() as client:
        summary = await llm_summary(
            "Abstract.",
            "T",
            "ja",
            base_url=server.llm_base_url,
            api_key="",
            model="m",
            client=client,
        )
    assert summary == "LLM: T"
    assert server.llm_requests[0]["authorization"] == ""  # no key, no header


@pytest.mark.parametrize(
    "reply", ["", "   ", "Line one.\nLine two.", "x" * 500, "<think>hmm</think>"]
)
async def test_unusable_llm_answers_raise(server: FakeTranslateServer, reply: str) -> None:
    server.llm_reply = reply
    with pytest.raises(LLMSummaryError) as info:
        await llm_summary("A.", "T", "zh-CN", base_url=server.llm_base_url, api_key="k", model="m")
    assert not isinstance(info.value, LLMUnavailable)


async def test_llm_http_error_is_unavailable_and_hides_the_key(
    server: FakeTranslateServer,
) -> None:
    server.llm_status = 500
    with pytest.raises(LLMUnavailable) as info:
        await llm_summary(
            "A.", "T", "zh-CN", base_url=server.llm_base_url, api_key="sk-secret", model="m"
        )
    assert "500" in str(info.value) and "sk-secret" not in str(info.value)


async def test_unreachable_llm_is_unavailable() -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(LLMUnavailable):
        await llm_summary(
            "A.", "T", "zh-CN", base_url=f"http://127.0.0.1:{port}/v1", api_key="k", model="m"
        )


def test_clean_llm_answer_and_language_names() -> None:
    assert clean_llm_answer("<think>\nlong\nthoughts\n</think>\n\n“One sentence.”") == (
        "One sentence."
    )
    assert language_name("zh-CN") == "Simplified Chinese"
    assert language_name("pt_BR") == "Brazilian Portuguese"
    assert language_name("de-AT") == "German"
    assert language_name("xx") == "the language with code xx"

"""One-line summaries: the extractive contribution sentence, and the LLM client."""

from __future__ import annotations

import gzip
import json
import socket
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.summarize import one_line_summary, opens_mid_argument
from bot.text import normalize_space
from bot.translate.llm import (
    LLMSummaryError,
    LLMUnavailable,
    clean_llm_answer,
    language_name,
    llm_summary,
)
from tests.fakes.translate_server import FakeTranslateServer

FIXTURE = Path(__file__).parent / "fixtures" / "rss-current-stat.xml"


def fixture_abstracts() -> dict[str, tuple[str, str]]:
    """arXiv id → (title, abstract) from the fixture stat feed."""
    root = ET.parse(FIXTURE).getroot()
    found = {}
    for item in root.findall("./channel/item"):
        arxiv_id = (item.findtext("link") or "").rsplit("/", 1)[1]
        abstract = (item.findtext("description") or "").split("Abstract:", 1)[1]
        found[arxiv_id] = (item.findtext("title") or "", abstract)
    return found


def _extracted(summary: str, abstract: str) -> bool:
    """Whether every word of `summary` is the abstract's own, in its order: a lead-in may be cut
    (its clause's first letter then raised to a capital) and the end shortened with "…"."""
    kept = summary.removesuffix("…").strip()
    text = normalize_space(abstract)
    return bool(kept) and (kept in text or (kept[0].lower() + kept[1:]) in text)


# Each abstract opens with background; the chosen sentence must be the contribution one.
@pytest.mark.parametrize(
    ("arxiv_id", "start"),
    [
        ("2603.91001", "This paper proposes a drift-aware conformal procedure"),
        ("2603.91004", "In this paper, we establish a"),
        ("2603.91100", "In this paper, we propose a sparse additive model"),
        ("2603.91101", "This paper introduces a thinned Hawkes process"),
        ("2603.91102", "In this article, we develop a variational scheme"),
        # "To address this limitation, we propose …": the lead-in points back, so it goes.
        ("2603.91103", "We propose a cellwise-robust estimator"),
        ("2603.91104", "This paper proposes a heteroscedastic Gaussian process"),
        ("2603.91105", "In this work, we present an exposure-constrained"),
    ],
)
def test_fixture_abstracts_give_the_contribution_sentence(arxiv_id: str, start: str) -> None:
    title, abstract = fixture_abstracts()[arxiv_id]
    summary = one_line_summary(abstract, title)
    assert summary.startswith(start)
    assert len(summary) <= 300
    assert _extracted(summary, abstract)


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
    # A sentence of the abstract (perhaps shortened, perhaps without its lead-in): no word
    # is invented, and a non-empty abstract always has a summary.
    assert (summary == "") == (normalize_space(abstract) == "")
    assert not summary or _extracted(summary, abstract)


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
    assert not parts or _extracted(summary, abstract)


# Each opens mid-argument: a reader who sees it alone does not know what "these issues" are.
MID_ARGUMENT = [
    "Moreover, we present a second benchmark with harder cases.",
    "However, existing detectors fail on small objects in clutter.",
    "To address these issues, we propose a detector for small objects.",
    "To this end, we train a detector on synthetic clutter scenes.",
    "Thus the detector generalises to unseen scenes without tuning.",
    "This enables detection at sixty frames per second on a phone.",
    "These results show that clutter is the main source of error.",
    "It outperforms previous detectors by a wide margin on all sets.",
    "Building on this insight, we design a cheaper training scheme.",
    "In this setting, the detector needs no labels at all for training.",
]
STANDS_ALONE = [
    "We propose a detector for small objects in cluttered scenes.",
    "In this paper, we study small-object detection in clutter.",
    "This paper introduces a detector for small objects.",
    "Here we show that small objects can be found in clutter.",
    "It is well known that small objects are hard to detect.",
    "Overall accuracy improves with resolution in every setting.",
    "Next-generation sensors make small objects visible at last.",
    "Small objects are hard to detect in cluttered scenes.",
]


@pytest.mark.parametrize("sentence", MID_ARGUMENT)
def test_connectives_and_back_references_open_mid_argument(sentence: str) -> None:
    assert opens_mid_argument(sentence)


@pytest.mark.parametrize("sentence", STANDS_ALONE)
def test_sentences_that_stand_alone_are_not_flagged(sentence: str) -> None:
    assert not opens_mid_argument(sentence)


@pytest.mark.parametrize(
    ("sentence", "summary"),
    [
        (MID_ARGUMENT[0], "We present a second benchmark with harder cases."),
        (MID_ARGUMENT[2], "We propose a detector for small objects."),
        (MID_ARGUMENT[3], "We train a detector on synthetic clutter scenes."),
        (MID_ARGUMENT[8], "We design a cheaper training scheme."),
    ],
)
def test_a_lead_in_is_cut_when_the_clause_after_it_stands_alone(
    sentence: str, summary: str
) -> None:
    abstract = "Small-object detection has attracted much attention recently. " + sentence
    assert one_line_summary(abstract, "Detector training") == summary


def test_a_back_reference_loses_to_any_sentence_that_stands_alone() -> None:
    abstract = (
        "Small objects are hard to find in cluttered scenes. "
        "It achieves a new state of the art, outperforming every previous detector. "
        "These results show that our novel method is significantly better."
    )
    summary = one_line_summary(abstract, "Detecting small objects")
    assert summary == "Small objects are hard to find in cluttered scenes."


def test_with_nothing_that_stands_alone_the_first_sentence_is_shortened() -> None:
    first = "It achieves " + " ".join(f"result{i}" for i in range(80)) + "."
    abstract = first + " This enables fast inference. These results hold widely."
    summary = one_line_summary(abstract)
    assert summary.startswith("It achieves result0") and summary.endswith("…")
    assert len(summary) <= 300


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(MID_ARGUMENT + STANDS_ALONE), min_size=1, max_size=8).filter(
        lambda parts: any(part in STANDS_ALONE for part in parts)
    )
)
def test_a_summary_never_opens_mid_argument_when_a_sentence_stands_alone(
    parts: list[str],
) -> None:
    summary = one_line_summary(" ".join(parts), "Small object detection")
    assert not opens_mid_argument(summary), summary
    assert _extracted(summary, " ".join(parts))


REAL_DAYS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "arxiv-days"


@pytest.mark.parametrize("day", ["2025-11-18", "2026-02-10", "2026-06-02"])
def test_summaries_on_real_days_stand_alone(day: str) -> None:
    path = REAL_DAYS / f"{day}.jsonl.gz"
    if not path.is_file():
        pytest.skip(f"real arXiv days not found beside the repository ({path.name})")
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        records = [json.loads(line) for line in lines]
    mid_argument = []
    for record in records:
        abstract = normalize_space(record["abstract"])
        summary = one_line_summary(abstract, normalize_space(record["title"]))
        assert summary and len(summary) <= 300, record["id"]
        assert _extracted(summary, abstract), (record["id"], summary)
        if opens_mid_argument(summary):
            mid_argument.append(summary)
    # Before: about one summary in five opened "To address these issues, …" or the like.
    assert len(mid_argument) <= len(records) // 100, mid_argument[:5]


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

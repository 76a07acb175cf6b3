"""Sentence boundaries and cuts: abstracts are full of abbreviations, numbers and math."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from bot.render.latex import latex_to_text
from bot.sources.fetch import load_feed_file
from bot.summarize import one_line_summary
from bot.text import (
    _ABBREVIATIONS,
    UNTRUSTED_TEXT_LIMIT,
    _ends_with_abbreviation,
    _Formulas,
    bounded,
    cut_text,
    normalize_space,
    split_sentences,
)


def test_split_keeps_abbreviations_numbers_and_math_together() -> None:
    text = (
        "We propose X, e.g. a model by Smith et al. in Fig. 3. It reaches 0.5 accuracy "
        "on $a. b$ data! Is it good? We find motifs.This is new. 模型很好。结果更好。"
    )
    assert split_sentences(text) == [
        "We propose X, e.g. a model by Smith et al. in Fig. 3.",
        "It reaches 0.5 accuracy on $a. b$ data!",
        "Is it good?",
        "We find motifs.",
        "This is new.",
        "模型很好。",
        "结果更好。",
    ]


def test_split_of_empty_and_whitespace() -> None:
    assert split_sentences("") == []
    assert split_sentences("  \n ") == []
    assert normalize_space(" a \n  b ") == "a b"


def test_cut_prefers_sentence_end_then_word_boundary() -> None:
    text = "First sentence is here. Second sentence is a bit longer than the first one."
    assert cut_text(text, 200) == text
    assert cut_text(text, 40) == "First sentence is here. …"
    assert cut_text("averyveryverylongword and more", 10) == "averyvery…"
    assert cut_text("alpha beta gamma delta", 15) == "alpha beta…"


@given(st.text(max_size=400), st.integers(min_value=2, max_value=300))
def test_cut_never_exceeds_the_limit(text: str, limit: int) -> None:
    assert len(cut_text(text, limit)) <= limit


words = st.lists(
    st.sampled_from(["alpha", "beta", "gamma.", "delta,", "$x.y$", "e.g."]), max_size=60
)


@given(words, st.integers(min_value=12, max_value=200))
def test_cut_never_splits_a_word(parts: list[str], limit: int) -> None:
    text = " ".join(parts)
    cut = cut_text(text, limit).removesuffix("…").removesuffix(" ").rstrip(" ,;:")
    if cut:
        assert text.startswith(cut)
        rest = text[len(cut) :]
        assert rest == "" or rest[0] in " ,;:"


# Bounded work on hostile input -----------------------------------------------------------------

FEED = Path(__file__).parent / "fixtures" / "rss-current-stat.xml"
_OLD_WORD = re.compile(r"([A-Za-z][A-Za-z.]*)$")


def old_ends_with_abbreviation(before: str) -> bool:
    """The check as it was, searching the whole sentence so far: the reference."""
    word = _OLD_WORD.search(before)
    if not word:
        return False
    token = word.group(1).rstrip(".").lower()
    return token in _ABBREVIATIONS or (len(token) == 1 and word.group(1)[0].isupper())


def test_abbreviation_check_agrees_with_the_old_one_on_every_period_of_real_abstracts() -> None:
    checked = 0
    for paper in load_feed_file(FEED).papers:
        text = normalize_space(paper.abstract)
        for match in re.finditer(r"\.", text):
            for start in (0, max(match.start() - 30, 0)):
                assert _ends_with_abbreviation(text, start, match.start()) == (
                    old_ends_with_abbreviation(text[start : match.start()])
                ), text[start : match.start() + 1]
                checked += 1
    assert checked > 1000


@given(st.text(alphabet=st.sampled_from(list("ab$ .")), max_size=80))
def test_formulas_cover_exactly_the_spans(text: str) -> None:
    spans = [m.span() for m in re.finditer(r"\$\$.+?\$\$|\$[^$]+?\$", text, re.DOTALL)]
    formulas = _Formulas(text)
    assert [formulas.covers(i) for i in range(len(text))] == [
        any(start <= i < end for start, end in spans) for i in range(len(text))
    ]


def test_twenty_thousand_formulas_split_into_their_sentences() -> None:
    text = "We use $a.b$ here. " * 20_000
    sentences = split_sentences(text)
    assert sentences == ["We use $a.b$ here."] * 20_000


def test_bounded_cuts_untrusted_text_at_a_word_and_leaves_real_text_alone() -> None:
    real = " ".join(p.abstract for p in load_feed_file(FEED).papers[:3])
    assert len(real) < UNTRUSTED_TEXT_LIMIT and bounded(real) == real
    hostile = "lorem ipsum " * 10_000
    cut = bounded(hostile)
    assert len(cut) <= UNTRUSTED_TEXT_LIMIT and cut.endswith("…")
    assert hostile.startswith(cut.removesuffix("…").rstrip())


def test_latex_and_summary_work_on_a_cut_of_a_hostile_abstract() -> None:
    hostile = "$a$ " * 25_000  # 100,000 characters of formulas
    assert len(latex_to_text(hostile)) <= UNTRUSTED_TEXT_LIMIT
    # The best sentence sits past the cut: it is not read, so not chosen.
    best = "In this paper we propose a novel method that outperforms the state of the art."
    plain = "Data were collected over several years in the field. " * 400
    assert one_line_summary(plain[:2120] + best) == best
    assert one_line_summary(plain + best) != best

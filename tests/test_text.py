"""Sentence boundaries and cuts: abstracts are full of abbreviations, numbers and math."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.text import cut_text, normalize_space, split_sentences


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

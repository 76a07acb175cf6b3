"""The per-chat ranker: a chat that likes diffusion papers and dislikes graph papers sees the
diffusion papers first, learns nothing below the minimum signals, and keeps its model across a
restart of the bot (the database) but not across a new vocabulary."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.models import Paper
from bot.ranker import (
    MAX_TERMS,
    Feedback,
    fit_vocabulary,
    model_from_bytes,
    score,
    similar,
    top_terms,
    train,
    uncertain,
)
from storage.database import open_store
from storage.ranker_models import delete_model, load_model, save_model

_TOPICS = {
    "diffusion": "score-based diffusion models denoising generative sampling of images",
    "graph": "graph neural networks message passing over node features and edges",
    "quantum": "quantum error correction surface codes logical qubits decoders",
    "agents": "large language model agents tool use planning and reflection",
}
_FILLER = ("we study", "we propose", "experiments show", "a new benchmark", "results improve")


def _paper(i: int, topic: str) -> Paper:
    return Paper(
        arxiv_id=f"2611.{i:05d}",
        version=1,
        title=f"On {topic} {i % 7}",
        abstract=f"{_FILLER[i % 5]} {_TOPICS[topic]} variant {i % 11} $x^{i % 3}$.",
        authors=("A. Author",),
        categories=("cs.LG",),
    )


def _papers(start: int, count: int) -> list[Paper]:
    topics = list(_TOPICS)
    return [_paper(i, topics[i % len(topics)]) for i in range(start, start + count)]


def _signals(papers: list[Paper]) -> list[tuple[Paper, Feedback]]:
    """👍 on diffusion (one ⭐), 👎 on graph papers; the rest unreacted."""
    signals = []
    for paper in papers:
        if "diffusion" in paper.title:
            signals.append((paper, Feedback.STAR if not signals else Feedback.UP))
        elif "graph" in paper.title:
            signals.append((paper, Feedback.DOWN))
    return signals


def test_a_chat_that_likes_diffusion_sees_diffusion_papers_first() -> None:
    history, today = _papers(0, 80), _papers(1000, 40)
    vocabulary = fit_vocabulary(history + today)
    signals = _signals(history)
    unreacted = [p for p in history if p not in {s[0] for s in signals}]
    model = train(vocabulary, signals, unreacted)
    assert model is not None
    scores = score(model, today)
    assert scores is not None
    ranked = [p for _, p in sorted(zip(scores, today, strict=True), key=lambda x: -x[0])]
    assert all("diffusion" in p.title for p in ranked[:10])
    assert "graph" in ranked[-1].title or "graph" in ranked[-2].title
    # The thresholds' cuts, measured on likes the model did not see: high keeps fewer.
    low, high = model.cuts
    assert -1e9 < low <= high < 1e9
    # Where it is least sure lies between what the chat likes and the rest.
    liked = [sc for sc, p in zip(scores, today, strict=True) if "diffusion" in p.title]
    others = [sc for sc, p in zip(scores, today, strict=True) if "diffusion" not in p.title]
    assert max(others) < model.boundary < min(liked)
    why = top_terms(model, ranked[0], 3)
    assert 1 <= len(why) <= 3
    assert any(word in " ".join(why) for word in ("diffusion", "denoising", "generative"))


def test_below_five_positive_and_three_negative_signals_there_is_no_model() -> None:
    papers = _papers(0, 40)
    vocabulary = fit_vocabulary(papers)
    diffusion = [p for p in papers if "diffusion" in p.title]
    graph = [p for p in papers if "graph" in p.title]
    four_up = [(p, Feedback.UP) for p in diffusion[:4]] + [(p, Feedback.DOWN) for p in graph[:5]]
    assert train(vocabulary, four_up) is None
    two_down = [(p, Feedback.UP) for p in diffusion[:6]] + [(p, Feedback.DOWN) for p in graph[:2]]
    assert train(vocabulary, two_down) is None
    assert score(None, papers) is None
    enough = [(p, Feedback.UP) for p in diffusion[:5]] + [(p, Feedback.DOWN) for p in graph[:3]]
    assert train(vocabulary, enough) is not None


def test_signals_on_papers_without_a_known_term_give_no_model() -> None:
    vocabulary = fit_vocabulary(_papers(0, 40))
    blank = [_paper_with(i, "$x$ the of") for i in range(10)]
    signals = [(p, Feedback.UP) for p in blank[:5]] + [(p, Feedback.DOWN) for p in blank[5:]]
    assert train(vocabulary, signals) is None


def test_pressing_again_counts_only_the_last_signal_for_a_paper() -> None:
    papers = _papers(0, 40)
    vocabulary = fit_vocabulary(papers)
    diffusion = [p for p in papers if "diffusion" in p.title]
    graph = [p for p in papers if "graph" in p.title]
    # Five 👍, then the fifth turned into a 👎: four positives left, too few.
    signals = [(p, Feedback.UP) for p in diffusion[:5]] + [(p, Feedback.DOWN) for p in graph[:3]]
    assert train(vocabulary, [*signals, (diffusion[4], Feedback.DOWN)]) is None


def test_uncertain_papers_are_between_the_liked_and_the_disliked() -> None:
    papers = _papers(0, 80)
    vocabulary = fit_vocabulary(papers)
    model = train(vocabulary, _signals(papers))
    assert model is not None
    mixed = Paper(
        arxiv_id="2611.99999",
        version=1,
        title="Diffusion on graph neural networks",
        abstract=f"{_TOPICS['diffusion']} and {_TOPICS['graph']}",
        authors=(),
        categories=("cs.LG",),
    )
    clear = [p for p in _papers(2000, 16) if "diffusion" in p.title or "graph" in p.title]
    candidates = [*clear, mixed]
    assert uncertain(model, candidates, 1) == [mixed]
    assert len(uncertain(model, candidates, 3)) == 3
    assert uncertain(model, candidates, 0) == []


def test_more_like_this_finds_papers_on_the_same_topic_and_never_the_paper_itself() -> None:
    papers = _papers(0, 60)
    vocabulary = fit_vocabulary(papers)
    quantum = next(p for p in papers if "quantum" in p.title)
    found = similar(vocabulary, quantum, papers, 5)
    assert len(found) == 5
    assert quantum not in found
    assert all("quantum" in p.title for p in found)


def test_a_model_survives_the_database_and_is_read_by_term_against_a_new_vocabulary(
    tmp_path: Path,
) -> None:
    papers = _papers(0, 80)
    vocabulary = fit_vocabulary(papers)
    model = train(vocabulary, _signals(papers))
    assert model is not None
    assert len(model.columns) <= MAX_TERMS
    store = open_store(tmp_path / "bot.sqlite3")
    assert load_model(store, 7) is None
    save_model(store, 7, model.to_bytes(), signals=30)
    save_model(store, 7, model.to_bytes(), signals=31)
    stored = load_model(store, 7)
    assert stored is not None
    again = model_from_bytes(stored, vocabulary)
    assert again is not None
    assert score(again, papers) == score(model, papers)
    # A vocabulary fitted on other days keeps the terms both know: the liked topic still leads.
    later = _papers(500, 60)
    refitted = model_from_bytes(stored, fit_vocabulary(later))
    assert refitted is not None and 0 < len(refitted.columns) <= len(model.columns)
    ranked = sorted(zip(score(refitted, later) or (), later, strict=True), key=lambda x: -x[0])
    assert all("diffusion" in p.title for _, p in ranked[:10])
    # One that shares no term with the model cannot read it.
    unrelated = [_paper_with(i, "lattice gauge theory monte carlo hadron") for i in range(6)]
    assert model_from_bytes(stored, fit_vocabulary(unrelated)) is None
    assert delete_model(store, 7) is True
    assert load_model(store, 7) is None
    assert delete_model(store, 7) is False
    store.close()


def test_a_stored_model_keeps_only_its_strongest_terms() -> None:
    # Every word in two papers (min_df), 2,000 distinct words in all, each a feature.
    papers = [_paper_with(i, f"word{i % 2000} diffusion graph") for i in range(4000)]
    vocabulary = fit_vocabulary(papers)
    signals = [(p, Feedback.UP if i % 2 else Feedback.DOWN) for i, p in enumerate(papers)]
    model = train(vocabulary, signals)
    assert model is not None
    assert len(model.columns) == MAX_TERMS
    assert list(model.columns) == sorted(model.columns)


_words = st.sampled_from(
    [
        "diffusion",
        "graph",
        "quantum",
        "agents",
        "$x$",
        "\\alpha",
        "{}",
        "model",
        "the",
        "of",
        "noise",
        "code",
        "qubit",
    ]
)


@settings(max_examples=30, deadline=None)
@given(
    texts=st.lists(st.lists(_words, min_size=0, max_size=12).map(" ".join), max_size=12),
    kinds=st.lists(st.sampled_from(list(Feedback)), max_size=12),
)
def test_any_signals_give_a_model_or_none_and_scores_for_every_paper(
    texts: list[str], kinds: list[Feedback]
) -> None:
    """Whatever the papers' text (empty, LaTeX only, repeated) and the signals, training never
    crashes, and a model scores every paper with a finite number."""
    window = [*_papers(0, 20), *(_paper_with(i, text) for i, text in enumerate(texts))]
    vocabulary = fit_vocabulary(window)
    signals = list(zip(window[20:], kinds, strict=False))
    model = train(vocabulary, signals, window[:20])
    scores = score(model, window)
    if model is None:
        assert scores is None
    else:
        assert scores is not None and len(scores) == len(window)
        assert all(abs(s) < float("inf") for s in scores)
        for paper in window:
            assert len(top_terms(model, paper, 3)) <= 3


def _paper_with(i: int, text: str) -> Paper:
    return Paper(
        arxiv_id=f"2612.{i:05d}",
        version=1,
        title=text,
        abstract=text,
        authors=(),
        categories=("cs.LG",),
    )

"""The model orders the digest: a chat that likes diffusion papers and dislikes graph papers gets
the diffusion papers first with the words behind them, a followed author's paper before
everything, the graph papers hidden under a high threshold and counted, and one paper the model
is unsure about at the end; a chat without a model gets the rules' order, unchanged."""

from __future__ import annotations

import math
from datetime import date
from functools import cache

from hypothesis import given
from hypothesis import strategies as st

from bot.match import build_digest
from bot.match_index import AnnouncementIndex
from bot.models import Digest, Interests, Paper
from bot.rank_order import (
    AnnouncementVectors,
    Ordering,
    Threshold,
    orderings_for,
    parse_threshold,
    rank,
)
from bot.ranker import ChatModel, fit_vocabulary, score, train, uncertain
from tests.test_ranker import _papers, _signals

DAY = date(2026, 11, 19)
CS_LG = Interests(categories=frozenset({"cs.LG"}))
FOLLOWER = Interests(categories=frozenset({"cs.LG"}), authors=("Ada Lovelace",))


@cache
def _model() -> ChatModel:
    history, today = _papers(0, 80), _today()
    vocabulary = fit_vocabulary(history + list(today))
    signals = _signals(history)
    unreacted = [p for p in history if p not in {s[0] for s in signals}]
    model = train(vocabulary, signals, unreacted)
    assert model is not None
    return model


@cache
def _today() -> tuple[Paper, ...]:
    """Forty papers of four topics; one graph paper is by Ada Lovelace."""
    papers = _papers(1000, 40)
    graph = next(i for i, p in enumerate(papers) if "graph" in p.title)
    papers[graph] = Paper(**{**papers[graph].__dict__, "authors": ("Ada Lovelace",)})
    return tuple(papers)


def _ids(digest: Digest) -> list[str]:
    return [e.paper.arxiv_id for e in digest.entries]


def test_a_chat_with_a_model_gets_what_it_likes_first_with_the_words_behind_it() -> None:
    today = _today()
    digest = build_digest(
        today, CS_LG, announced=DAY, cap=10, ordering=Ordering(_model(), explore=False)
    )
    assert len(digest.entries) == 10 and digest.total == 40 and digest.more == 30
    assert all("diffusion" in e.paper.title for e in digest.entries)
    assert not any(e.exploring for e in digest.entries)
    for entry in digest.entries:
        assert 1 <= len(entry.terms) <= 3
    assert any(
        word in " ".join(digest.entries[0].terms)
        for word in ("diffusion", "denoising", "generative")
    )
    # Without a model: the rules' order (feed order here), no terms.
    plain = build_digest(today, CS_LG, announced=DAY, cap=10)
    assert _ids(plain) == [p.arxiv_id for p in today[:10]]
    assert all(e.terms == () and not e.exploring for e in plain.entries)
    assert plain.below_threshold == 0


def test_a_followed_authors_paper_comes_first_and_is_never_hidden() -> None:
    ordering = Ordering(_model(), Threshold.HIGH, explore=False)
    digest = build_digest(_today(), FOLLOWER, announced=DAY, cap=5, ordering=ordering)
    first = digest.entries[0].paper
    assert first.authors == ("Ada Lovelace",) and "graph" in first.title
    assert all("diffusion" in e.paper.title for e in digest.entries[1:])


def test_the_threshold_hides_what_scores_below_the_chats_own_likes_and_counts_it() -> None:
    today = _today()
    model = _model()
    scores = score(model, today)
    assert scores is not None
    low, high = model.cuts
    assert low <= high
    hidden_by = {}
    for threshold, cut in ((Threshold.LOW, low), (Threshold.HIGH, high)):
        below = sum(s < cut for s in scores)
        digest = build_digest(
            today, CS_LG, announced=DAY, cap=100, ordering=Ordering(model, threshold, explore=False)
        )
        assert digest.below_threshold == below
        assert len(digest.entries) == 40 - below and digest.more == 0
        # The liked topic stays; high hides the disliked one.
        assert all(
            any(e.paper is p for e in digest.entries) for p in today if "diffusion" in p.title
        )
        if threshold is Threshold.HIGH:
            assert not any("graph" in e.paper.title for e in digest.entries)
        hidden_by[threshold] = below
    assert 0 < hidden_by[Threshold.LOW] <= hidden_by[Threshold.HIGH] < 40
    off = build_digest(
        today, CS_LG, announced=DAY, cap=100, ordering=Ordering(model, explore=False)
    )
    assert off.below_threshold == 0 and len(off.entries) == 40


def test_one_slot_goes_to_the_paper_the_model_is_least_sure_about() -> None:
    today = _today()
    ordered = build_digest(
        today, CS_LG, announced=DAY, cap=8, ordering=Ordering(_model(), explore=False)
    )
    digest = build_digest(today, CS_LG, announced=DAY, cap=8, ordering=Ordering(_model()))
    assert len(digest.entries) == 8
    assert [e.exploring for e in digest.entries] == [False] * 7 + [True]
    # The first seven are the model's first seven; the eighth is the least sure of the rest.
    assert _ids(digest)[:7] == _ids(ordered)[:7]
    rest = [p for p in today if p.arxiv_id not in _ids(digest)[:7]]
    assert digest.entries[-1].paper.arxiv_id == uncertain(_model(), rest, 1)[0].arxiv_id
    assert digest.more == 32
    # Everything fits: nothing to explore, nothing marked.
    small = build_digest(today[:5], CS_LG, announced=DAY, cap=8, ordering=Ordering(_model()))
    assert len(small.entries) == 5 and not any(e.exploring for e in small.entries)


def test_a_longer_digest_keeps_the_exploring_paper_where_the_daily_one_showed_it() -> None:
    today = _today()
    daily = build_digest(today, CS_LG, announced=DAY, cap=8, ordering=Ordering(_model()))
    longer = build_digest(today, CS_LG, announced=DAY, cap=200, ordering=Ordering(_model(), page=8))
    assert _ids(longer)[:8] == _ids(daily)
    assert len(longer.entries) == 40 and len(set(_ids(longer))) == 40
    assert [e.exploring for e in longer.entries].count(True) == 1


def test_the_batch_matcher_orders_like_build_digest() -> None:
    today = _today()
    index = AnnouncementIndex(today)
    ordering = Ordering(_model(), Threshold.LOW)
    chats = [(1, CS_LG), (2, FOLLOWER), (3, CS_LG)]
    orderings = {1: ordering, 2: Ordering(_model(), Threshold.HIGH)}
    found = dict(index.digests(chats, announced=DAY, caps=6, orderings=orderings))
    assert found[1] == build_digest(today, CS_LG, announced=DAY, cap=6, ordering=ordering)
    assert found[2] == build_digest(today, FOLLOWER, announced=DAY, cap=6, ordering=orderings[2])
    assert found[3] == build_digest(today, CS_LG, announced=DAY, cap=6)


class _Models:
    """Models as bot.ranking.Ranking hands them out: chat 7 and 8 have one, 9 has none."""

    def models_for(self, chat_ids: list[int]) -> dict[int, ChatModel]:
        return {c: _model() for c in chat_ids if c in (7, 8)}

    def model_for(self, chat_id: int) -> ChatModel | None:
        return self.models_for([chat_id]).get(chat_id)


def test_the_chats_models_read_the_days_vectors_once_and_score_as_they_did() -> None:
    today = _today()
    vectors = AnnouncementVectors(today)
    found = orderings_for(_Models(), [7, 8, 9], {7: "high"}, vectors)
    assert set(found) == {7, 8}
    assert found[7].threshold is Threshold.HIGH and found[8].threshold is Threshold.OFF
    view = found[7].model.vocabulary
    assert found[8].model.vocabulary is view
    assert vectors.models_over({1: _model()})[1].vocabulary is view  # kept for the next batch
    assert set(view.rows) == {p.arxiv_id for p in today}
    original, moved = score(_model(), today), score(found[7].model, today)
    assert original is not None and moved is not None
    assert all(
        math.isclose(a, b, rel_tol=1e-5, abs_tol=1e-6) for a, b in zip(original, moved, strict=True)
    )


def test_thresholds_cycle_and_unknown_values_read_as_off() -> None:
    assert [t.following for t in Threshold] == [Threshold.LOW, Threshold.HIGH, Threshold.OFF]
    assert parse_threshold("high") is Threshold.HIGH
    assert parse_threshold("bogus") is Threshold.OFF and parse_threshold(None) is Threshold.OFF
    assert rank([], [], Ordering(_model()), 5).shown == ()


@given(
    picked=st.sets(st.integers(0, 39), max_size=40),
    cap=st.integers(0, 45),
    threshold=st.sampled_from(list(Threshold)),
    explore=st.booleans(),
    follower=st.booleans(),
    page=st.none() | st.integers(1, 45),
)
def test_the_ordered_digest_holds_the_matches_minus_the_hidden_once_within_the_cap(
    picked: set[int],
    cap: int,
    threshold: Threshold,
    explore: bool,
    follower: bool,
    page: int | None,
) -> None:
    papers = [p for i, p in enumerate(_today()) if i in picked]
    interests = FOLLOWER if follower else CS_LG
    ordering = Ordering(_model(), threshold, explore=explore, page=page)
    digest = build_digest(papers, interests, announced=DAY, cap=cap, ordering=ordering)
    shown = _ids(digest)
    assert len(shown) == len(set(shown)) <= cap
    assert digest.total == len(papers)
    assert len(shown) + digest.more + digest.below_threshold == digest.total
    assert sum(e.exploring for e in digest.entries) <= 1
    scores = score(_model(), papers) or ()
    cut = threshold.cut(_model())
    hidden = {
        p.arxiv_id
        for p, s in zip(papers, scores, strict=True)
        if cut is not None and s < cut and not (follower and p.authors == ("Ada Lovelace",))
    }
    # A hidden paper is shown only as the exploring one.
    assert {e.paper.arxiv_id for e in digest.entries if not e.exploring}.isdisjoint(hidden)
    assert digest.below_threshold == len(hidden - set(shown))
    if cap >= len(papers):
        assert set(shown) | hidden == {p.arxiv_id for p in papers}

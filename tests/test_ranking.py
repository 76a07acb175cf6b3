"""The ranker's edge (bot/ranking.py): a chat's presses train its model a moment later, off the
loop, once for a burst; the model is stored, read back, survives a refit of the vocabulary,
goes when the chat falls below the minimum signals or asks to be forgotten; papers it was sent
and let pass are its weak negatives."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.models import AnnounceType, Paper
from bot.ranker import Feedback
from bot.ranking import Ranking, feedback_of
from storage import chats, deliveries, papers, ranker_models, signals
from storage.database import Store, open_store
from storage.saved import toggle_feedback, toggle_saved

_TOPICS = {
    "diffusion": "score-based diffusion models denoising generative sampling of images",
    "graph": "graph neural networks message passing over node features and edges",
    "quantum": "quantum error correction surface codes logical qubits decoders",
    "agents": "large language model agents tool use planning and reflection",
}
DAY = date(2026, 11, 2)
CHAT = 42


def _paper(i: int) -> Paper:
    topic = list(_TOPICS)[i % len(_TOPICS)]
    return Paper(
        arxiv_id=f"2611.{i:05d}",
        version=1,
        title=f"On {topic} {i % 7}",
        abstract=f"We study {_TOPICS[topic]}, variant {i % 11}.",
        authors=("A. Author",),
        categories=("cs.LG",),
    )


def _announce(store: Store, day: date, found: list[Paper]) -> None:
    papers.save_announcement(
        store, day, found, [("cs.LG", p.arxiv_id, AnnounceType.NEW) for p in found]
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(tmp_path / "bot.sqlite3")
    chats.ensure_chat(opened, CHAT, language="en", timezone="Asia/Shanghai", delivery_time="09:00")
    _announce(opened, DAY, [_paper(i) for i in range(80)])
    yield opened
    opened.close()


def _vote(store: Store, topic: str, value: int, count: int) -> None:
    for paper in [p for p in map(_paper, range(80)) if topic in p.title][:count]:
        toggle_feedback(store, CHAT, paper.arxiv_id, value)


async def test_presses_train_a_model_once_after_the_burst_and_it_ranks_the_liked_topic_first(
    store: Store,
) -> None:
    ranking = Ranking(store, debounce=0.01)
    assert ranking.vocabulary is None and ranking.model_for(CHAT) is None
    assert await ranking.refit() is not None
    assert len(ranking.window_papers()) == 80
    _vote(store, "diffusion", 1, 6)
    _vote(store, "graph", -1, 4)
    for _ in range(5):
        ranking.feedback_changed(CHAT)  # a burst of presses: one training
    await ranking.settle()
    model = ranking.model_for(CHAT)
    assert model is not None
    today = [_paper(i) for i in range(1000, 1040)]
    margins = model.decision(model.vocabulary.vectors(today))
    liked = [m for p, m in zip(today, margins, strict=True) if "diffusion" in p.title]
    disliked = [m for p, m in zip(today, margins, strict=True) if "graph" in p.title]
    assert min(liked) > max(disliked)
    assert ranking.models_for([CHAT, 7]).keys() == {CHAT}


async def test_below_the_minimum_there_is_no_model_and_an_undo_removes_the_stored_one(
    store: Store,
) -> None:
    ranking = Ranking(store, debounce=0.01)
    _vote(store, "diffusion", 1, 4)
    _vote(store, "graph", -1, 3)
    ranking.feedback_changed(CHAT)
    await ranking.settle()
    assert ranking.model_for(CHAT) is None
    assert ranker_models.load_model(store, CHAT) is None
    # A ⭐ is the fifth positive: now there is a model.
    fifth = next(p for p in map(_paper, range(40, 80)) if "diffusion" in p.title)
    toggle_saved(store, CHAT, fifth.arxiv_id, fifth.title)
    ranking.feedback_changed(CHAT)
    await ranking.settle()
    assert ranking.model_for(CHAT) is not None
    # Taking the ⭐ back leaves four: the stored model goes too.
    toggle_saved(store, CHAT, fifth.arxiv_id, fifth.title)
    ranking.feedback_changed(CHAT)
    await ranking.settle()
    assert ranking.model_for(CHAT) is None
    assert ranker_models.load_model(store, CHAT) is None


async def test_a_model_outlives_a_refit_and_goes_when_the_chat_is_forgotten(
    store: Store,
) -> None:
    ranking = Ranking(store, debounce=0.01)
    await ranking.refit()
    _vote(store, "diffusion", 1, 6)
    _vote(store, "graph", -1, 4)
    ranking.feedback_changed(CHAT)
    await ranking.settle()
    before = ranking.vocabulary
    assert before is not None and ranking.model_for(CHAT) is not None
    # Nothing stored since: no second fit.
    assert await ranking.refit() is before
    _announce(store, DAY + timedelta(days=1), [_paper(i) for i in range(2000, 2060)])
    after = await ranking.refit()
    assert after is not None and after is not before
    assert len(ranking.window_papers()) == 140
    model = ranking.model_for(CHAT)
    assert model is not None and model.vocabulary is after
    # A restarted bot reads the same stored model.
    again = Ranking(store)
    await again.refit()
    restarted = again.model_for(CHAT)
    assert restarted is not None
    assert list(restarted.weights) == list(model.weights)
    ranking.forget(CHAT)
    assert ranking.model_for(CHAT) is None
    assert ranker_models.load_model(store, CHAT) is None


def test_a_down_vote_outweighs_a_save_and_a_save_outweighs_an_up_vote(store: Store) -> None:
    paper = _paper(0)
    assert feedback_of(signals.Signal(paper, -1, True)) is Feedback.DOWN
    assert feedback_of(signals.Signal(paper, 1, True)) is Feedback.STAR
    assert feedback_of(signals.Signal(paper, None, True)) is Feedback.STAR
    assert feedback_of(signals.Signal(paper, 1, False)) is Feedback.UP


def test_signals_and_the_papers_a_chat_let_pass(store: Store) -> None:
    sent = [_paper(i) for i in range(10)]
    for paper in sent:
        deliveries.record_delivery(store, CHAT, paper.arxiv_id, 1, DAY, message_id=None)
    toggle_feedback(store, CHAT, sent[0].arxiv_id, 1)
    toggle_feedback(store, CHAT, sent[1].arxiv_id, -1)
    toggle_saved(store, CHAT, sent[1].arxiv_id, sent[1].title)
    toggle_saved(store, CHAT, sent[2].arxiv_id, sent[2].title)
    found = {s.paper.arxiv_id: (s.vote, s.saved) for s in signals.chat_signals(store, CHAT)}
    assert found == {
        sent[0].arxiv_id: (1, False),
        sent[1].arxiv_id: (-1, True),
        sent[2].arxiv_id: (None, True),
    }
    passed = signals.passed_over(store, CHAT, 100, "2000-01-01T00:00:00+00:00")
    # The last sent first (the ledger's order where the second is the same).
    assert [p.arxiv_id for p in passed] == [p.arxiv_id for p in reversed(sent[3:])]
    assert len(signals.passed_over(store, CHAT, 4, "2000-01-01T00:00:00+00:00")) == 4
    assert signals.passed_over(store, CHAT, 100, "2999-01-01T00:00:00+00:00") == []


def test_a_fresh_bot_without_papers_has_no_vocabulary(tmp_path: Path) -> None:
    empty = open_store(tmp_path / "empty.sqlite3")
    assert papers.recent_papers(empty, 30) == []
    assert papers.announcements_mark(empty) == 0
    empty.close()


async def test_a_first_tiny_day_gives_no_vocabulary_until_terms_repeat(tmp_path: Path) -> None:
    tiny = open_store(tmp_path / "tiny.sqlite3")
    _announce(tiny, DAY, [_paper(0)])
    ranking = Ranking(tiny)
    assert await ranking.refit() is None
    _announce(tiny, DAY + timedelta(days=1), [_paper(i) for i in range(1, 30)])
    assert await ranking.refit() is not None
    tiny.close()

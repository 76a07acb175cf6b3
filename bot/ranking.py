"""The ranker at the edge: the vocabulary over the stored window, each chat's model, training.

bot/ranker.py is pure (papers and signals in, scores out); this keeps what it needs in memory
and in SQLite, and does its slow work off the event loop:
- the vocabulary is fitted over the papers of the last WINDOW_DAYS announcements, at start and
  after each new announcement is stored (seconds of work for a month of papers, in a thread;
  until the first fit ends, nothing is ranked and digests keep the rules' order);
- a chat's model is retrained when its signals change, DEBOUNCE seconds after the last press
  (five quick 👍 train once, not five times), in a thread, and stored per chat;
- stored models are read against the current vocabulary (by term, so a refit does not void
  them), and the last few read are kept for the chats pressing buttons now.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from bot.models import Paper
from bot.ranker import ChatModel, Feedback, Vocabulary, fit_vocabulary, model_from_bytes, train
from storage import papers, ranker_models, signals
from storage.database import Store
from storage.signals import Signal

log = logging.getLogger(__name__)

WINDOW_DAYS = 30
DEBOUNCE = 2.0
# Weak negatives: the papers a chat was sent in the window and let pass, newest first. More
# than this adds training time and little signal (bench/ranker.py samples 60 a day for 5 days).
MAX_PASSED_OVER = 300
# Models read from SQLite kept in memory for the chats that are pressing buttons right now.
CACHED_MODELS = 512


def feedback_of(signal: Signal) -> Feedback:
    """What one reaction says: a 👎 overrides everything; otherwise a ⭐ says more than a 👍."""
    if signal.vote == -1:
        return Feedback.DOWN
    return Feedback.STAR if signal.saved else Feedback.UP


class Ranking:
    """Services.ranking: one per process, shared by the push, /digest and the buttons."""

    def __init__(self, store: Store, *, debounce: float = DEBOUNCE) -> None:
        self.store = store
        self.debounce = debounce
        self._vocabulary: Vocabulary | None = None
        self._fitted_for = -1  # storage.papers.announcements_mark at the last fit
        self._window: tuple[Paper, ...] = ()
        self._fitting = asyncio.Lock()
        self._pending: dict[int, asyncio.Task[None]] = {}
        self._cache: OrderedDict[int, tuple[str, str, ChatModel | None]] = OrderedDict()

    @property
    def vocabulary(self) -> Vocabulary | None:
        """The current vocabulary; None until the first fit has finished (or nothing stored)."""
        return self._vocabulary

    def window_papers(self) -> Sequence[Paper]:
        """The papers the vocabulary was fitted on (the last WINDOW_DAYS announcements)."""
        return self._window

    async def refit(self) -> Vocabulary | None:
        """The vocabulary, fitted again first (in a thread) when announcements were stored since
        the last fit: by the fetch job, /digest or `python -m bot fetch`, a new day or a new
        category of a day. The old vocabulary serves until the new one is ready; calls at once
        fit once. The push awaits this before it scores, so the day's papers are rows of the
        vocabulary, not text read again for every chat."""
        async with self._fitting:
            mark = papers.announcements_mark(self.store)
            if mark == self._fitted_for:
                return self._vocabulary
            window, vocabulary = await asyncio.to_thread(self._fit)
            self._window, self._vocabulary = window, vocabulary
            self._fitted_for = mark
            self._cache.clear()
        if vocabulary is not None:
            log.info(
                "ranker vocabulary: %d terms over %d papers",
                len(vocabulary.vectorizer.vocabulary_),
                len(window),
            )
        return vocabulary

    def _fit(self) -> tuple[tuple[Paper, ...], Vocabulary | None]:
        window = tuple(papers.recent_papers(self.store, WINDOW_DAYS))
        if not window:
            return (), None
        try:
            return window, fit_vocabulary(window)
        except ValueError:
            # Too few papers for any term to appear twice (a brand-new bot's first small day).
            log.info("ranker vocabulary: too few papers yet (%d)", len(window))
            return window, None

    def model_for(self, chat_id: int) -> ChatModel | None:
        """The chat's model read against the current vocabulary; None without one."""
        return self.models_for([chat_id]).get(chat_id)

    def models_for(self, chat_ids: Sequence[int]) -> dict[int, ChatModel]:
        """The usable models of these chats (chats without one are absent). Synchronous: SQL
        and numpy, for a worker thread or a push batch."""
        vocabulary = self._vocabulary
        if vocabulary is None or not chat_ids:
            return {}
        found: dict[int, ChatModel] = {}
        for chat_id, data, trained_at in ranker_models.models_of(self.store, chat_ids):
            cached = self._cache.get(chat_id)
            if cached is not None and cached[:2] == (vocabulary.fingerprint, trained_at):
                model = cached[2]
                self._cache.move_to_end(chat_id)
            else:
                model = model_from_bytes(data, vocabulary)
                self._remember(chat_id, (vocabulary.fingerprint, trained_at, model))
            if model is not None:
                found[chat_id] = model
        return found

    def _remember(self, chat_id: int, entry: tuple[str, str, ChatModel | None]) -> None:
        self._cache[chat_id] = entry
        self._cache.move_to_end(chat_id)
        while len(self._cache) > CACHED_MODELS:
            self._cache.popitem(last=False)

    def feedback_changed(self, chat_id: int) -> None:
        """Retrain the chat's model DEBOUNCE seconds after its last change (call on the loop)."""
        pending = self._pending.get(chat_id)
        if pending is not None and not pending.done():
            pending.cancel()
        task = asyncio.get_running_loop().create_task(self._retrain_later(chat_id))
        self._pending[chat_id] = task
        task.add_done_callback(lambda done: self._forget_task(chat_id, done))

    def _forget_task(self, chat_id: int, task: asyncio.Task[None]) -> None:
        if self._pending.get(chat_id) is task:
            del self._pending[chat_id]

    async def _retrain_later(self, chat_id: int) -> None:
        await asyncio.sleep(self.debounce)
        await self.refit()  # at once unless announcements were stored since the last fit
        try:
            await asyncio.to_thread(self.retrain, chat_id)
        except Exception:
            # A failed training keeps the chat's previous model; its next press tries again.
            log.exception("ranker: training failed", extra={"chat_id": chat_id})

    async def settle(self) -> None:
        """Wait until every pending training has finished (tests, shutdown)."""
        while self._pending:
            await asyncio.gather(*self._pending.values(), return_exceptions=True)

    def retrain(self, chat_id: int) -> ChatModel | None:
        """Train the chat's model on its signals now and store it, or delete the stored one
        when the chat no longer has enough signals (after an undo). Synchronous."""
        vocabulary = self._vocabulary
        if vocabulary is None:
            return None
        reactions = signals.chat_signals(self.store, chat_id)
        since = (datetime.now(UTC) - timedelta(days=WINDOW_DAYS)).isoformat(timespec="seconds")
        passed = signals.passed_over(self.store, chat_id, MAX_PASSED_OVER, since)
        model = train(vocabulary, [(s.paper, feedback_of(s)) for s in reactions], passed)
        if model is None:
            ranker_models.delete_model(self.store, chat_id)
            self._cache.pop(chat_id, None)
            return None
        ranker_models.save_model(self.store, chat_id, model.to_bytes(), signals=len(reactions))
        self._cache.pop(chat_id, None)
        return model

    def forget(self, chat_id: int) -> None:
        """Drop the chat's model and any training waiting for it (its feedback is deleted by
        the caller, storage/saved.py)."""
        pending = self._pending.pop(chat_id, None)
        if pending is not None:
            pending.cancel()
        ranker_models.delete_model(self.store, chat_id)
        self._cache.pop(chat_id, None)

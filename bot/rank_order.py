"""The model's order of a digest: what a chat's 👍/👎/⭐ make of the papers its rules matched.

The rules (bot/match.py) still decide what may appear; with a trained model (bot/ranker.py) the
chat's matched papers are ordered like this:
- papers by a followed author first: the reader asked for them by name;
- then by the model's score, the rules' own order breaking ties;
- the chat's threshold hides papers the model gives a low probability (never a followed
  author's), and they are counted, so the reader knows they exist;
- one slot a day goes to the paper the model is least sure about among those not otherwise
  shown (past the cap or under the threshold), marked as such: the reader's answer on it is the
  most informative one, and it keeps the digest from narrowing to what it already shows;
- then the cap.

Pure: papers, reasons' flags and a model in, positions out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from bot.models import Paper

if TYPE_CHECKING:
    # bot.ranker loads NumPy (and scikit-learn once it trains): it is imported where a model is
    # used, so matching, settings and the CLI start without it.
    from bot.ranker import ChatModel, Vocabulary

# Terms shown under an entry the model ordered: three say what it saw without crowding a phone.
TERMS_SHOWN = 3


class Threshold(StrEnum):
    """The chat's ranking threshold (/settings): which papers the model may hide."""

    OFF = "off"
    LOW = "low"
    HIGH = "high"

    def cut(self, model: ChatModel) -> float | None:
        """The model's margin under which a paper is hidden (None: none is): for low, below
        what 95% of the papers the chat would like score; for high, 75% (bot.ranker's cuts,
        measured on the chat's own likes)."""
        if self is Threshold.LOW:
            return model.cuts[0]
        if self is Threshold.HIGH:
            return model.cuts[1]
        return None

    @property
    def following(self) -> Threshold:
        """The next value when /settings cycles: off → low → high → off."""
        values = list(Threshold)
        return values[(values.index(self) + 1) % len(values)]


def parse_threshold(value: str | None) -> Threshold:
    """The stored threshold; anything unknown reads as off (today's digest, nothing hidden)."""
    try:
        return Threshold(value or Threshold.OFF)
    except ValueError:
        return Threshold.OFF


@dataclass(frozen=True)
class Ordering:
    """What a chat's digest is ordered by: its model, its threshold, whether today's digest
    gives a slot to exploring.

    `page` is the chat's own cap when a longer digest is asked for (`/digest more`, `/export`):
    the exploring paper then ends the first `page` entries, where the push showed it, and the
    papers after it continue the model's order.
    """

    model: ChatModel
    threshold: Threshold = Threshold.OFF
    explore: bool = True
    page: int | None = None


@dataclass(frozen=True)
class Ranked:
    """A digest as the model orders it: positions into the papers given, capped, in order."""

    shown: tuple[int, ...]
    exploring: int | None
    below_threshold: int
    terms: Mapping[int, tuple[str, ...]]


def rank(
    papers: Sequence[Paper],
    followed: Sequence[bool],
    ordering: Ordering,
    cap: int,
) -> Ranked:
    """The model's order of `papers` (given in the rules' order; `followed[i]` when a followed
    author wrote paper i), the threshold applied, the exploring slot filled, capped at `cap`.

    Every paper is scored in one call. Every paper not shown is either past the cap or counted
    in `below_threshold`.
    """
    from bot.ranker import score, top_terms

    scores = score(ordering.model, papers) or ()
    cut = ordering.threshold.cut(ordering.model)
    # Sorted is stable: among equal keys the rules' order (the order given) stays.
    ordered = sorted(range(len(papers)), key=lambda i: (not followed[i], -scores[i]))
    visible = [i for i in ordered if cut is None or followed[i] or scores[i] >= cut]
    hidden = [i for i in ordered if not (cut is None or followed[i] or scores[i] >= cut)]
    cap = max(cap, 0)
    slot = min(ordering.page or cap, cap)
    exploring: int | None = None
    # One slot, and only when something would otherwise not be shown; the best paper always
    # comes first, so a slot needs a cap of two.
    if ordering.explore and slot >= 2 and (len(visible) > slot or hidden):
        pool = visible[slot - 1 :] + hidden
        # The paper closest to the decision boundary (what ranker.uncertain picks), from the
        # margins already computed rather than scored again; the first of equals in the
        # model's order.
        boundary = ordering.model.boundary
        exploring = min(pool, key=lambda i: abs(scores[i] - boundary))
        rest = [i for i in visible[slot - 1 :] if i != exploring]
        visible = [*visible[: slot - 1], exploring, *rest]
    shown = tuple(visible[:cap])
    terms = {i: top_terms(ordering.model, papers[i], TERMS_SHOWN) for i in shown}
    return Ranked(
        shown=shown,
        exploring=exploring,
        below_threshold=len(hidden) - (exploring in hidden),
        terms=terms,
    )


def vocabulary_over(vocabulary: Vocabulary, papers: Sequence[Paper]) -> Vocabulary:
    """The vocabulary with `papers`' vectors computed once (the window's looked up, the others
    read): scoring thousands of chats' models against one announcement then reads each paper
    once, not once per chat. Same columns and fingerprint, so the models' weights still apply."""
    from bot.ranker import Vocabulary

    unique = list({paper.arxiv_id: paper for paper in papers}.values())
    return Vocabulary(
        vectorizer=vocabulary.vectorizer,
        fingerprint=vocabulary.fingerprint,
        rows={paper.arxiv_id: i for i, paper in enumerate(unique)},
        matrix=vocabulary.vectors(unique),
        _terms=vocabulary.terms,
    )


class ChatModels(Protocol):
    """Where the chats' models come from (bot.ranking.Ranking): the push asks for a batch of
    chats at once, /digest and /export for one. A protocol, so the benchmark and tests can hand
    out models without training one per chat."""

    def models_for(self, chat_ids: Sequence[int]) -> Mapping[int, ChatModel]:
        """The chats' usable models; chats without one are absent."""
        ...

    def model_for(self, chat_id: int) -> ChatModel | None:
        """The chat's usable model, or None."""
        ...

    async def refit(self) -> object:
        """Fit the vocabulary again if announcements were stored since its last fit."""
        ...


class AnnouncementVectors:
    """One announcement's papers as vectors of each vocabulary the chats' models use, computed
    once per vocabulary (one, unless a refit lands during the push) and kept for the push."""

    def __init__(self, papers: Sequence[Paper]) -> None:
        self.papers = papers
        # id → (vocabulary, its view): holding the vocabulary keeps its id from being reused.
        self._views: dict[int, tuple[Vocabulary, Vocabulary]] = {}

    def models_over(self, models: Mapping[int, ChatModel]) -> dict[int, ChatModel]:
        """Each chat's model over its vocabulary's view of the announcement: scoring it reads
        the day's vectors, never the text again."""
        moved: dict[int, ChatModel] = {}
        for chat_id, model in models.items():
            found = self._views.get(id(model.vocabulary))
            if found is None:
                view = vocabulary_over(model.vocabulary, self.papers)
                found = self._views[id(model.vocabulary)] = (model.vocabulary, view)
            moved[chat_id] = replace(model, vocabulary=found[1])
        return moved


def orderings_for(
    source: ChatModels,
    chat_ids: Sequence[int],
    thresholds: Mapping[int, str],
    vectors: AnnouncementVectors,
) -> dict[int, Ordering]:
    """The orderings of the chats that have a model (the others keep the rules' order), their
    models reading the announcement's vectors. SQL and NumPy: for a worker thread."""
    models = vectors.models_over(source.models_for(chat_ids))
    return {
        chat_id: Ordering(model, parse_threshold(thresholds.get(chat_id)))
        for chat_id, model in models.items()
    }

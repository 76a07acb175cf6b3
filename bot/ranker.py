"""The per-chat ranker: what a chat's 👍, 👎 and ⭐ say about the papers it has not seen yet.

As arxiv-sanity-lite and Scholar Inbox do: one TF-IDF vocabulary fitted on a rolling window of
papers (title and abstract, LaTeX read as text), and per chat a logistic regression over it
trained on the chat's signals. The rules still decide what a chat may see; this only orders it.

Pure: papers and signals in, scores out. A chat's model is kept as a few arrays, not a pickle,
so loading one from the database runs no code. It keeps its strongest terms by name with their
weights, so it outlives the vocabulary it was trained on: the vocabulary is refitted as days
pass, and a stored model is read against the new one term by term (a term the new vocabulary
lacks no longer counts) until the chat's next signal retrains it.
"""

from __future__ import annotations

import hashlib
import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import numpy as np

from bot.arxiv_text import plain_text
from bot.models import Paper

if TYPE_CHECKING:
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer

# Semantic Scholar's feeds start from 5 relevant and 3 irrelevant papers; fewer give a model
# that mostly echoes the category's base rate.
MIN_POSITIVE = 5
MIN_NEGATIVE = 3
# A ⭐ (saved to read) says more than a 👍; a paper the chat scrolled past says much less than a
# 👎 (it may simply not have been read), so it only nudges.
STAR_WEIGHT = 2.0
WEAK_NEGATIVE_WEIGHT = 0.1
# A stored model keeps this many terms, the largest weights of either sign: tens of kilobytes a
# chat instead of one weight per term its training papers used (tens of thousands); the rest
# move a score by little (bench/ranker.py measures precision with the kept terms only).
MAX_TERMS = 3000
# The ranking thresholds (/settings) as the share of the papers a chat would like that each
# keeps: "low" hides what scores below 95% of them, "high" below 75%. Measured on the chat's own
# likes, each scored by a model that did not see it (two folds), because the model's own
# probabilities are not calibrated: on papers of a new day its margins for liked papers run
# well below zero (weak negatives outnumber likes), and a fixed 50% cut hid nearly all of them.
KEPT_BY_LOW = 0.95
KEPT_BY_HIGH = 0.75


class Feedback(StrEnum):
    """What a reader pressed under a paper."""

    UP = "up"
    DOWN = "down"
    STAR = "star"


_LABEL = {Feedback.UP: 1, Feedback.STAR: 1, Feedback.DOWN: 0}
_WEIGHT = {Feedback.UP: 1.0, Feedback.STAR: STAR_WEIGHT, Feedback.DOWN: 1.0}


def paper_text(paper: Paper) -> str:
    """Title and abstract as a reader sees them (LaTeX rendered), the text the terms come from."""
    return f"{plain_text(paper.title)}. {plain_text(paper.abstract)}"


@dataclass
class Vocabulary:
    """TF-IDF fitted on a window of papers; the window's vectors are kept, so scoring and "more
    like this" over it transform nothing again."""

    vectorizer: TfidfVectorizer
    fingerprint: str
    rows: dict[str, int]
    matrix: sparse.csr_matrix
    _terms: np.ndarray | None = field(default=None, repr=False)

    @property
    def terms(self) -> np.ndarray:
        """The vocabulary's terms in column order (computed once: sklearn rebuilds it per call)."""
        if self._terms is None:
            self._terms = self.vectorizer.get_feature_names_out()
        return self._terms

    def vectors(self, papers: Sequence[Paper]) -> sparse.csr_matrix:
        """One L2-normalised row per paper; papers of the window are looked up, others read."""
        known = [p for p in papers if p.arxiv_id in self.rows]
        missing = [p for p in papers if p.arxiv_id not in self.rows]
        if not missing:
            return self.matrix[[self.rows[p.arxiv_id] for p in papers]]
        from scipy import sparse

        # Known rows first, then the papers read now; `order` puts them back in the given order.
        stacked = sparse.vstack(
            [
                self.matrix[[self.rows[p.arxiv_id] for p in known]],
                self.vectorizer.transform([paper_text(p) for p in missing]),
            ],
            format="csr",
        )
        position = {p.arxiv_id: i for i, p in enumerate(known)}
        position.update({p.arxiv_id: len(known) + i for i, p in enumerate(missing)})
        return stacked[[position[p.arxiv_id] for p in papers]]


def fit_vocabulary(window: Sequence[Paper]) -> Vocabulary:
    """The TF-IDF of the window (each arXiv id once, the last version seen kept)."""
    # scikit-learn is imported here, not with the module: its import takes seconds, and the bot
    # answers its first command before the ranker has anything to do.
    from sklearn.feature_extraction.text import TfidfVectorizer

    unique = list({paper.arxiv_id: paper for paper in window}.values())
    vectorizer = TfidfVectorizer(
        sublinear_tf=True, ngram_range=(1, 2), min_df=2, stop_words="english", dtype=np.float32
    )
    matrix = vectorizer.fit_transform([paper_text(p) for p in unique]).tocsr()
    digest = hashlib.sha256("\n".join(vectorizer.get_feature_names_out()).encode())
    return Vocabulary(
        vectorizer=vectorizer,
        fingerprint=digest.hexdigest()[:16],
        rows={p.arxiv_id: i for i, p in enumerate(unique)},
        matrix=matrix,
    )


@dataclass(frozen=True)
class ChatModel:
    """One chat's weights over a vocabulary: sparse (only its strongest terms), so a chat costs
    kilobytes, not the vocabulary's size."""

    vocabulary: Vocabulary
    columns: np.ndarray
    weights: np.ndarray
    intercept: float
    # The margins under which the low and high thresholds hide a paper (see KEPT_BY_LOW).
    cuts: tuple[float, float] = (-math.inf, -math.inf)
    # Where the model is least sure (what /calibrate and the 🎲 slot ask about): not 0, as on a
    # new day's papers its margins for liked papers run below 0.
    boundary: float = 0.0

    def decision(self, vectors: sparse.csr_matrix) -> np.ndarray:
        """The logistic regression's margin for each row (positive: likely liked)."""
        picked = vectors[:, self.columns]
        return np.asarray(picked @ self.weights).ravel() + self.intercept

    def to_bytes(self) -> bytes:
        """The model for a database column: its terms by name, their weights and the intercept
        (numpy's own format, no pickle: loading runs no code)."""
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            terms=self.vocabulary.terms[self.columns].astype(str),
            weights=self.weights,
            intercept=np.array(self.intercept),
            cuts=np.array(self.cuts),
            boundary=np.array(self.boundary),
        )
        return buffer.getvalue()


def model_from_bytes(data: bytes, vocabulary: Vocabulary) -> ChatModel | None:
    """The stored model read against `vocabulary`: each of its terms the vocabulary knows keeps
    its weight. None when it knows none of them (nothing left to score with)."""
    with np.load(io.BytesIO(data), allow_pickle=False) as stored:
        terms = stored["terms"]
        weights = stored["weights"].astype(np.float32)
        intercept = float(stored["intercept"])
        low, high = (
            (float(c) for c in stored["cuts"]) if "cuts" in stored.files else (-math.inf,) * 2
        )
        boundary = float(stored["boundary"]) if "boundary" in stored.files else 0.0
    index = vocabulary.vectorizer.vocabulary_
    kept = [(index[term], i) for i, term in enumerate(terms.tolist()) if term in index]
    if not kept:
        return None
    columns, rows = zip(*sorted(kept), strict=True)
    return ChatModel(
        vocabulary=vocabulary,
        columns=np.array(columns, dtype=np.int64),
        weights=weights[list(rows)],
        intercept=intercept,
        cuts=(low, high),
        boundary=boundary,
    )


def is_trainable(signals: Sequence[tuple[Paper, Feedback]]) -> bool:
    """True from MIN_POSITIVE liked and MIN_NEGATIVE disliked papers on."""
    positive = sum(_LABEL[kind] for _, kind in signals)
    return positive >= MIN_POSITIVE and len(signals) - positive >= MIN_NEGATIVE


def train(
    vocabulary: Vocabulary,
    signals: Sequence[tuple[Paper, Feedback]],
    unreacted: Sequence[Paper] = (),
) -> ChatModel | None:
    """The chat's model from its signals (the last one per paper counts) and the recent papers
    of its categories it did not react to (weak negatives); None below the minimum signals."""
    latest = {paper.arxiv_id: (paper, kind) for paper, kind in signals}
    reacted = list(latest.values())
    if not is_trainable(reacted):
        return None
    weak = [p for p in {p.arxiv_id: p for p in unreacted}.values() if p.arxiv_id not in latest]
    papers = [paper for paper, _ in reacted] + weak
    labels = np.array([_LABEL[kind] for _, kind in reacted] + [0] * len(weak))
    weights = np.array(
        [_WEIGHT[kind] for _, kind in reacted] + [WEAK_NEGATIVE_WEIGHT] * len(weak),
        dtype=np.float64,
    )
    vectors = vocabulary.vectors(papers)
    # Only the columns the training papers use can get a weight (L2 keeps the rest at zero), so
    # training on them alone is the same fit, smaller and faster.
    columns = np.unique(vectors.indices).astype(np.int64)
    if not columns.size:
        return None  # none of the papers has a term of the vocabulary: nothing to learn from
    used = vectors[:, columns]
    fit = _fitter(used, labels, weights)
    classifier = fit(np.arange(len(papers)))
    low, high, boundary = _cuts(fit, used, labels)
    coefficients = classifier.coef_[0].astype(np.float32)
    strongest = np.sort(np.argsort(-np.abs(coefficients), kind="stable")[:MAX_TERMS])
    strongest = strongest[coefficients[strongest] != 0]
    if not strongest.size:
        return None  # the signals contradict each other term for term: nothing learnt
    return ChatModel(
        vocabulary=vocabulary,
        columns=columns[strongest],
        weights=coefficients[strongest],
        intercept=float(classifier.intercept_[0]),
        cuts=(low, high),
        boundary=boundary,
    )


def _fitter(
    vectors: sparse.csr_matrix, labels: np.ndarray, weights: np.ndarray
) -> Callable[..., Any]:
    """A function fitting the chat's logistic regression on the given rows."""
    from sklearn.linear_model import LogisticRegression

    def fit(rows: np.ndarray, tol: float = 1e-4) -> Any:
        # liblinear: the same ranking as lbfgs on the benchmark's readers, in half the time;
        # its dual form, as there are far fewer rows (a few hundred papers) than columns (tens
        # of thousands of terms): half the time again. C=10 regularises little, signals are few
        # and clean.
        classifier = LogisticRegression(
            class_weight="balanced", C=10.0, solver="liblinear", dual=True, tol=tol
        )
        return classifier.fit(vectors[rows], labels[rows], sample_weight=weights[rows])

    return fit


def _cuts(
    fit: Callable[..., Any], vectors: sparse.csr_matrix, labels: np.ndarray
) -> tuple[float, float, float]:
    """The low and high thresholds' margins and the model's boundary, from margins of papers
    each scored by the model of the other fold (two halves of a fixed shuffle, so a chat's
    order of presses cannot put every like in one half): the cuts at the shares of the liked
    papers KEPT_BY_LOW and KEPT_BY_HIGH keep, the boundary halfway between the median liked
    and the median other paper."""
    rows = np.arange(len(labels))
    shuffled = np.random.default_rng(0).permutation(rows)
    liked_margins: list[float] = []
    other_margins: list[float] = []
    for fold in (shuffled[::2], shuffled[1::2]):
        rest = np.setdiff1d(rows, fold)
        if len(set(labels[rest].tolist())) < 2:
            continue
        # A looser tolerance: the cuts are quantiles of a few margins, not a ranking.
        margins = fit(rest, 1e-2).decision_function(vectors[fold])
        liked_margins.extend(margins[labels[fold] == 1].tolist())
        other_margins.extend(margins[labels[fold] == 0].tolist())
    if not liked_margins or not other_margins:
        return (-math.inf, -math.inf, 0.0)  # too few to measure: the thresholds hide nothing
    low, high = np.quantile(liked_margins, [1 - KEPT_BY_LOW, 1 - KEPT_BY_HIGH])
    boundary = (float(np.median(liked_margins)) + float(np.median(other_margins))) / 2
    return (float(low), float(high), boundary)


def score(model: ChatModel | None, papers: Sequence[Paper]) -> tuple[float, ...] | None:
    """How much the chat should like each paper (higher first); None means "no model" (too few
    signals yet): keep the rules' order."""
    if model is None:
        return None
    if not papers:
        return ()
    return tuple(float(s) for s in model.decision(model.vocabulary.vectors(papers)))


def top_terms(model: ChatModel, paper: Paper, count: int = 3) -> tuple[str, ...]:
    """The terms that raise the paper's score most, strongest first (the "why" of an entry)."""
    row = model.vocabulary.vectors([paper])[:, model.columns].tocoo()
    contributions = row.data * model.weights[row.col]
    best = np.argsort(-contributions, kind="stable")[:count]
    terms = model.vocabulary.terms
    return tuple(str(terms[model.columns[row.col[i]]]) for i in best if contributions[i] > 0)


def uncertain(model: ChatModel, papers: Sequence[Paper], count: int) -> list[Paper]:
    """The papers closest to the model's boundary, least sure first (what to ask about)."""
    if not papers or count <= 0:
        return []
    margins = np.abs(model.decision(model.vocabulary.vectors(papers)) - model.boundary)
    return [papers[i] for i in np.argsort(margins, kind="stable")[:count]]


def similar(
    vocabulary: Vocabulary, paper: Paper, candidates: Sequence[Paper], count: int
) -> list[Paper]:
    """The candidates most like `paper` by cosine over TF-IDF ("more like this"), most similar
    first; the paper itself and papers sharing nothing with it are left out."""
    if not candidates or count <= 0:
        return []
    target = vocabulary.vectors([paper])
    # Rows are L2-normalised, so the dot product is the cosine.
    cosines = np.asarray((vocabulary.vectors(candidates) @ target.T).todense()).ravel()
    order = np.argsort(-cosines, kind="stable")
    picked: list[Paper] = []
    for i in order:
        if cosines[i] <= 0 or len(picked) == count:
            break
        if candidates[i].arxiv_id != paper.arxiv_id:
            picked.append(candidates[i])
    return picked

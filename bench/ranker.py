"""The per-chat ranker (bot/ranker.py) on real arXiv days: does it find what a reader wants
better than the rules' order, and is it cheap enough to train per chat and to answer "more like
this"?

The days are the real announcements beside the repository (`../shared/data/arxiv-days/`, one
gzipped JSON line per paper); without them the benchmark says so and measures nothing.

Simulated readers each follow the whole `cs` archive without keywords (so the rules show them
everything, in feed order) and have a hidden interest that cuts across its categories, a set of
phrases over title and abstract ("diffusion model", "graph neural", "surface code", ...). For
five announcement days each presses 👍 on every paper of the interest and 👎 on a few others,
and the papers left unreacted that day are the model's weak negatives (a sample of them). On
the sixth day:
- `ranker_precision_at_10`: the share of the model's first ten papers that are of the reader's
  interest, averaged over the readers (target >= 0.5);
- `rules_precision_at_10`: the same for the first ten of `build_digest` (bot/match.py) on the
  same day and readers; the ranker must reach 3x it;
- `ranker_train_ms_per_chat`: the mean time of `train` for one reader's five days (target 50 ms);
  the vocabulary is fitted once a day for every chat, and is not counted;
- `more_like_this_ms`: the mean time of `similar` for a paper of the sixth day against every
  paper of the 30 days before it (the vocabulary's window), for 20 papers (target 200 ms).
"""

from __future__ import annotations

import gzip
import json
import random
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.report import figure
from bot.match import build_digest
from bot.models import AnnounceType, Interests, Paper
from bot.ranker import Feedback, Vocabulary, fit_vocabulary, paper_text, score, similar, train

DAYS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "arxiv-days"
SEED = 2026
WINDOW_DAYS = 30
TRAIN_DAYS = 5
# 👎 pressed on this many of the day's other papers; unreacted papers kept as weak negatives.
DOWNS_PER_DAY = 4
WEAK_NEGATIVES_PER_DAY = 60
SIMILAR_SAMPLES = 20
EVERYTHING = 10**6
ARCHIVE = Interests(categories=frozenset({"cs"}))

# Hidden interests, each a set of phrases (regular expressions over the lower-cased title and
# abstract) that cut across cs categories.
INTERESTS: dict[str, tuple[str, ...]] = {
    "diffusion models": (r"diffusion model", r"denoising diffusion", r"score-based", r"\bddpm"),
    "graph neural networks": (r"graph neural", r"\bgnns?\b", r"message passing", r"graph conv"),
    "quantum computing": (r"\bquantum\b", r"\bqubits?\b"),
    "llm agents": (
        r"\bllm[- ]based agent",
        r"\bagentic\b",
        r"language model agents?",
        r"\bagents\b",
    ),
    "reinforcement learning": (r"reinforcement learning", r"policy gradient", r"\breward model"),
    "privacy": (r"differential privacy", r"differentially private", r"\bfederated\b"),
    "speech and audio": (r"\bspeech\b", r"\baudio\b", r"\bspeaker\b"),
    "medical imaging": (r"\bmedical imag", r"\bmri\b", r"\bct scans?\b", r"\bradiolog"),
    "jailbreaks and safety": (r"\bjailbreak", r"\bred[- ]teaming\b", r"\bprompt injection"),
    "robot manipulation": (r"\brobot(ic)? manipulation", r"\bgrasp", r"\bdexterous\b"),
}
QUICK_READERS = 4


@dataclass(frozen=True)
class Reader:
    """A simulated chat: its hidden interest and its own random choices."""

    name: str
    pattern: re.Pattern[str]

    def likes(self, paper: Paper) -> bool:
        """Whether the paper is of the reader's interest (what it would 👍)."""
        return self.pattern.search(paper_text(paper).lower()) is not None


def day_files() -> list[Path]:
    """The day files in date order (empty when the folder is absent)."""
    return sorted(DAYS.glob("*.jsonl.gz")) if DAYS.is_dir() else []


def read_day(path: Path) -> list[Paper]:
    """One day's papers as the bot stores them (primary category first)."""
    papers = []
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            primary = record.get("primary")
            categories = [primary] if primary else []
            categories += [c for c in record["categories"] if c != primary]
            papers.append(
                Paper(
                    arxiv_id=record["id"],
                    version=1,
                    title=record["title"],
                    abstract=record["abstract"],
                    authors=tuple(record["authors"]),
                    categories=tuple(categories),
                    announce_type=AnnounceType(record.get("announce_type") or "new"),
                )
            )
    return papers


def shown(papers: list[Paper], cap: int = EVERYTHING) -> list[Paper]:
    """What the rules show a reader following the archive, in the rules' order."""
    digest = build_digest(papers, ARCHIVE, announced=None, cap=cap)
    return [entry.paper for entry in digest.entries]


def _signals(
    reader: Reader, days: list[list[Paper]], rng: random.Random
) -> tuple[list[tuple[Paper, Feedback]], list[Paper]]:
    """The reader's five days: 👍 on its interest, 👎 on a few others; and a sample of the
    unreacted papers as weak negatives."""
    signals: list[tuple[Paper, Feedback]] = []
    unreacted: list[Paper] = []
    for day in days:
        liked = [p for p in day if reader.likes(p)]
        rest = [p for p in day if not reader.likes(p)]
        downs = rng.sample(rest, min(DOWNS_PER_DAY, len(rest)))
        signals += [(p, Feedback.UP) for p in liked] + [(p, Feedback.DOWN) for p in downs]
        left = [p for p in rest if p not in downs]
        unreacted += rng.sample(left, min(WEAK_NEGATIVES_PER_DAY, len(left)))
    return signals, unreacted


def _precision(reader: Reader, papers: list[Paper]) -> float:
    return sum(reader.likes(p) for p in papers[:10]) / 10


@dataclass(frozen=True)
class Ranked:
    """One reader's sixth day: the papers in the model's order (None without a model), the
    training time, and for each threshold (low, high) the share of the reader's liked papers it
    keeps and the share of all papers it shows."""

    papers: list[Paper] | None
    seconds: float
    kept: tuple[float, float] = (1.0, 1.0)
    shown: tuple[float, float] = (1.0, 1.0)


def _ranked(
    vocabulary: Vocabulary,
    reader: Reader,
    history: list[list[Paper]],
    today: list[Paper],
    rng: random.Random,
) -> Ranked:
    """The reader's model trained on its five days, applied to the sixth."""
    signals, unreacted = _signals(reader, history, rng)
    started = time.perf_counter()
    model = train(vocabulary, signals, unreacted)
    elapsed = time.perf_counter() - started
    scores = score(model, today)
    if model is None or scores is None:
        return Ranked(None, elapsed)
    order = sorted(range(len(today)), key=lambda i: -scores[i])
    liked = [s for p, s in zip(today, scores, strict=True) if reader.likes(p)] or [0.0]
    kept = tuple(sum(s >= cut for s in liked) / len(liked) for cut in model.cuts)
    shown = tuple(sum(s >= cut for s in scores) / len(scores) for cut in model.cuts)
    return Ranked([today[i] for i in order], elapsed, (kept[0], kept[1]), (shown[0], shown[1]))


def run(quick: bool = False) -> Iterator[str]:
    """Yield the ranker figures over the last 30 days of the real days."""
    files = day_files()
    if len(files) < TRAIN_DAYS + 1:
        yield f"ranker_precision_at_10: skipped (no real days at {DAYS.name}/ beside the repo)"
        return
    window_files = files[-(WINDOW_DAYS + 1) :]
    days = [read_day(path) for path in window_files]
    started = time.perf_counter()
    vocabulary = fit_vocabulary([p for day in days for p in day])
    fit_seconds = time.perf_counter() - started
    history = [shown(day) for day in days[-(TRAIN_DAYS + 1) : -1]]
    today = shown(days[-1])
    rules_top = shown(days[-1], cap=10)
    readers = [Reader(name, re.compile("|".join(phrases))) for name, phrases in INTERESTS.items()][
        : QUICK_READERS if quick else None
    ]
    # The ranker imports scikit-learn's classifier at its first training (the bot imports it once
    # per process): imported here, so the time of one import is not counted as training.
    import sklearn.linear_model  # noqa: F401

    rng = random.Random(SEED)
    ranker_precisions, rules_precisions, train_seconds = [], [], []
    results = []
    without_model = 0
    for reader in readers:
        result = _ranked(vocabulary, reader, history, today, rng)
        results.append(result)
        train_seconds.append(result.seconds)
        ranked = result.papers
        if ranked is None:
            without_model += 1
            ranked = today
        ranker_precisions.append(_precision(reader, ranked))
        rules_precisions.append(_precision(reader, rules_top))
    ranker_p = sum(ranker_precisions) / len(readers)
    rules_p = sum(rules_precisions) / len(readers)
    context = f" ({len(readers)} readers, {len(today)} papers on {window_files[-1].name[:10]}"
    context += f", {without_model} without a model)" if without_model else ")"
    yield figure(
        "ranker_precision_at_10",
        ranker_p,
        context,
        ">= 0.5 and >= 3x rules",
        ranker_p >= 0.5 and ranker_p >= 3 * rules_p,
    )
    yield figure("rules_precision_at_10", rules_p, "", "informative", True)
    for index, name, promised in ((0, "low", 0.95), (1, "high", 0.75)):
        kept = sum(r.kept[index] for r in results) / len(results)
        visible = sum(r.shown[index] for r in results) / len(results)
        yield figure(
            f"threshold_{name}_kept_likes",
            kept,
            f" of the liked papers kept, showing {visible:.0%} of the day",
            f"about {promised:.2f} (the threshold's promise)",
            abs(kept - promised) <= 0.15,
        )
    train_ms = 1000 * sum(train_seconds) / len(train_seconds)
    yield figure("ranker_train_ms_per_chat", train_ms, " ms", "<= 50 ms", train_ms <= 50)
    candidates = [p for day in days[:-1] for p in day]
    asked = random.Random(SEED).sample(days[-1], min(SIMILAR_SAMPLES, len(days[-1])))
    started = time.perf_counter()
    for paper in asked:
        similar(vocabulary, paper, candidates, 5)
    similar_ms = 1000 * (time.perf_counter() - started) / len(asked)
    yield figure(
        "more_like_this_ms",
        similar_ms,
        f" ms (over {len(candidates)} papers of {len(days) - 1} days; the vocabulary's daily fit"
        f" took {fit_seconds:.1f} s)",
        "<= 200 ms",
        similar_ms <= 200,
    )

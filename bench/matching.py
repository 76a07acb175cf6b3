"""Matching every chat at once: the indexed matcher (bot/match_index.py) against one
`build_digest` call per chat, on the same papers and chats.

The papers are the 62 of the two fixture feeds (tests/fixtures: a `stat` day in the current
format, a `cs` day in the old one, both written by the project), copied under new arXiv ids to
make one announcement of 3,000 distinct papers (a copy's abstract ends with its copy number, so
no two texts are equal and nothing is tokenised for free).

The chats are generated from a fixed seed, the first N the same for every N: 1–5 categories
drawn in proportion to how many papers list them (so `cs.LG` and `stat.ML` often, aliases such as
`cs.SY`/`eess.SY` as they come), a whole archive (`cs`, `math`, `stat`, …) for one chat in 25;
0–8 keyword terms typed as a user would and read by `parse_keywords` (words and quoted phrases
from the papers' titles that occur in 0.6–6 % of them, one term in seven an `-exclusion`); one
chat in ten follows one or two authors of these papers; one in twenty has keywords and no
category. Caps are 20, 10 or 50; one chat in ten has a ledger of papers already sent (older
versions, or the same).

Figures:
- `match_speedup_{1k,10k,100k}`: naive seconds ÷ indexed seconds for all the chats. The naive
  scan costs about 60 ms a chat, so it is timed on a random sample of chats (500; 60 with
  --quick) and extrapolated linearly, which is exact for it: each chat is an independent scan
  of all the papers. Both sides fold every title and abstract once (LaTeX rendered, accents
  folded: bot/folding.py; seconds, not milliseconds, for 3,000 papers) from cold caches; the
  naive side's folding is timed apart and counted once, not extrapolated per chat. The indexed
  time includes building the index and folding and tokenising the papers.
  The target is 50x at 100k chats, the scale the index is for; at 1k and 10k it is only that
  the index is never slower, because its fixed cost per announcement (indexing the papers, one
  lookup per distinct keyword) is shared by fewer chats there.
- `match_digests_differing`: sampled chats whose indexed digest is not equal to the naive one,
  at every scale (entries, order, reasons, announce types, totals); anything but 0 is a bug.
- `match_seconds_per_1k_chats_{1k,10k,100k}` and `match_scaling_{1k_to_10k,10k_to_100k}`: the
  indexed time per thousand chats, and how much it grows for ten times the chats (<= 12x:
  linear in the chats, the papers' indexing amortised).
- `peak_memory_100k_mb`: peak RSS of a fresh interpreter that generates the 100k chats and
  builds the index and every one of the 100k digests, keeping none but the sampled ones, as
  the push does (the 100k timing comes from the same run). The
  child reports its own `getrusage(RUSAGE_SELF).ru_maxrss`, not the parent's RUSAGE_CHILDREN:
  that one is the largest of every child ever waited for, and the delivery benchmark runs a
  fake Bot API process of its own.
"""

from __future__ import annotations

import argparse
import pickle
import random
import re
import resource
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import cache
from itertools import pairwise
from pathlib import Path

from bench.report import figure
from bot import names
from bot.match import _tokens, build_digest, keyword_tokens, parse_keywords
from bot.match_index import AnnouncementIndex
from bot.models import Digest, Interests, Keyword, Paper
from bot.render.latex import latex_to_text
from bot.sources.rss import parse_feed
from bot.sources.taxonomy import get_taxonomy

FIXTURES = Path(__file__).parent.parent / "tests" / "fixtures"
PAPERS = 3000
SCALES = (1_000, 10_000, 100_000)
SEED = 2026
DAY = date(2026, 11, 20)
# Words too common to be anyone's keyword.
_STOPWORDS = frozenset(
    """about above across after again against also among analysis approach based been being
    below between both case cases could data does doing during each from further have having
    into itself just learning method methods model models more most must novel only other over
    paper problem problems results same should show some such than that their them then there
    these they this those through under until using very were what when where which while
    with within without would""".split()  # noqa: SIM905 (a list literal of 80 words reads worse)
)


@cache
def announcement() -> tuple[Paper, ...]:
    """3,000 distinct papers: the fixture feeds' papers, copied under new ids until there are
    enough; copies keep categories, authors, versions and announce types."""
    feeds = sorted([*FIXTURES.glob("rss-*.xml"), *FIXTURES.glob("*.rdf")])
    originals = [paper for path in feeds for paper in parse_feed(path.read_bytes()).papers]
    papers = []
    for i in range(PAPERS):
        original = originals[i % len(originals)]
        copy = i // len(originals)
        abstract = f"{original.abstract} ({copy})" if copy else original.abstract
        papers.append(replace(original, arxiv_id=f"2611.{i:05d}", abstract=abstract))
    return tuple(papers)


@dataclass(frozen=True)
class _Pools:
    """What generated chats draw from, with the weights of the draw."""

    categories: tuple[str, ...]
    category_weights: tuple[int, ...]
    archives: tuple[str, ...]
    archive_weights: tuple[int, ...]
    words: tuple[str, ...]
    phrases: tuple[str, ...]
    authors: tuple[str, ...]


def _pools(papers: Sequence[Paper]) -> _Pools:
    taxonomy = get_taxonomy()
    listed = Counter(category for paper in papers for category in paper.categories)
    archives: Counter[str] = Counter()
    for code, count in listed.items():
        known = taxonomy.category(code)
        if known is not None and taxonomy.is_archive(known.archive):
            archives[known.archive] += count
    originals = {paper.title: paper for paper in papers}.values()
    # How many papers each (stemmed) word occurs in.
    frequency: Counter[str] = Counter()
    for paper in originals:
        frequency.update({*_tokens(paper.title).words, *_tokens(paper.abstract).words})
    low, high = 0.006 * len(originals), 0.06 * len(originals)

    def topical(word: str) -> bool:
        stems = keyword_tokens(Keyword(word))
        return (
            len(word) >= 4
            and word not in _STOPWORDS
            and len(stems) == 1
            and low <= frequency[stems[0]] <= high
        )

    words: set[str] = set()
    phrases: set[str] = set()
    for paper in originals:
        title = re.findall(r"[a-z]+", paper.title.casefold())
        words.update(w for w in title if topical(w))
        phrases.update(
            f"{a} {b}"
            for a, b in pairwise(title)
            if len(a) >= 4 and len(b) >= 4 and not {a, b} & _STOPWORDS
        )
    return _Pools(
        categories=tuple(listed),
        category_weights=tuple(listed.values()),
        archives=tuple(archives),
        archive_weights=tuple(archives.values()),
        words=tuple(sorted(words)),
        phrases=tuple(sorted(phrases)),
        authors=tuple(sorted({name for paper in originals for name in paper.authors})),
    )


@dataclass(frozen=True)
class Workload:
    """The chats of one run: their interests, caps and ledgers."""

    interests: dict[int, Interests]
    caps: dict[int, int]
    ledgers: dict[int, dict[str, int]]


def _followed(rng: random.Random, name: str) -> str:
    """A name as a user types it: in full, as `Y. LeCun`, or just the surname."""
    parts = name.split()
    draw = rng.random()
    if len(parts) < 2 or draw < 0.6:
        return name
    return f"{parts[0][0]}. {parts[-1]}" if draw < 0.85 else parts[-1]


def workload(chats: int, papers: Sequence[Paper]) -> Workload:
    """`chats` generated chats; the first N are the same whatever `chats` is."""
    pools = _pools(papers)
    rng = random.Random(SEED)
    interests: dict[int, Interests] = {}
    caps: dict[int, int] = {}
    ledgers: dict[int, dict[str, int]] = {}
    for chat_id in range(chats):
        keyword_only = rng.random() < 0.05
        categories: set[str] = set()
        if not keyword_only:
            categories.update(
                rng.choices(pools.categories, pools.category_weights, k=rng.randint(1, 5))
            )
            if rng.random() < 0.04:
                categories.update(rng.choices(pools.archives, pools.archive_weights))
        terms = []
        for n in range(rng.randint(1, 8) if keyword_only else rng.randint(0, 8)):
            term = (
                f'"{rng.choice(pools.phrases)}"' if rng.random() < 0.2 else rng.choice(pools.words)
            )
            # A keyword-only chat's first term is what it is looking for.
            excluded = rng.random() < 0.15 and not (keyword_only and n == 0)
            terms.append(f"-{term}" if excluded else term)
        includes, excludes = parse_keywords(" ".join(terms))
        authors = ()
        if rng.random() < 0.1:
            authors = tuple(_followed(rng, a) for a in rng.sample(pools.authors, rng.randint(1, 2)))
        interests[chat_id] = Interests(
            categories=frozenset(categories),
            keywords=tuple(includes),
            excludes=tuple(excludes),
            authors=authors,
            include_cross=rng.random() < 0.9,
            include_replacements=rng.random() < 0.2,
        )
        caps[chat_id] = rng.choices((20, 10, 50), (70, 15, 15))[0]
        if rng.random() < 0.1:
            sent = rng.sample(papers, 5)
            ledgers[chat_id] = {p.arxiv_id: max(p.version - rng.randint(0, 1), 1) for p in sent}
    return Workload(interests, caps, ledgers)


def _naive(
    papers: Sequence[Paper], work: Workload, chat_ids: Sequence[int]
) -> tuple[float, float, dict[int, Digest]]:
    """One build_digest per chat, as bot/digest.py does today: the seconds of folding the
    papers' text once (the first chat would pay it for all: cached after), the seconds of the
    chats, and their digests."""
    _clear_caches()
    started = time.perf_counter()
    for paper in papers:
        _tokens(paper.title), _tokens(paper.abstract)
        for name in paper.authors:
            names.readings(name)
    folded = time.perf_counter()
    digests = {
        chat_id: build_digest(
            papers,
            work.interests[chat_id],
            announced=DAY,
            cap=work.caps[chat_id],
            sent_versions=work.ledgers.get(chat_id),
        )
        for chat_id in chat_ids
    }
    return folded - started, time.perf_counter() - folded, digests


def _clear_caches() -> None:
    """Cold caches, as a new announcement finds them: folding (which renders the LaTeX) and
    reading names are part of matching."""
    _tokens.cache_clear()
    latex_to_text.cache_clear()
    names.readings.cache_clear()
    names._words.cache_clear()


def _indexed(
    papers: Sequence[Paper], work: Workload, keep: Collection[int]
) -> tuple[float, dict[int, Digest]]:
    """Index every chat and build every digest: seconds, and the digests of the chats in `keep`
    (the push queues each digest as it comes and keeps none; so does this)."""
    # The naive run warmed the caches; indexing pays for folding the text, as it does live.
    _clear_caches()
    started = time.perf_counter()
    index = AnnouncementIndex(papers)
    kept = {}
    for chat_id, digest in index.digests(
        work.interests.items(),
        announced=DAY,
        caps=work.caps,
        ledger=lambda chat_id, _: work.ledgers.get(chat_id, {}),
    ):
        if chat_id in keep:
            kept[chat_id] = digest
    return time.perf_counter() - started, kept


@dataclass(frozen=True)
class _Child:
    """What the 100k run in a fresh interpreter reports."""

    seconds: float
    peak_kib: int
    workload_kib: int
    digests: dict[int, Digest]


def _in_child(chats: int, sample: Sequence[int]) -> _Child:
    """The indexed run for `chats` in a fresh interpreter, so its peak memory is its own."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.matching",
            "--child",
            str(chats),
            "--sample",
            ",".join(map(str, sample)),
        ],
        cwd=Path(__file__).parent.parent,
        capture_output=True,
        check=True,
    )
    # A plain dict: the child runs as __main__, whose classes the parent cannot unpickle.
    report = pickle.loads(done.stdout)
    return _Child(**report)


def _child_main(chats: int, sample: Sequence[int]) -> None:
    papers = announcement()
    work = workload(chats, papers)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    seconds, shown = _indexed(papers, work, set(sample))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    report = {"seconds": seconds, "peak_kib": peak, "workload_kib": before, "digests": shown}
    sys.stdout.buffer.write(pickle.dumps(report))


def _differing(naive: Mapping[int, Digest], indexed: Mapping[int, Digest]) -> int:
    return sum(1 for chat_id, digest in naive.items() if indexed.get(chat_id) != digest)


def run(quick: bool = False) -> list[str]:
    """Measure and return the figure lines."""
    papers = announcement()
    work = workload(SCALES[1], papers)
    sample = sorted(random.Random(SEED + 1).sample(range(SCALES[0]), 60 if quick else 500))
    fold_seconds, naive_seconds, naive = _naive(papers, work, sample)
    per_chat = naive_seconds / len(sample)
    seconds: dict[int, float] = {}
    differing = 0
    for chats in SCALES[:2]:
        part = Workload({i: work.interests[i] for i in range(chats)}, work.caps, work.ledgers)
        seconds[chats], digests = _indexed(papers, part, set(sample))
        differing += _differing(naive, digests)
        del digests
    child = _in_child(SCALES[2], sample)
    seconds[SCALES[2]] = child.seconds
    differing += _differing(naive, child.digests)
    lines = [
        f"# matching: {len(papers)} papers; naive build_digest timed on {len(sample)} sampled "
        f"chats ({per_chat * 1000:.0f} ms a chat) after folding the papers' text once "
        f"({fold_seconds:.1f} s), extrapolated linearly to all chats",
    ]
    for chats in SCALES:
        speedup = (fold_seconds + per_chat * chats) / seconds[chats]
        target = 50 if chats == SCALES[-1] else 1
        lines.append(
            figure(
                f"match_speedup_{chats // 1000}k",
                speedup,
                "x",
                f">= {target}x",
                speedup >= target,
            )
        )
    compared = len(sample) * len(SCALES)
    lines.append(
        figure(
            "match_digests_differing",
            differing,
            "",
            f"0 of {compared} compared ({len(sample)} chats at each scale)",
            differing == 0,
        )
    )
    for chats in SCALES:
        lines.append(
            figure(
                f"match_seconds_per_1k_chats_{chats // 1000}k",
                seconds[chats] / chats * 1000,
                "s",
                f"informative: {seconds[chats]:.1f} s for {chats:,} chats",
                True,
            )
        )
    for small, large in pairwise(SCALES):
        growth = seconds[large] / seconds[small]
        lines.append(
            figure(
                f"match_scaling_{small // 1000}k_to_{large // 1000}k",
                growth,
                "x",
                "<= 12x for 10x chats",
                growth <= 12,
            )
        )
    peak_mb = child.peak_kib / 1024
    lines.append(
        figure(
            "peak_memory_100k_mb",
            peak_mb,
            " MB",
            f"<= 500 MB; {child.workload_kib / 1024:.0f} MB of it the papers and chats",
            peak_mb <= 500,
        )
    )
    return lines


def main() -> None:
    """`python -m bench.matching [--quick]`; `--child N` is the measured 100k run."""
    parser = argparse.ArgumentParser(prog="bench.matching")
    parser.add_argument("--quick", action="store_true", help="a smaller naive sample")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--sample", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child_main(args.child, [int(i) for i in args.sample.split(",") if i])
        return
    for line in run(quick=args.quick):
        print(line, flush=True)


if __name__ == "__main__":
    main()

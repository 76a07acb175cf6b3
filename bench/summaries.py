"""One-line summaries on real arXiv days: how many open mid-argument ("Moreover, …", "To address
these issues, …", "This enables …"), read without the sentence before them.

The days are the real announcements beside the repository (`../shared/data/arxiv-days/`, one
gzipped JSON line per paper); without them the benchmark says so and measures nothing.

Figures:
- `summary_mid_argument_share`: summaries that open with a connective or a back-reference, as
  `bot.summarize.opens_mid_argument` reads them, over every paper of the days run (target <= 1%).
  Before summaries dropped such lead-ins it was 21.8% on all 156 days (85,569 papers), after
  0.02% (the abstracts where no sentence stands alone).
- `summary_empty`, `summary_over_limit`: summaries of a non-empty abstract that are empty, and
  summaries longer than `SUMMARY_LIMIT` (target 0 each).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

from bench.report import figure
from bot.summarize import SUMMARY_LIMIT, one_line_summary, opens_mid_argument
from bot.text import normalize_space

DAYS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "arxiv-days"
SHARE_TARGET = 1.0
# QUICK: a week of days spread over the window, enough to see a change.
QUICK_DAYS = 7


def day_files(quick: bool) -> list[Path]:
    """The day files to run, in date order; a spread sample of them with `quick`."""
    files = sorted(DAYS.glob("*.jsonl.gz")) if DAYS.is_dir() else []
    if quick and len(files) > QUICK_DAYS:
        step = len(files) // QUICK_DAYS
        files = files[::step][:QUICK_DAYS]
    return files


def papers(path: Path) -> Iterator[tuple[str, str]]:
    """(title, abstract) of each paper of one day, spaces normalised as the bot does."""
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            yield normalize_space(record["title"]), normalize_space(record["abstract"])


def run(quick: bool = False) -> Iterator[str]:
    """Yield the summary figures over the days (all of them, or a sample with `quick`)."""
    files = day_files(quick)
    if not files:
        yield f"summary_mid_argument_share: skipped (no real days at {DAYS.name}/ beside the repo)"
        return
    total = mid_argument = empty = over = 0
    for path in files:
        for title, abstract in papers(path):
            summary = one_line_summary(abstract, title)
            total += 1
            mid_argument += opens_mid_argument(summary)
            empty += bool(abstract.strip()) and not summary
            over += len(summary) > SUMMARY_LIMIT
        one_line_summary.cache_clear()
    share = 100 * mid_argument / max(total, 1)
    yield figure(
        "summary_mid_argument_share",
        share,
        f"% ({mid_argument} of {total} papers, {len(files)} days)",
        f"<= {SHARE_TARGET:g}%",
        share <= SHARE_TARGET,
    )
    yield figure("summary_empty", empty, "", "0", empty == 0)
    yield figure("summary_over_limit", over, "", "0", over == 0)

"""The normaliser on every real arXiv day: what a reader would miss of what arXiv said.

Runs `bot.audit` (the `python -m bot audit` figures) over the 156 announcement days of
`../shared/data/arxiv-days` (85,569 papers; three days with --quick). Before the normaliser,
pylatexenc read abstracts as LaTeX source: 1,198 of 8,668 abstracts on ten days lost over 10%
of their words (cut at a bare `%`, `1<p ... p > q` read as HTML, unknown macros dropped).

Figures:
- `fidelity_abstracts_losing_text`: abstracts missing over 10% of their words (words of the raw
  text outside math and LaTeX commands, accent-folded, missing from the output). Target 0.
- `fidelity_word_recall_pct`: share of all those words found in the output. Target 99.99%: the
  rest are words the measure cannot see the same way on both sides (unit strings written with
  math spacing such as `200\\,m`, math written outside `$`).
- `fidelity_math_vanished`: math spans whose output is empty. Target 0.
- `fidelity_signs_lost`: `%`, `<` and `>` of the raw text missing from the output. Target 0.
- `fidelity_leftover_commands_per_1k`: backslash commands left in the output per 1,000 papers:
  macros the normaliser does not know (mostly authors' own, `\\method`, `\\ours`), kept as
  written so nothing vanishes; the most frequent are named. The issue's target is 5.
- `fidelity_seconds_per_1k_papers`: normalising time per 1,000 abstracts, cache emptied.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from bench.report import figure
from bot.arxiv_text import display_text
from bot.audit import audit_days, day_files

DAYS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "arxiv-days"
RECALL_TARGET = 99.99
LEFTOVER_TARGET = 5.0


def run(quick: bool = False) -> Iterator[str]:
    """Yield the fidelity figures over every day (three with `quick`)."""
    files = day_files(DAYS) if DAYS.is_dir() else []
    if not files:
        yield "fidelity: skipped (the real arXiv days, ../shared/data/arxiv-days, are not here)"
        return
    if quick:
        files = [files[0], files[len(files) // 2], files[-1]]
    display_text.cache_clear()
    report = audit_days(files)
    where = f" ({report.papers} papers, {report.days} days)"
    yield figure(
        "fidelity_abstracts_losing_text",
        report.lossy_abstracts,
        where,
        "0",
        report.lossy_abstracts == 0,
    )
    recall = 100 * report.word_recall
    yield figure(
        "fidelity_word_recall_pct",
        recall,
        f"% ({recall:.4f}%: {report.words_missing} of {report.words} words missing)",
        f">= {RECALL_TARGET}%",
        recall >= RECALL_TARGET,
    )
    yield figure(
        "fidelity_math_vanished",
        report.math_vanished,
        f" of {report.math_spans} math spans",
        "0",
        report.math_vanished == 0,
    )
    lost = sum((report.signs - report.signs_kept).values())
    yield figure(
        "fidelity_signs_lost", lost, f" of {sum(report.signs.values())} % < >", "0", lost == 0
    )
    common = ", ".join(f"{name} {count}" for name, count in report.leftovers.most_common(5))
    yield figure(
        "fidelity_leftover_commands_per_1k",
        report.leftovers_per_1000,
        f" (unknown macros kept as written: {common})",
        f"<= {LEFTOVER_TARGET:g}",
        report.leftovers_per_1000 <= LEFTOVER_TARGET,
    )
    yield figure(
        "fidelity_seconds_per_1k_papers",
        1000 * report.seconds / max(report.papers, 1),
        " s",
        "informative",
        True,
    )

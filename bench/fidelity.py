"""The whole path on every real arXiv day: what a reader would miss of what arXiv said.

Runs `bot.audit` (the `python -m bot audit` figures) over the 156 announcement days of
`../shared/data/arxiv-days` (85,569 papers; three days with --quick): each day parsed into
papers as the feed parser gives them, normalised, matched for a chat following every category
of the day (no cap), summarised and rendered for Telegram and as Markdown, without
translation. Before the normaliser, pylatexenc read abstracts as LaTeX source: 1,198 of 8,668
abstracts on ten days lost over 10% of their words (cut at a bare `%`, `1<p ... p > q` read as
HTML, unknown macros dropped).

Figures (`bot.audit.figures`, each against the issue's target):
- `fidelity_word_recall_pct`: words of the abstracts outside math and LaTeX commands
  (accent-folded) found in the shown text. Target 100% to two decimals (99.99%).
- `fidelity_abstracts_losing_text`: abstracts missing over 10% of those words. Target 0.
- `fidelity_math_vanished`, `fidelity_signs_lost`: math spans with no output, and `%` `<` `>`
  of the raw text missing from it. Target 0.
- `fidelity_leftover_commands_per_1k`: backslash commands left in the shown titles, abstracts
  and authors per 1,000 papers: macros with no safe reading, kept as written so nothing
  vanishes; the most frequent are named. Target 5.
- `fidelity_papers_not_in_digest`, `fidelity_messages_over_4096`, `fidelity_messages_empty`,
  `fidelity_markdown_missing`: the rendered digests (Telegram counts its limit in UTF-16 units
  of the visible text). Target 0.
- `fidelity_summaries_mid_argument_pct`: one-line summaries opening with a connective or a
  back-reference ("Moreover, …", "This …"). Target 1%.
- `fidelity_seconds_per_1k_papers`: the whole path's time per 1,000 papers, caches emptied.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from bench.report import figure
from bot.arxiv_text import display_text, markdown_text
from bot.audit import audit_days, day_files, figures
from bot.summarize import one_line_summary

DAYS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "arxiv-days"


def run(quick: bool = False) -> Iterator[str]:
    """Yield the fidelity figures over every day (three with `quick`)."""
    files = day_files(DAYS) if DAYS.is_dir() else []
    if not files:
        yield "fidelity: skipped (the real arXiv days, ../shared/data/arxiv-days, are not here)"
        return
    if quick:
        files = [files[0], files[len(files) // 2], files[-1]]
    for cached in (display_text, markdown_text, one_line_summary):
        cached.cache_clear()
    report = audit_days(files)
    for item in figures(report):
        if item.target != "-":
            yield figure(item.name, item.value, item.detail, item.target, item.met)

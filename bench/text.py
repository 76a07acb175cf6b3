"""Text work on hostile input: each pathological abstract against a normal one of the same length.

The text paths a feed or translator can feed (sentence splitting, cutting, the one-line summary,
LaTeX to Unicode, rendering a paper's message) are timed on inputs built to hurt: 20,000 `$a$`
spans (17 s in sentence splitting before it was made linear), 100,000 characters, 10,000
backslashes, deeply nested braces, unbalanced `$`, a run of "a. b. c.". The "normal" input is
the fixture feed's abstracts (written like real ones) joined to the same length.

Figures:
- `text_hostile_ratio_max`: the worst ratio hostile seconds ÷ normal seconds over every input and
  path. Linear work keeps it a constant: a hostile input may hold ten times the sentence
  candidates or formulas of a real abstract, so it is not 1 (target <= 25x); before the fix,
  20,000 `$a$` spans gave about 850x.
- `text_hostile_growth_4x_max`: the worst ratio seconds on a hostile input four times as long ÷
  seconds on the input itself. Linear is 4 in theory, cut input 1, quadratic 16. In practice a
  single C regex pass (`normalize_space`) grows about 7x from 80 KB to 320 KB here, as the text
  leaves the CPU's caches, so the target is <= 10x. Timed with the garbage collector off: its
  passes grow with the objects alive and would make a linear path look worse than it is.
- `mask_hostile_growth_4x_max`: the same growth for masking math and LaTeX before translation
  (`bot.translate.masking`), on 100,000 and 400,000 characters of the patterns that once made
  it scan to the end of the text at every occurrence (an unclosed `\\[`, `\\(`, option or
  brace, a run of `$$`, many `$a$`). Target <= 10x, as above; quadratic is 16.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from bench.report import figure
from bot.models import DigestEntry, Paper, PaperText, Reason, ReasonKind
from bot.render.latex import latex_to_text
from bot.render.telegram import render_entry
from bot.sources.fetch import load_feed_file
from bot.summarize import one_line_summary
from bot.text import cut_text, split_sentences
from bot.translate import mask, unmask

FEED = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "rss-current-stat.xml"
RATIO_TARGET = 25.0
GROWTH_TARGET = 10.0
FLOOR = 0.01


def hostile_inputs(scale: int) -> dict[str, str]:
    """Inputs built to find super-linear paths, by name; `scale` 1 is the size of the issue's
    examples (20,000 spans, 100,000 characters, 10,000 backslashes)."""
    return {
        "math_spans": "$a$ " * (20_000 * scale),
        "long_text": "lorem ipsum dolor sit amet " * (3_700 * scale),
        "backslashes": "\\" * (10_000 * scale),
        "nested_braces": "{" * (5_000 * scale) + "x" + "}" * (5_000 * scale),
        "unbalanced_dollars": "$ a. " * (10_000 * scale),
        "initials_run": "a. " * (20_000 * scale),
    }


# Each repeats a pattern that made masking scan to the end of the text once per occurrence.
MASK_HOSTILE = {
    "inline_math": "$a$ ",
    "unclosed_display": "\\[ x ",
    "unclosed_paren": "\\( x ",
    "unclosed_option": "\\a[ ",
    "unclosed_brace": "\\a{ ",
    "unclosed_dollars": "$$ x ",
}
MASK_CHARS = 100_000


def normal_like(text: str, abstracts: list[str]) -> str:
    """Real abstracts joined to the length of `text`."""
    joined = " ".join(abstracts)
    while len(joined) < len(text):
        joined = f"{joined} {joined}"
    return joined[: len(text)]


def _paths() -> dict[str, Callable[[str], object]]:
    entry = DigestEntry(
        Paper("2403.00001", 1, "Title", "Abstract.", ("A",), ("cs.CV",)),
        (Reason(ReasonKind.CATEGORY, "cs.CV"),),
    )
    return {
        "split_sentences": split_sentences,
        "cut_text": lambda text: cut_text(text, 3000),
        "one_line_summary": lambda text: one_line_summary(text, "title"),
        "latex_to_text": latex_to_text,
        "render_entry": lambda text: render_entry(
            entry, PaperText(text[:500], text, text[:300], "zh-CN"), "zh-CN", 1
        ),
    }


def _seconds(path: Callable[[str], object], text: str) -> float:
    """Best of five, with the caches emptied: the first sight of a text is what counts, and the
    best of several is what the machine's other load disturbs least."""
    best = float("inf")
    gc.disable()
    try:
        for _ in range(5):
            latex_to_text.cache_clear()
            one_line_summary.cache_clear()
            started = time.perf_counter()
            path(text)
            best = min(best, time.perf_counter() - started)
    finally:
        gc.enable()
    return best


def _mask_round_trip(text: str) -> None:
    masked = mask(text)
    if unmask(masked.text, masked.spans) != text:
        raise AssertionError("masking lost a span of a hostile input")


def _mask_growth() -> tuple[float, str]:
    """The worst growth of masking's time for four times the text, and the input it came from."""
    worst, at = 0.0, ""
    for name, unit in MASK_HOSTILE.items():
        seconds = max(_seconds(_mask_round_trip, unit * (MASK_CHARS // len(unit))), FLOOR)
        growth = _seconds(_mask_round_trip, unit * (4 * MASK_CHARS // len(unit))) / seconds
        if growth > worst:
            worst, at = growth, name
    return worst, at


def run(quick: bool = False) -> Iterator[str]:
    """Yield the three figures, each naming the path and input where its worst case occurred."""
    abstracts = [paper.abstract for paper in load_feed_file(FEED).papers]
    paths = _paths()
    if quick:  # the cheap paths only; rendering and LaTeX are cut to 10,000 characters anyway
        paths = {name: paths[name] for name in ("split_sentences", "cut_text")}
    worst_ratio, ratio_at = 0.0, ""
    worst_growth, growth_at = 0.0, ""
    bigger = hostile_inputs(4)
    for name, hostile in hostile_inputs(1).items():
        normal = normal_like(hostile, abstracts)
        for path_name, path in paths.items():
            # A floor of 10 ms: a path that does (almost) nothing on both inputs, its work cut,
            # would otherwise give a ratio of the machine's noise.
            seconds = max(_seconds(path, hostile), FLOOR)
            ratio = seconds / max(_seconds(path, normal), FLOOR)
            growth = max(_seconds(path, bigger[name]), FLOOR) / seconds
            if ratio > worst_ratio:
                worst_ratio, ratio_at = ratio, f"{path_name} on {name}"
            if growth > worst_growth:
                worst_growth, growth_at = growth, f"{path_name} on {name}"
    yield figure(
        "text_hostile_ratio_max",
        worst_ratio,
        f"x ({ratio_at})",
        f"<= {RATIO_TARGET:g}x",
        worst_ratio <= RATIO_TARGET,
    )
    yield figure(
        "text_hostile_growth_4x_max",
        worst_growth,
        f"x ({growth_at})",
        f"<= {GROWTH_TARGET:g}x",
        worst_growth <= GROWTH_TARGET,
    )
    mask_growth, mask_at = _mask_growth()
    yield figure(
        "mask_hostile_growth_4x_max",
        mask_growth,
        f"x ({mask_at})",
        f"<= {GROWTH_TARGET:g}x",
        mask_growth <= GROWTH_TARGET,
    )

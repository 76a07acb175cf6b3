"""`python -m bot audit --days DIR`: how faithfully the bot shows real arXiv text.

Each day file (`YYYY-MM-DD.jsonl.gz`, one JSON paper a line, text exactly as arXiv's API gave
it) goes through the display normaliser, and the audit counts what a reader would miss:
abstracts that lose more than 10% of their words (words of the raw text outside math and
LaTeX commands, missing from the output), math spans that vanish, `%`, `<` and `>` signs not
kept, and backslash commands left in the output (unknown macros, kept as written), with the
worst examples so a regression can be read, not just counted.
"""

from __future__ import annotations

import gzip
import json
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bot.arxiv_text import convert_math, display_text, spans

LOSS_THRESHOLD = 0.10

_WORD = re.compile(r"[^\W_]+")
# Letters written as commands, spelled the way folding spells the Unicode letter.
_LETTER_COMMANDS = re.compile(r"\\(ss|ae|AE|oe|OE|aa|AA|[oOlLij])(?![A-Za-z])")
_LETTER_SPELLING = {"ss": "ss", "ae": "ae", "AE": "AE", "oe": "oe", "OE": "OE", "aa": "a"}
_FOLD = str.maketrans({"ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "ı": "i", "ȷ": "j", "ß": "ss"})
_FOLD_PAIRS = {"æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE"}
# Arguments that are not text a reader wrote: a link's target, a citation key, an environment.
_NOT_TEXT = re.compile(r"\\(?:href|cite[pt]?|label|ref|eqref|begin|end)\s*\{[^{}]*\}")
_COMMAND = re.compile(r"\\(?:[A-Za-z]+\*?|.)", re.DOTALL)
_ACCENT_COMMANDS = frozenset("\\" + ch for ch in "'`^\"~=.uvHckrdbt")
_LEFTOVER = re.compile(r"\\[A-Za-z]+")
_LESS = re.compile(r"\\(?:lt|textless)(?![A-Za-z])")
_GREATER = re.compile(r"\\(?:gt|textgreater)(?![A-Za-z])")


def fold(text: str) -> str:
    """Lower case without accents, so `Cram\\'er` read from the source matches Cramér shown."""
    text = text.translate(_FOLD)
    for letter, spelling in _FOLD_PAIRS.items():
        text = text.replace(letter, spelling)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def source_words(raw: str) -> list[str]:
    """The words a reader wrote: outside math, LaTeX commands and link targets left out."""
    text = " ".join(span.body for span in spans(raw) if not span.math)
    text = _NOT_TEXT.sub(" ", text)
    text = _LETTER_COMMANDS.sub(lambda m: _LETTER_SPELLING.get(m.group(1), m.group(1)), text)
    # An accent joins its letter to the word (`Cram\\'er`); any other command separates words.
    text = _COMMAND.sub(lambda m: "" if m.group() in _ACCENT_COMMANDS else " ", text)
    text = text.replace("{", "").replace("}", "")
    return _WORD.findall(fold(text))


def missing_words(raw: str, shown: str) -> tuple[list[str], int]:
    """The source's words the output lacks (counted with repeats), and the source's count."""
    wanted = Counter(source_words(raw))
    folded = fold(shown)
    have = Counter(_WORD.findall(folded))
    missing = []
    for word, count in wanted.items():
        # A word next to math joins it in the output ("Yb$_2$Ti" shows as Yb₂Ti): found
        # inside a longer word is found.
        if count > have[word] and folded.count(word) < count:
            missing += [word] * (count - have[word])
    return missing, sum(wanted.values())


@dataclass
class Example:
    """One abstract that lost words, for the report."""

    arxiv_id: str
    loss: float
    missing: list[str]


@dataclass
class AuditReport:
    """The audit's counts over every paper read."""

    days: int = 0
    papers: int = 0
    words: int = 0
    words_missing: int = 0
    lossy_abstracts: int = 0
    math_spans: int = 0
    math_vanished: int = 0
    signs: Counter[str] = field(default_factory=Counter)
    signs_kept: Counter[str] = field(default_factory=Counter)
    leftovers: Counter[str] = field(default_factory=Counter)
    worst: list[Example] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def word_recall(self) -> float:
        return 1.0 - self.words_missing / self.words if self.words else 1.0

    @property
    def leftovers_per_1000(self) -> float:
        return 1000 * sum(self.leftovers.values()) / self.papers if self.papers else 0.0


def read_day(path: Path) -> Iterator[dict[str, object]]:
    """The papers of one day file, as the JSON objects it holds."""
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def day_files(directory: Path) -> list[Path]:
    """The day files of a directory, oldest first."""
    return sorted(directory.glob("*.jsonl.gz"))


def _count_signs(raw: str, shown: str) -> tuple[Counter[str], Counter[str]]:
    raw_counts = Counter(
        {
            "%": raw.count("%"),
            "<": raw.count("<") + len(_LESS.findall(raw)),
            ">": raw.count(">") + len(_GREATER.findall(raw)),
        }
    )
    kept = Counter({sign: min(count, shown.count(sign)) for sign, count in raw_counts.items()})
    return raw_counts, kept


def audit_abstract(report: AuditReport, arxiv_id: str, raw: str, keep: int = 10) -> None:
    """Add one abstract's figures to `report`."""
    shown = display_text(raw)
    missing, total = missing_words(raw, shown)
    report.papers += 1
    report.words += total
    report.words_missing += len(missing)
    loss = len(missing) / total if total else 0.0
    if loss > LOSS_THRESHOLD:
        report.lossy_abstracts += 1
    if missing:
        report.worst.append(Example(arxiv_id, loss, missing[:8]))
        report.worst.sort(key=lambda example: -example.loss)
        del report.worst[keep:]
    for span in spans(raw):
        if span.math and span.body.strip():
            report.math_spans += 1
            if not convert_math(span.body).strip():
                report.math_vanished += 1
    signs, kept = _count_signs(raw, shown)
    report.signs.update(signs)
    report.signs_kept.update(kept)
    report.leftovers.update(_LEFTOVER.findall(shown))


def audit_days(paths: Iterable[Path], examples: int = 10) -> AuditReport:
    """Run every abstract of the given day files through the normaliser and count."""
    report = AuditReport()
    started = time.perf_counter()
    for path in paths:
        report.days += 1
        for paper in read_day(path):
            audit_abstract(
                report, str(paper.get("id", "?")), str(paper.get("abstract", "")), examples
            )
    report.seconds = time.perf_counter() - started
    return report


def format_report(report: AuditReport, commands: int = 15) -> list[str]:
    """The report as lines a person reads."""
    lines = [
        f"days: {report.days}",
        f"papers: {report.papers}",
        f"abstracts losing over {LOSS_THRESHOLD:.0%} of their words: {report.lossy_abstracts}",
        f"abstract word recall outside math: {report.word_recall:.4%}"
        f" ({report.words_missing} of {report.words} words missing)",
        f"math spans: {report.math_spans}, vanished: {report.math_vanished}",
    ]
    for sign in ("%", "<", ">"):
        lines.append(f"'{sign}' kept: {report.signs_kept[sign]} of {report.signs[sign]}")
    lines.append(
        f"leftover backslash commands: {sum(report.leftovers.values())}"
        f" ({report.leftovers_per_1000:.1f} per 1,000 papers)"
    )
    for name, count in report.leftovers.most_common(commands):
        lines.append(f"  {name}: {count}")
    if report.worst:
        lines.append("worst abstracts (share of words missing, first missing words):")
        for example in report.worst:
            lines.append(f"  {example.arxiv_id}: {example.loss:.1%} {' '.join(example.missing)}")
    per_1000 = 1000 * report.seconds / report.papers if report.papers else 0.0
    lines.append(f"seconds per 1,000 papers: {per_1000:.2f}")
    return lines

"""Sentence boundaries and safe cuts, shared by translation, summaries and rendering.

Abstracts are full of "e.g.", "et al.", "Fig. 3", "0.5" and `$...$` math: a naive split on ". "
cuts them in the wrong place, and a cut mid-word or mid-formula reads badly on a phone.
"""

from __future__ import annotations

import re
from bisect import bisect_right

# Words after which a period does not end a sentence.
_ABBREVIATIONS = frozenset(
    {
        *("e.g", "i.e", "etc", "al", "vs", "cf", "fig", "figs", "eq", "eqs", "ref", "refs"),
        *("sec", "secs", "no", "nos", "approx", "resp", "dr", "mr", "mrs", "ms", "prof", "st"),
        *("jr", "sr", "inc", "ltd", "co", "corp", "dept", "univ", "vol", "pp", "ch", "et"),
        *("viz", "ca"),
    }
)
_MATH = re.compile(r"\$\$.+?\$\$|\$[^$]+?\$", re.DOTALL)
# A candidate boundary: end punctuation, optional closing quote/bracket, whitespace.
# arXiv abstracts sometimes lose the space after a period ("motifs.This"): a lowercase word, a
# period and a capitalised word is a boundary too.
_BOUNDARY = re.compile(r"([.!?。！？])([\"')\]]*)(\s+|(?<=[。！？])|(?<=[a-z]{2}\.)(?=[A-Z][a-z]))")
_WHITESPACE = re.compile(r"\s+")
# Untrusted text (a feed's title or abstract, a translator's answer) is cut to this many
# characters before any work that is not linear in its length (LaTeX parsing). arXiv abstracts
# are under 2,000 characters and titles under 300, so nothing real is lost; a hostile
# 100,000-character abstract costs what a long real one does.
UNTRUSTED_TEXT_LIMIT = 10_000


def normalize_space(text: str) -> str:
    """Collapse runs of whitespace (arXiv hard-wraps titles and abstracts) into single spaces."""
    return _WHITESPACE.sub(" ", text).strip()


def _math_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _MATH.finditer(text)]


class _Formulas:
    """Where the `$...$` formulas of a text are, asked position by position in O(log n).

    Asking each candidate position against every span was quadratic: 17 s on an abstract with
    20,000 `$a$` spans.
    """

    def __init__(self, text: str) -> None:
        spans = _math_spans(text)
        self._starts = [start for start, _ in spans]
        self._ends = [end for _, end in spans]

    def covers(self, pos: int) -> bool:
        """Whether `pos` is inside a formula (spans never overlap: the last one starting at or
        before `pos` is the only candidate)."""
        index = bisect_right(self._starts, pos) - 1
        return index >= 0 and pos < self._ends[index]


# No abbreviation is longer than this; looking further back only costs time.
_LONGEST_WORD = 16
_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.")


def _ends_with_abbreviation(text: str, start: int, end: int) -> bool:
    """Whether the word just before `end` (not before `start`) is an abbreviation or initial.

    Reads at most a few characters back: searching the whole sentence so far with a `$`-anchored
    pattern made a long run of "a. b. c." quadratic.
    """
    first = end
    while first > start and text[first - 1] in _WORD_CHARS:
        first -= 1
        if end - first > _LONGEST_WORD:
            return False
    while first < end and text[first] == ".":
        first += 1
    if first == end:
        return False
    word = text[first:end]
    token = word.rstrip(".").lower()
    # Single capital letters ("J. Smith") are initials, not sentence ends.
    return token in _ABBREVIATIONS or (len(token) == 1 and word[0].isupper())


def split_sentences(text: str) -> list[str]:
    """Split text into sentences, keeping each sentence's own punctuation and math intact."""
    text = normalize_space(text)
    if not text:
        return []
    math = _Formulas(text)
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        end_punct = match.start(1)
        if math.covers(end_punct):
            continue
        if match.group(1) == "." and _ends_with_abbreviation(text, start, end_punct):
            continue
        after = text[match.end() : match.end() + 1]
        # "3. 5" or "word. lowercase" is rarely a boundary in an abstract.
        if match.group(1) == "." and after and (after.islower() or after.isdigit()):
            continue
        cut = match.end(2)
        sentence = text[start:cut].strip()
        if sentence:
            sentences.append(sentence)
        start = match.end()
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


def cut_text(text: str, limit: int, ellipsis: str = "…") -> str:
    """Shorten text to at most `limit` characters at a sentence end, else at a word boundary.

    Never cuts inside a word or a `$...$` formula; adds `ellipsis` when something was dropped.
    """
    text = normalize_space(text)
    if len(text) <= limit:
        return text
    budget = max(limit - len(ellipsis) - 1, 0)
    kept = ""
    # Only the sentences that can fit are needed: split the first `limit` characters, less the
    # last piece, which the window may have cut short.
    for sentence in split_sentences(text[: limit + 1])[:-1]:
        candidate = f"{kept} {sentence}".strip()
        if len(candidate) > budget:
            break
        kept = candidate
    # Prefer a sentence end unless it throws away most of the room.
    if kept and len(kept) >= budget // 2:
        return f"{kept} {ellipsis}"
    math = _Formulas(text)
    room = max(limit - len(ellipsis), 0)
    cut = room
    while cut > 0 and (not text[cut].isspace() or math.covers(cut)):
        cut -= 1
    if cut == 0:
        # One enormous word (or formula): a hard cut is the only way to respect the limit.
        return text[:room] + ellipsis
    return text[:cut].rstrip(" ,;:") + ellipsis


def bounded(text: str, limit: int = UNTRUSTED_TEXT_LIMIT) -> str:
    """Untrusted text cut to `limit` characters (at a sentence or word end, with "…").

    Looks at no more than `limit + 1` characters, so it is cheap on any input.
    """
    if len(text) <= limit:
        return text
    return cut_text(text[: limit + 1], limit)

"""Sentence boundaries and safe cuts, shared by translation, summaries and rendering.

Abstracts are full of "e.g.", "et al.", "Fig. 3", "0.5" and `$...$` math: a naive split on ". "
cuts them in the wrong place, and a cut mid-word or mid-formula reads badly on a phone.
"""

from __future__ import annotations

import re

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


def normalize_space(text: str) -> str:
    """Collapse runs of whitespace (arXiv hard-wraps titles and abstracts) into single spaces."""
    return _WHITESPACE.sub(" ", text).strip()


def _math_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _MATH.finditer(text)]


def _inside(pos: int, spans: list[tuple[int, int]]) -> bool:
    return any(start <= pos < end for start, end in spans)


def _ends_with_abbreviation(before: str) -> bool:
    word = re.search(r"([A-Za-z][A-Za-z.]*)$", before)
    if not word:
        return False
    token = word.group(1).rstrip(".").lower()
    # Single capital letters ("J. Smith") are initials, not sentence ends.
    return token in _ABBREVIATIONS or (len(token) == 1 and word.group(1)[0].isupper())


def split_sentences(text: str) -> list[str]:
    """Split text into sentences, keeping each sentence's own punctuation and math intact."""
    text = normalize_space(text)
    if not text:
        return []
    spans = _math_spans(text)
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        end_punct = match.start(1)
        if _inside(end_punct, spans):
            continue
        if match.group(1) == "." and _ends_with_abbreviation(text[start:end_punct]):
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
    for sentence in split_sentences(text):
        candidate = f"{kept} {sentence}".strip()
        if len(candidate) > budget:
            break
        kept = candidate
    # Prefer a sentence end unless it throws away most of the room.
    if kept and len(kept) >= budget // 2:
        return f"{kept} {ellipsis}"
    spans = _math_spans(text)
    room = max(limit - len(ellipsis), 0)
    cut = room
    while cut > 0 and (not text[cut].isspace() or _inside(cut, spans)):
        cut -= 1
    if cut == 0:
        # One enormous word (or formula): a hard cut is the only way to respect the limit.
        return text[:room] + ellipsis
    return text[:cut].rstrip(" ,;:") + ellipsis

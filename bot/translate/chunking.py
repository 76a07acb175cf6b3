"""Chunking: texts cut to the backend's request size, and short ones packed several to a request.

A long abstract is cut at sentence boundaries (else between words) so each request stays under
what the backend takes; short texts travel together, each preceded by a numbered marker
(`[[3]]`) on its own line, and the answer is split back on those markers. When they do not
come back intact the caller translates the texts one by one instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.text import split_sentences
from bot.translate.masking import MARKER

# Beyond this many texts a batch gains little and a marker mismatch costs more requests.
MAX_BATCH_TEXTS = 40


@dataclass
class Segment:
    """One request-sized piece of one text, and its translation once known."""

    text: str
    translation: str | None = None


def _split_words(sentence: str, limit: int) -> list[str]:
    pieces: list[str] = []
    current = ""
    for word in sentence.split(" "):
        while len(word) > limit:  # one absurd "word": a hard cut is the only option
            if current:
                pieces.append(current)
                current = ""
            pieces.append(word[:limit])
            word = word[limit:]
        candidate = f"{current} {word}" if current else word
        if len(candidate) <= limit:
            current = candidate
        else:
            pieces.append(current)
            current = word
    if current:
        pieces.append(current)
    return pieces


def split_for_requests(text: str, limit: int) -> list[str]:
    """Cut `text` into chunks of at most `limit` characters at sentence, else word, boundaries."""
    if len(text) <= limit:
        return [text]
    chunks: list[str] = []
    current = ""
    for sentence in split_sentences(text):
        for piece in [sentence] if len(sentence) <= limit else _split_words(sentence, limit):
            candidate = f"{current} {piece}" if current else piece
            if len(candidate) <= limit:
                current = candidate
            else:
                if current:
                    chunks.append(current)
                current = piece
    if current:
        chunks.append(current)
    return chunks


def join_batch(texts: Sequence[str]) -> str:
    """One request for several texts: each preceded by its numbered marker on its own line."""
    return "\n".join(f"[[{i}]]\n{text}" for i, text in enumerate(texts))


def split_batch(answer: str, count: int) -> list[str] | None:
    """The translated parts of a batched answer, or None when the markers did not survive.

    The markers must come back exactly once each, in order, with nothing before the first and
    a non-empty part after each: anything else could attach a translation to the wrong text.
    """
    matches = list(MARKER.finditer(answer))
    if not matches or [int(m.group(1)) for m in matches] != list(range(count)):
        return None
    if answer[: matches[0].start()].strip():
        return None
    ends = [m.start() for m in matches[1:]] + [len(answer)]
    parts = [answer[m.end() : end].strip() for m, end in zip(matches, ends, strict=True)]
    return parts if all(parts) else None


def pack(segments: Sequence[Segment], limit: int) -> list[list[Segment]]:
    """Group segments, in order, into batches whose joined request stays within `limit`."""
    batches: list[list[Segment]] = []
    current: list[Segment] = []
    size = 0
    for segment in segments:
        cost = len(segment.text) + len(f"[[{len(current)}]]\n\n")
        if current and (size + cost > limit or len(current) >= MAX_BATCH_TEXTS):
            batches.append(current)
            current, size = [], 0
            cost = len(segment.text) + len("[[0]]\n\n")
        current.append(segment)
        size += cost
    if current:
        batches.append(current)
    return batches

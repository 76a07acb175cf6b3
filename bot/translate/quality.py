"""Plausibility bounds on what goes to a translator and what comes back (the quality guard).

A translator that answers 100,000 characters for a title (a broken page, an error text, a
loop) would otherwise be cached and shown forever; a translation is never that much longer than
its source, so such an answer counts as a failed translation. And a text far longer than any
arXiv title or abstract (arXiv caps abstracts at 1,920 characters) is not sent at all: it would
cost dozens of requests and could only come from a broken or hostile feed.
"""

from __future__ import annotations

import re
from enum import StrEnum

# A real translation stays within a small factor of its source (Chinese is shorter than
# English, German about 1.3x longer); 4x leaves room for any language.
MAX_GROWTH = 4
# A very short source ("GAN", "$x$-means") may translate into a few words: always allow this.
GROWTH_FLOOR = 200
# Whatever the source, a translation longer than this is not one (and no message holds it).
MAX_TRANSLATION_CHARS = 20_000
# Longer texts are not translated; the original is shown, marked, as for any failure.
MAX_SOURCE_CHARS = 10_000


class Failure(StrEnum):
    """Why a text came back without a translation (the originals are shown, nothing cached)."""

    FAILED = "failed"  # the backend failed, gave up, or answered nothing
    LOST_MATH = "lost math placeholders"  # a formula would have been lost or duplicated
    TOO_LONG = "implausibly long"  # far longer than its source
    TOO_SHORT = "implausibly short"  # most of the source is missing
    EMPTY = "empty"  # nothing came back
    UNCHANGED = "unchanged"  # the source came back as it went
    WRONG_SCRIPT = "not in the target script"  # e.g. no Han characters for Chinese
    SOURCE_TOO_LONG = "source too long to send"


def translation_limit(source: str) -> int:
    """The most characters a plausible translation of `source` has."""
    return min(max(MAX_GROWTH * len(source), GROWTH_FLOOR), MAX_TRANSLATION_CHARS)


def implausibly_long(source: str, translation: str) -> bool:
    """True when `translation` is too long to be a translation of `source`."""
    return len(translation) > translation_limit(source)


# The script a translation into a language must contain (by the language's primary subtag).
# Latin-script targets are not checked this way: an English answer would pass, but it is caught
# by being equal to the source.
_SCRIPTS: dict[str, str] = {
    "zh": r"[\u4e00-\u9fff\u3400-\u4dbf]",  # Han
    "ja": r"[\u3040-\u30ff\u4e00-\u9fff]",  # kana or kanji
    "ko": r"[\uac00-\ud7af\u1100-\u11ff]",  # Hangul
    "ru": r"[\u0400-\u04ff]",  # Cyrillic
    "uk": r"[\u0400-\u04ff]",
    "be": r"[\u0400-\u04ff]",
    "bg": r"[\u0400-\u04ff]",
    "mk": r"[\u0400-\u04ff]",
    "kk": r"[\u0400-\u04ff]",
    "el": r"[\u0370-\u03ff]",  # Greek
    "ar": r"[\u0600-\u06ff]",  # Arabic
    "fa": r"[\u0600-\u06ff]",
    "ur": r"[\u0600-\u06ff]",
    "he": r"[\u0590-\u05ff]",  # Hebrew
    "iw": r"[\u0590-\u05ff]",
    "hi": r"[\u0900-\u097f]",  # Devanagari
    "mr": r"[\u0900-\u097f]",
    "ne": r"[\u0900-\u097f]",
    "bn": r"[\u0980-\u09ff]",  # Bengali
    "ta": r"[\u0b80-\u0bff]",  # Tamil
    "th": r"[\u0e00-\u0e7f]",  # Thai
    "ka": r"[\u10a0-\u10ff]",  # Georgian
    "hy": r"[\u0530-\u058f]",  # Armenian
}
_SCRIPT_PATTERNS = {lang: re.compile(pattern) for lang, pattern in _SCRIPTS.items()}
# A source with fewer letters than this ("GAN", "$x$-means") may rightly come back unchanged or
# without the target script (a name, an acronym): only longer texts are judged on those.
MIN_JUDGED_LETTERS = 12
# A translation this many times shorter than its source lost most of it (Chinese runs about a
# third of the English character count, so 8x is far past any real language).
MAX_SHRINK = 8
_LETTER = re.compile(r"[^\W\d_]")
# Placeholders the masking puts in, and the marker syntax: not letters of the text.
_NOT_TEXT = re.compile(r"\[M\d+\]|\[\[\d+\]\]")


def _letters(text: str) -> int:
    return len(_LETTER.findall(_NOT_TEXT.sub("", text)))


def judge(source: str, translation: str, language: str) -> Failure | None:
    """Why `translation` is not a translation of `source` into `language`, or None when it
    passes: empty, far longer or shorter, unchanged, or without the target language's script.

    Each of these is what a broken backend answers (an error page, the source echoed, a
    different language), so the text is not cached and the next backend is asked.
    """
    if not translation.strip():
        return Failure.EMPTY
    if implausibly_long(source, translation):
        return Failure.TOO_LONG
    letters = _letters(source)
    if letters < MIN_JUDGED_LETTERS:
        return None
    if len(translation.strip()) * MAX_SHRINK < len(source.strip()):
        return Failure.TOO_SHORT
    primary = language.strip().replace("_", "-").lower().split("-")[0]
    if primary != "en" and " ".join(translation.split()) == " ".join(source.split()):
        return Failure.UNCHANGED
    script = _SCRIPT_PATTERNS.get(primary)
    if script is not None and not script.search(translation):
        return Failure.WRONG_SCRIPT
    return None

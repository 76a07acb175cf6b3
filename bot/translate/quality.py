"""Plausibility bounds on what goes to a translator and what comes back.

A translator that answers 100,000 characters for a title (a broken page, an error text, a
loop) would otherwise be cached and shown forever; a translation is never that much longer than
its source, so such an answer counts as a failed translation. And a text far longer than any
arXiv title or abstract (arXiv caps abstracts at 1,920 characters) is not sent at all: it would
cost dozens of requests and could only come from a broken or hostile feed.
"""

from __future__ import annotations

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
    SOURCE_TOO_LONG = "source too long to send"


def translation_limit(source: str) -> int:
    """The most characters a plausible translation of `source` has."""
    return min(max(MAX_GROWTH * len(source), GROWTH_FLOOR), MAX_TRANSLATION_CHARS)


def implausibly_long(source: str, translation: str) -> bool:
    """True when `translation` is too long to be a translation of `source`."""
    return len(translation) > translation_limit(source)

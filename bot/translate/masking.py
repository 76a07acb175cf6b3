"""Masking: math, LaTeX and URLs become placeholders (`[M0]`) that translators leave alone.

Translators mangle `$\\alpha$`, `\\cite{...}` and URLs (spaces inserted, symbols translated), so
they never see them: `mask` swaps each for a numbered placeholder and `unmask` puts them back,
refusing a translation that lost, duplicated or invented one.

The input is untrusted (an abstract can hold anything), so every pattern is linear in the text:
a delimited span stops looking at the next opening delimiter, and an unclosed `\\[` or `\\(`
costs a scan to the next one, not to the end of the text each time.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

# Our own tokens, read tolerantly: translators may add spaces or use full-width brackets.
_OPEN = r"[\[［【]"
_CLOSE = r"[\]］】]"
# At most six digits: a translator's answer is untrusted too, and int() refuses thousands.
PLACEHOLDER = re.compile(rf"{_OPEN}\s*M\s*(\d{{1,6}})\s*{_CLOSE}", re.IGNORECASE)
# The batch marker `[[3]]` that chunking puts before each text of a packed request.
MARKER = re.compile(rf"{_OPEN}\s*{_OPEN}\s*(\d{{1,6}})\s*{_CLOSE}\s*{_CLOSE}")
_BRACED = r"\{(?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*\}"
_PROTECTED = re.compile(
    r"\$\$.+?\$\$"  # display math
    r"|\$[^$]+?\$"  # inline math
    # \[ ... \] and \( ... \), which contain no other \[ or \( (so an unclosed one is cheap)
    r"|\\\[(?:(?!\\[\[\]]).)+\\\]|\\\((?:(?!\\[()]).)+\\\)"
    rf"|\\[A-Za-z]+\*?(?:\[[^\[\]]*\])?(?:{_BRACED})*"  # \command[opt]{arg}{arg}
    r"|\\[^A-Za-z\s]"  # \%, \&, \_ ...
    r"|https?://[^\s)\]]*[^\s)\].,;:!?'\"]"  # URLs, which translators break with spaces
    rf"|{MARKER.pattern}|{_OPEN}\s*M\s*\d+\s*{_CLOSE}",  # text that looks like our tokens
    re.DOTALL | re.IGNORECASE,
)
# Accents such as Poincar\'e are letters, not math: turn them into Unicode so the word stays
# whole for the translator (the renderer would turn them into the same characters).
_ACCENTS = {
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    '"': "\u0308",
    "~": "\u0303",
    "=": "\u0304",
    ".": "\u0307",
    "u": "\u0306",
    "v": "\u030c",
    "H": "\u030b",
    "c": "\u0327",
    "k": "\u0328",
    "r": "\u030a",
}
_ACCENT = re.compile(
    r"\$\$.+?\$\$|\$[^$]+?\$"  # math is skipped, not converted
    r"|\{\\(['`^\"~=.])\s*([A-Za-z])\}|\{\\(['`^\"~=.uvHckr])\{([A-Za-z])\}\}"
    r"|\\(['`^\"~=.])\s*([A-Za-z])|\\(['`^\"~=.uvHckr])\{([A-Za-z])\}",
    re.DOTALL,
)


def _accent(match: re.Match[str]) -> str:
    groups = [g for g in match.groups() if g is not None]
    if not groups:
        return match.group(0)
    accent, letter = groups
    return unicodedata.normalize("NFC", letter + _ACCENTS[accent])


@dataclass(frozen=True)
class Masked:
    """A text with protected spans replaced by `[M0]`, `[M1]`, ... and the spans to restore."""

    text: str
    spans: tuple[str, ...]


def mask(text: str) -> Masked:
    """Replace math, LaTeX commands and URLs with placeholders a translator leaves alone."""
    text = _ACCENT.sub(_accent, text)
    spans: list[str] = []

    def replace(match: re.Match[str]) -> str:
        spans.append(match.group(0))
        return f"[M{len(spans) - 1}]"

    return Masked(_PROTECTED.sub(replace, text), tuple(spans))


def unmask(text: str, spans: Sequence[str]) -> str | None:
    """Put the protected spans back; None when a placeholder was lost, duplicated or invented.

    A translation that lost a formula would silently show wrong math, so it counts as failed
    and the reader gets the original (whose math is right).
    """
    seen: list[int] = []

    def restore(match: re.Match[str]) -> str:
        index = int(match.group(1))
        seen.append(index)
        return spans[index] if index < len(spans) else match.group(0)

    restored = PLACEHOLDER.sub(restore, text)
    if sorted(seen) != list(range(len(spans))):
        return None
    return restored


def needs_translation(masked: str) -> bool:
    """False for a masked text that is only placeholders, numbers and punctuation."""
    return any(ch.isalpha() for ch in PLACEHOLDER.sub("", masked))

"""LaTeX in titles and abstracts to readable Unicode for chat: `$\\alpha$` → α, `x^2` → x².

pylatexenc knows the symbols and accents; we add what it leaves as `x^2` and `x_{i}`: Unicode
superscripts and subscripts where every character has one. Malformed LaTeX never raises.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache

from pylatexenc.latex2text import LatexNodes2Text

from bot.text import bounded

log = logging.getLogger(__name__)

_SUPER = dict(zip("0123456789+-=()nijkmTtaebcdxyz", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱʲᵏᵐᵀᵗᵃᵉᵇᶜᵈˣʸᶻ", strict=True))
_SUB = dict(zip("0123456789+-=()aeoxijklmnprstuv", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₒₓᵢⱼₖₗₘₙₚᵣₛₜᵤᵥ", strict=True))
_SCRIPT = re.compile(r"([\^_])(?:\{([^{}$]*)\}|([A-Za-z0-9+\-]))")
_NEEDS_LATEX = re.compile(r"[\\$^_{}~%]")
_CONVERTER = LatexNodes2Text(math_mode="text", strict_latex_spaces=True)


def _script(match: re.Match[str]) -> str:
    table = _SUPER if match.group(1) == "^" else _SUB
    body = match.group(2) if match.group(2) is not None else match.group(3)
    if body and all(ch in table for ch in body):
        return "".join(table[ch] for ch in body)
    if body and len(body) > 1:
        return f"{match.group(1)}({body})"
    return match.group(0)


def _scripts_in_math(text: str) -> str:
    """Turn ^/_ into Unicode scripts inside $...$ only: outside math `_` is an underscore."""
    parts = re.split(r"(\$\$.+?\$\$|\$[^$]+?\$)", text, flags=re.DOTALL)
    return "".join(_SCRIPT.sub(_script, part) if part.startswith("$") else part for part in parts)


@lru_cache(maxsize=16384)
def latex_to_text(text: str) -> str:
    """Readable Unicode for LaTeX-laden text; falls back to the input when it cannot parse it.

    Cached: converting an abstract takes milliseconds, and the push renders the same paper for
    every chat that gets it (a day's titles, abstracts and summaries, original and translated,
    fit in the cache). Text past `UNTRUSTED_TEXT_LIMIT` is cut first: pylatexenc costs about
    10 µs a character, so a hostile 100,000-character abstract would hold the loop for a second.
    """
    text = bounded(text)
    if not _NEEDS_LATEX.search(text):
        return text
    prepared = _scripts_in_math(text)
    try:
        converted = _CONVERTER.latex_to_text(prepared)
    except Exception:  # pylatexenc raises assorted errors on odd input; the original is fine
        log.debug("LaTeX conversion failed; showing the text as written", exc_info=True)
        return text
    converted = re.sub(r"[ \t]+", " ", converted).strip()
    # pylatexenc drops what it cannot place; an empty result is worse than raw LaTeX.
    return converted or text

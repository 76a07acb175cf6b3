"""Text as matching compares it: what the reader sees, with accents, case and letter forms folded.

A reader who types `Cramer-Rao`, `Cramér-Rao` or `cramér-rao` means the paper whose abstract says
`Cram\\'er-Rao`; one who follows `Jose Garcia` means `José García`. Both sides of every comparison
(a paper's title, abstract and author names; a keyword or a followed name) go through `fold`, so
they meet in one form: the display form of the arXiv text (`latex_to_text`: `Cram\\'er` becomes
Cramér, `$\\alpha$` becomes α), decomposed (NFKD: `ﬁ` → fi, `²` → 2), without the accents,
case-folded (`ß` → ss), with the letters Unicode does not decompose written the way English
text spells them (`ø` → o, `ł` → l, `æ` → ae).
"""

from __future__ import annotations

import re
import unicodedata

from bot.render.latex import latex_to_text

# Combining diacritical marks of the Latin, Greek and Cyrillic scripts (and the symbols'
# combining marks). Deliberately not every combining character: the kana voicing marks and the
# vowel signs of Indic scripts change the letter, not an accent on it.
_ACCENTS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
# Letters with no decomposition, as an English-speaking typist writes them (after casefold).
_LETTERS = str.maketrans(
    {
        "ø": "o",
        "ł": "l",
        "đ": "d",
        "ð": "d",
        "ħ": "h",
        "ı": "i",
        "ȷ": "j",
        "ŀ": "l",
        "æ": "ae",
        "œ": "oe",
        "þ": "th",
    }
)


def fold_plain(text: str) -> str:
    """Accents, case and letter forms folded; for text that is already plain (no LaTeX)."""
    if text.isascii():
        return text.casefold()
    decomposed = unicodedata.normalize("NFKD", text)
    # NFKD can produce capitals (`ℌ` → H), so case is folded after it, then the letters; the
    # marks that stay (kana voicing) are composed again, as typed text has them.
    folded = _ACCENTS.sub("", decomposed).casefold().translate(_LETTERS)
    return unicodedata.normalize("NFC", folded)


def fold(raw: str) -> str:
    """The form matching compares: arXiv text (LaTeX accents and math included) or user input
    shown as the reader sees it, then accents, case and letter forms folded."""
    return fold_plain(latex_to_text(raw))

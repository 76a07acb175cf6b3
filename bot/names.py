"""Author names: as the feed writes them, as a reader types them, and when two are one person.

arXiv lists `First Last` names, sometimes with an affiliation in parentheses (`Jane Doe (MIT)`);
readers type `Van Meter`, `Sathe, Pratik; Ai, Lin` or `LeCun, Y.`. Particles (van, von, de, de la,
del, di, da, le, …) belong to the surname, so `/author Van Meter` follows Rodney Van Meter, and a
name is never cut at a comma that only separates a surname from its given names.
"""

from __future__ import annotations

import re
from functools import lru_cache

from bot.folding import fold

# Words that start a surname when they stand before its last word: `Rodney Van Meter`, `Juan de la
# Cruz`, `Curt von Keyserlingk`. Folded forms. A name that only looks like one (`Le Song`, whose
# given name is Le) still matches: each reading of a name is tried. Words that are more often
# given names on arXiv (Bin, Al, El: `Bin Wang` would follow every `… Bin Wang`) are left out;
# hyphenated ones (`al-Hassan`) join the surname anyway.
PARTICLES = frozenset(
    {
        *("van", "von", "der", "den", "ter", "ten", "zu"),
        *("de", "del", "della", "dei", "degli", "di", "da", "das", "dos", "du"),
        *("la", "le", "les", "lo"),
    }
)

_PARENTHESES = re.compile(r"\([^()]*\)")
_SEPARATORS = re.compile(r"[;\n]")
_WORD = re.compile(r"\w+")
_HYPHENS = re.compile(r"[-‐‑‒–—]")
_APOSTROPHES = re.compile(r"(?<=\w)['’ʼ](?=\w)")
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "＂": '"'})
# One initial as a bibliography writes it after "Last,": `F.`, `J.-P.`, `R`.
_INITIAL = re.compile(r"^\w\.?(?:-\w\.?)*$")


def _unbracketed(text: str) -> str:
    """Text without its parenthesised parts (nested too); line breaks kept."""
    previous = None
    while previous != text:
        previous, text = text, _PARENTHESES.sub(" ", text)
    return text


def without_affiliations(name: str) -> str:
    """`Jane Doe (MIT, Cambridge)` → `Jane Doe`: parentheses hold affiliations, not names; an
    unclosed one runs to the end; spaces collapsed."""
    name = _unbracketed(name).split("(", 1)[0].replace(")", " ")
    return " ".join(name.split()).strip(" ,;")


def _is_given(text: str) -> bool:
    """Whether `text` after a comma is a given name (one word) or initials, not another author."""
    words = text.split()
    return len(words) == 1 or all(_INITIAL.match(word) for word in words)


def _is_surname(text: str) -> bool:
    """One word, after any particles: what stands before the comma of `Last, First`."""
    words = [w for w in fold(text).split() if w not in PARTICLES]
    return len(words) == 1


def _one_piece(piece: str, listed: bool) -> list[str]:
    """Names in one `;`- or line-separated piece: `Last, First` turned round, or names separated
    by commas. `A, B` is `Last, First` when A is one surname (particles and hyphens included)
    and B is one given name or initials (`LeCun, Y.`), or any given names in a list whose
    authors are separated by `;` or lines; otherwise `A` and `B` are two authors."""
    parts = [p.strip() for p in piece.split(",") if p.strip()]
    if len(parts) == 2 and _is_surname(parts[0]) and (listed or _is_given(parts[1])):
        return [f"{parts[1]} {parts[0]}"]
    return parts


def followed_authors(text: str) -> list[str]:
    """The authors a reader asked to follow, each as `First Last`, in order, without repeats.

    `"Yann LeCun", Kaiming He` (quotes keep a name whole); `Sathe, Pratik; Ai, Lin` (two, not
    three); one per line; `Van Meter, R.`; affiliations in parentheses dropped.
    """
    text = _unbracketed(text.translate(_QUOTES))
    chunks = text.split('"')
    # Odd chunks were inside quotes: whole names (a `;` or a line break still separates two).
    # The rest is a list, and so is the text after a quote that is never closed.
    quoted, plain = chunks[1::2], chunks[::2]
    if len(chunks) % 2 == 0:
        plain.append(quoted.pop())
    names = [piece for chunk in quoted for piece in _SEPARATORS.split(chunk)]
    listed = bool(_SEPARATORS.search(text.strip()))
    for chunk in plain:
        for piece in _SEPARATORS.split(chunk):
            names.extend(_one_piece(piece, listed))
    # One name typed twice (`Jane Doe; jane doe`) is one author: the first spelling is kept.
    unique: dict[tuple[str, ...], str] = {}
    for name in map(without_affiliations, names):
        if name_tokens(name):
            unique.setdefault(name_tokens(name), name)
    return list(unique.values())


@lru_cache(maxsize=65536)
def _words(name: str) -> tuple[tuple[str, bool], ...]:
    """The name's folded words, each with whether a hyphen joins it to the word before."""
    plain = _APOSTROPHES.sub("", fold(without_affiliations(name)))
    words: list[tuple[str, bool]] = []
    for chunk in plain.split():
        for n, part in enumerate(_HYPHENS.split(chunk)):
            for k, word in enumerate(_WORD.findall(part)):
                if word != "_":
                    words.append((word, n > 0 and k == 0))
    return tuple(words)


def name_tokens(name: str) -> tuple[str, ...]:
    """The folded words of a name, affiliations left out: `José García (UAM)` → (jose, garcia)."""
    return tuple(word for word, _ in _words(name))


def surname_key(name: str) -> str | None:
    """The last word of the surname, which every reading of the name shares (for an index)."""
    words = _words(name)
    return words[-1][0] if words else None


@lru_cache(maxsize=65536)
def readings(name: str) -> tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]:
    """Each way to read a name as (given names, surname): the last word alone, then with the
    particles and hyphen-joined words before it (`Rodney Van Meter`: (rodney van, meter),
    (rodney, van meter)); `Van Meter` can also be all surname."""
    words = _words(name)
    tokens = tuple(word for word, _ in words)
    if not tokens:
        return ()
    found = [(tokens[:-1], tokens[-1:])]
    start = len(tokens) - 1
    while start > 0 and (tokens[start - 1] in PARTICLES or words[start][1]):
        start -= 1
        found.append((tokens[:start], tokens[start:]))
    return tuple(found)


def _given_agree(wanted: tuple[str, ...], written: tuple[str, ...]) -> bool:
    """Given names agree word by word, an initial standing for any name it starts; a follow
    without given names follows everyone of that surname."""
    if len(wanted) > len(written):
        return False
    return all(
        a == b or (len(a) == 1 and b.startswith(a)) or (len(b) == 1 and a.startswith(b))
        for a, b in zip(wanted, written, strict=False)
    )


def author_matches(followed: str, author: str) -> bool:
    """`Yann LeCun` follows `Y. LeCun`, `LeCun` any LeCun, `Van Meter` Rodney Van Meter; accents,
    case and affiliations ignored."""
    wanted, written = readings(followed), readings(author)
    if not wanted or not written or wanted[0][1] != written[0][1]:
        return False
    if name_tokens(followed) == name_tokens(author):
        return True
    return any(
        surname == other and _given_agree(given, given_written)
        for given, surname in wanted
        for given_written, other in written
    )

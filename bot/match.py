"""Matching and ranking: which announced papers a chat's interests select, and in what order.

Rules (DESIGN.md, "The digest"):
- a paper is a candidate when one of its categories (primary or cross-listed, aliases included) is
  subscribed, or a followed author wrote it; a chat with keywords and no categories considers
  every paper;
- when the chat has include keywords, a category candidate must also match one of them in its
  title or abstract (whole words, phrases, hyphen and plural tolerant), compared as the reader
  sees the text with accents and case folded (bot/folding.py): `Cramer-Rao` finds
  `Cram\\'er-Rao`;
- a followed author is matched by surname, particles included, and compatible given names
  (bot/names.py): `Van Meter` follows Rodney Van Meter;
- a followed author's paper needs no keyword: people follow an author to see all their work;
- an exclude keyword always wins;
- cross-lists are on and replacements off unless the chat says otherwise;
- each paper appears once, whatever the number of reasons.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache
from operator import itemgetter

from bot.folding import fold
from bot.models import (
    AnnounceType,
    Digest,
    DigestEntry,
    Interests,
    Keyword,
    Paper,
    Reason,
    ReasonKind,
)
from bot.names import author_matches
from bot.rank_order import Ordering, rank
from bot.sources.taxonomy import get_taxonomy

__all__ = [
    "DEFAULT_CAP",
    "assemble_digest",
    "author_matches",
    "build_digest",
    "is_cross_list_for",
    "keyword_in",
    "keyword_tokens",
    "match_paper",
    "parse_keywords",
]

DEFAULT_CAP = 20
_WORD = re.compile(r"\w+", re.UNICODE)
# Hyphens and dashes join words ("self-supervised"); treat them as spaces but remember the join.
_JOINERS = re.compile(r"[-‐‑‒–—/]")
# Looked up once: enum member access is slow on Python 3.11, and ranking does it per match.
_KEYWORD, _AUTHOR = ReasonKind.KEYWORD, ReasonKind.AUTHOR
_REPLACEMENTS = tuple(kind for kind in AnnounceType if kind.is_replacement)
_CROSS_LISTS = tuple(kind for kind in AnnounceType if kind.is_cross_list)
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "＂": '"'})


def _stem(token: str) -> str:
    """Fold English plurals onto the singular so `network` finds `networks` and back."""
    if len(token) <= 3 or not token.isascii():
        return token
    if token.endswith("ies") and len(token) > 4:
        return token[:-3] + "y"
    if token.endswith(("sses", "xes", "ches", "shes", "zes")):
        return token[:-2]
    if token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


@dataclass(frozen=True)
class _Tokens:
    """A text as stemmed word tokens, plus the words that hyphens split, re-joined."""

    words: tuple[str, ...]
    compounds: frozenset[str]


@lru_cache(maxsize=65536)
def _tokens(text: str) -> _Tokens:
    """A title, abstract or keyword as matching sees it: folded once (`fold` renders the LaTeX,
    which costs milliseconds), then split; cached, so a paper is folded once per announcement
    and a keyword once, whatever the number of chats that use them."""
    lowered = fold(text)
    words: list[str] = []
    compounds: set[str] = set()
    for chunk in lowered.split():
        parts = [w for w in _WORD.findall(_JOINERS.sub(" ", chunk)) if w != "_"]
        words.extend(_stem(p) for p in parts)
        if len(parts) > 1:
            compounds.add(_stem("".join(parts)))
    return _Tokens(tuple(words), frozenset(compounds))


def _contains(haystack: _Tokens, needle: tuple[str, ...]) -> bool:
    if not needle:
        return False
    if len(needle) == 1 and needle[0] in haystack.compounds:
        return True
    words = haystack.words
    n = len(needle)
    first = needle[0]
    for i in range(len(words) - n + 1):
        if words[i] == first and words[i : i + n] == needle:
            return True
    # "self supervised" should find "selfsupervised" too.
    return n > 1 and _stem("".join(needle)) in set(words)


def keyword_tokens(keyword: Keyword) -> tuple[str, ...]:
    """The stemmed tokens a keyword must match, in order."""
    return _tokens(keyword.text).words


def keyword_in(keyword: Keyword, text: str) -> bool:
    """Whether a keyword (word or phrase) occurs in text as whole words."""
    return _contains(_tokens(text), keyword_tokens(keyword))


def parse_keywords(text: str) -> tuple[list[Keyword], list[Keyword]]:
    """Split user input into include and exclude keywords.

    `word "a phrase" -excluded -"excluded phrase"`; typographic quotes work, an unclosed quote
    runs to the end, commas separate like spaces.
    """
    includes: list[Keyword] = []
    excludes: list[Keyword] = []
    source = text.translate(_QUOTES)
    i, n = 0, len(source)
    while i < n:
        ch = source[i]
        if ch.isspace() or ch == ",":
            i += 1
            continue
        negative = ch == "-" and i + 1 < n and not source[i + 1].isspace()
        if negative:
            i += 1
        if source[i] == '"':
            end = source.find('"', i + 1)
            end = n if end == -1 else end
            value = " ".join(source[i + 1 : end].split())
            i = end + 1
        else:
            end = i
            while end < n and not source[end].isspace() and source[end] != ",":
                end += 1
            value = source[i:end]
            i = end
        value = value.strip(" '\"")
        if not value or not _tokens(value).words:
            continue
        # Quotes make a phrase; a quoted single word is just a word.
        keyword = Keyword(value, phrase=len(_tokens(value).words) > 1)
        target = excludes if negative else includes
        if keyword not in target:
            target.append(keyword)
    return includes, excludes


@dataclass(frozen=True)
class _Prepared:
    """A chat's interests with taxonomy expansion and tokenisation done once."""

    interests: Interests
    categories: frozenset[str]
    codes_by_category: Mapping[str, str]


@lru_cache(maxsize=4096)
def _prepare(interests: Interests) -> _Prepared:
    codes_by_category: dict[str, str] = {}
    for code in sorted(interests.categories):
        for covered in _expand(code):
            codes_by_category.setdefault(covered, code)
    return _Prepared(interests, frozenset(codes_by_category), codes_by_category)


@lru_cache(maxsize=4096)
def _expand(code: str) -> frozenset[str]:
    """One subscribed code's categories; many chats share codes, so this is asked often."""
    return get_taxonomy().expand([code])


def _keyword_reasons(paper: Paper, keywords: Iterable[Keyword]) -> list[Reason]:
    title, abstract = _tokens(paper.title), _tokens(paper.abstract)
    reasons: list[Reason] = []
    for keyword in keywords:
        needle = keyword_tokens(keyword)
        if _contains(title, needle):
            reasons.append(Reason(ReasonKind.KEYWORD, keyword.text, "title"))
        elif _contains(abstract, needle):
            reasons.append(Reason(ReasonKind.KEYWORD, keyword.text, "abstract"))
    return reasons


def is_cross_list_for(paper: Paper, interests: Interests) -> bool:
    """A cross-list for this chat: its primary category is not one the chat subscribed to."""
    return _is_cross(paper, _prepare(interests).categories)


def _is_cross(paper: Paper, categories: frozenset[str]) -> bool:
    if not categories:
        return paper.announce_type.is_cross_list
    return paper.primary_category not in categories


def match_paper(paper: Paper, interests: Interests) -> tuple[Reason, ...]:
    """Why this paper belongs in the chat's digest; empty when it does not."""
    prepared = _prepare(interests)
    if paper.announce_type.is_replacement and not interests.include_replacements:
        return ()
    if interests.excludes and _keyword_reasons(paper, interests.excludes):
        return ()
    reasons: list[Reason] = []
    for category in paper.categories:
        code = prepared.codes_by_category.get(category)
        if code is not None:
            reasons.append(Reason(ReasonKind.CATEGORY, code))
            break
    if reasons and not interests.include_cross and is_cross_list_for(paper, interests):
        reasons = []
    authors = [
        Reason(ReasonKind.AUTHOR, followed)
        for followed in interests.authors
        if any(author_matches(followed, name) for name in paper.authors)
    ]
    keyword_hits = _keyword_reasons(paper, interests.keywords) if interests.keywords else []
    if interests.keywords:
        if not keyword_hits and not authors:
            return ()
        if not interests.categories and not reasons:
            # Keyword-only chats watch every fetched paper.
            return (*keyword_hits, *authors)
        if not reasons and not authors:
            return ()
        return (*reasons, *keyword_hits, *authors) if keyword_hits else (*reasons, *authors)
    if not reasons and not authors:
        return ()
    return (*reasons, *authors)


def _rank_key(
    paper: Paper, reasons: tuple[Reason, ...], categories: frozenset[str], position: int
) -> tuple[int, int, int, int]:
    """A digest's order: title hits and followed authors, then abstract hits, then
    category-only (more keyword hits first); new before cross-list before replacement; feed
    order breaks ties."""
    # Title hits and followed authors are tier 0, abstract hits 1, categories 2.
    tier = 2
    keyword_hits = 0
    for reason in reasons:
        if reason.kind is _KEYWORD:
            keyword_hits += 1
            tier = 0 if reason.where == "title" else min(tier, 1)
        elif reason.kind is _AUTHOR:
            tier = 0
    kind = (1 if _is_cross(paper, categories) else 0) + (
        2 if paper.announce_type in _REPLACEMENTS else 0
    )
    return (tier, -keyword_hits, kind, position)


def build_digest(
    papers: Sequence[Paper],
    interests: Interests,
    *,
    announced: date | None,
    cap: int = DEFAULT_CAP,
    sent_versions: Mapping[str, int] | None = None,
    ordering: Ordering | None = None,
) -> Digest:
    """The chat's digest of one announcement: matched, deduplicated, ledger-filtered, ranked.

    `sent_versions` is the ledger (arxiv_id → version already sent): a sent paper is left out,
    unless it is a newer version and the chat asked for replacements. With an `ordering` (the
    chat's trained model) the model orders the matches (bot/rank_order.py).
    """
    return assemble_digest(
        papers,
        interests,
        lambda i: match_paper(papers[i], interests),
        announced=announced,
        cap=cap,
        sent_versions=sent_versions,
        ordering=ordering,
    )


def assemble_digest(
    papers: Sequence[Paper],
    interests: Interests,
    reasons: Callable[[int], tuple[Reason, ...]],
    *,
    announced: date | None,
    cap: int = DEFAULT_CAP,
    sent_versions: Mapping[str, int] | None = None,
    ordering: Ordering | None = None,
) -> Digest:
    """`build_digest` for a caller that already knows why each paper matched.

    `reasons(i)` must equal `match_paper(papers[i], interests)`; it is asked lazily, once at
    most per paper. Papers that cannot match may be left out of `papers` (feed order kept): the
    batch matcher (bot/match_index.py) passes only its matches, and the ledger, deduplication,
    ranking and cap stay here, in one place.
    """
    sent = sent_versions or {}
    categories = _prepare(interests).categories
    seen: set[str] = set()
    keyed: list[tuple[tuple[int, int, int, int], Paper, tuple[Reason, ...]]] = []
    for i, paper in enumerate(papers):
        if paper.arxiv_id in seen:
            continue
        previous = sent.get(paper.arxiv_id)
        if previous is not None and (
            paper.version <= previous or not interests.include_replacements
        ):
            continue
        why = reasons(i)
        if not why:
            continue
        seen.add(paper.arxiv_id)
        if previous is not None and not paper.announce_type.is_replacement:
            # Sent before as an older version: tell the reader this one is new.
            paper = _as_replacement(paper)
        # `rank`'s order; the key is the same before `_relative_to`, which keeps the primary
        # category and whether it is a replacement.
        keyed.append((_rank_key(paper, why, categories, len(keyed)), paper, why))
    if ordering is not None:
        return _ordered(keyed, categories, ordering, announced=announced, cap=cap)
    # Keys are unique (position breaks ties), so the `cap` smallest are the first `cap` of a
    # sort: only the papers shown become entries, however many matched.
    best = heapq.nsmallest(max(cap, 0), keyed, key=itemgetter(0))
    entries = tuple(DigestEntry(_relative_to(paper, categories), why) for _, paper, why in best)
    return Digest(announced=announced, entries=entries, total=len(keyed))


def _ordered(
    keyed: list[tuple[tuple[int, int, int, int], Paper, tuple[Reason, ...]]],
    categories: frozenset[str],
    ordering: Ordering,
    *,
    announced: date | None,
    cap: int,
) -> Digest:
    """The digest in the chat's model's order: every match scored, in the rules' order so that
    it breaks the model's ties; followed authors first (bot/rank_order.py)."""
    keyed.sort(key=itemgetter(0))
    ranked = rank(
        [paper for _, paper, _ in keyed],
        [any(r.kind is _AUTHOR for r in why) for _, _, why in keyed],
        ordering,
        cap,
    )
    entries = tuple(
        DigestEntry(
            _relative_to(keyed[i][1], categories),
            keyed[i][2],
            terms=ranked.terms.get(i, ()),
            exploring=i == ranked.exploring,
        )
        for i in ranked.shown
    )
    return Digest(
        announced=announced,
        entries=entries,
        total=len(keyed),
        below_threshold=ranked.below_threshold,
    )


def _relative_to(paper: Paper, categories: frozenset[str]) -> Paper:
    """The announce type as a chat following `categories` (expanded) sees it: a cross-list when
    its primary category is not one the chat follows (the feed's type is relative to everything
    the bot requested)."""
    if not categories:
        return paper
    cross = paper.primary_category not in categories
    if cross == (paper.announce_type in _CROSS_LISTS):
        return paper
    if paper.announce_type in _REPLACEMENTS:
        kind = AnnounceType.REPLACE_CROSS if cross else AnnounceType.REPLACE
    else:
        kind = AnnounceType.CROSS if cross else AnnounceType.NEW
    return _retyped(paper, kind)


@lru_cache(maxsize=8192)
def _retyped(paper: Paper, kind: AnnounceType) -> Paper:
    """A copy under another announce type, shared by every chat that sees the paper that way
    (a copy costs more time and memory than the cache lookup)."""
    return replace(paper, announce_type=kind)


def _as_replacement(paper: Paper) -> Paper:
    kind = AnnounceType.REPLACE_CROSS if paper.announce_type.is_cross_list else AnnounceType.REPLACE
    return replace(paper, announce_type=kind)

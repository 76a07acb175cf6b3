"""Matching one announcement against every chat at once: the batch form of bot/match.py.

`build_digest` answers one chat; called for every chat it costs chats × papers, and each call
scans every title and abstract once per keyword. Here the papers are indexed once per
announcement (token, category and surname → the set of papers), each distinct keyword, category
code and followed author a chat uses is looked up once for all chats, and a chat's matches come
from a handful of set operations on those answers. Only the papers that match are then turned
into digest entries, by the same code `build_digest` uses (`assemble_digest`).

Paper sets are Python ints used as bitsets (bit i = the i-th paper of the announcement): a
union or intersection over a few thousand papers is one C loop over a few dozen machine words.

The rules are match.py's, restated as set algebra in `_chat_matches` and `_explainer`; the
property test in tests/test_match_index.py holds the two to identical digests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

# The index shares match.py's tokenizer and bot/names.py's name reading on purpose: the same
# folded tokens on both sides are what makes an indexed lookup answer exactly what a scan would.
from bot.match import (
    DEFAULT_CAP,
    _expand,
    _stem,
    _tokens,
    assemble_digest,
    author_matches,
    keyword_in,
    keyword_tokens,
)
from bot.models import Digest, Interests, Keyword, Paper, Reason, ReasonKind
from bot.names import surname_key
from bot.rank_order import Ordering


@dataclass(frozen=True, slots=True)
class _Chat:
    """A chat's interests, with its category codes in the order match.py resolves them."""

    chat_id: int
    interests: Interests
    codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Hits:
    """Where one keyword occurs in the announcement: the papers, and for each the reason
    match_paper gives (found in the title, else in the abstract)."""

    papers: int
    reasons: Mapping[int, Reason]


def _positions(bits: int) -> list[int]:
    """The paper positions in a bitset, ascending (feed order)."""
    found: list[int] = []
    while bits:
        lowest = bits & -bits
        found.append(lowest.bit_length() - 1)
        bits ^= lowest
    return found


@dataclass
class _Announcement:
    """One batch of papers, indexed once; lookups are cached for every chat that repeats them."""

    papers: Sequence[Paper]
    everything: int = 0
    replacements: int = 0
    title_tokens: dict[str, int] = field(default_factory=dict)
    abstract_tokens: dict[str, int] = field(default_factory=dict)
    categories: dict[str, int] = field(default_factory=dict)
    primaries: dict[str, int] = field(default_factory=dict)
    surnames: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)
    listed_twice: int = 0
    _keywords: dict[str, _Hits] = field(default_factory=dict)
    _codes: dict[str, tuple[int, int]] = field(default_factory=dict)
    _authors: dict[str, int] = field(default_factory=dict)
    _reasons: dict[tuple[ReasonKind, str, str], Reason] = field(default_factory=dict)
    _category_reasons: dict[tuple[tuple[str, ...], tuple[str, ...]], tuple[Reason, ...]] = field(
        default_factory=dict
    )

    @classmethod
    def index(cls, papers: Sequence[Paper]) -> _Announcement:
        """Fold and tokenise every title and abstract once (the costly part: LaTeX rendered,
        accents folded) and file each paper under what it contains and who wrote it."""
        batch = cls(papers)
        for i, paper in enumerate(papers):
            bit = 1 << i
            batch.everything |= bit
            batch.ids[paper.arxiv_id] = batch.ids.get(paper.arxiv_id, 0) | bit
            if paper.announce_type.is_replacement:
                batch.replacements |= bit
            for text, table in (
                (paper.title, batch.title_tokens),
                (paper.abstract, batch.abstract_tokens),
            ):
                tokens = _tokens(text)
                for token in {*tokens.words, *tokens.compounds}:
                    table[token] = table.get(token, 0) | bit
            for category in paper.categories:
                batch.categories[category] = batch.categories.get(category, 0) | bit
            if paper.primary_category is not None:
                primary = paper.primary_category
                batch.primaries[primary] = batch.primaries.get(primary, 0) | bit
            for name in paper.authors:
                # Every reading of a name (`Van Meter` or `Meter`) ends in this word.
                key = surname_key(name)
                if key is not None:
                    batch.surnames.setdefault(key, []).append((i, name))
        for bits in batch.ids.values():
            if bits & (bits - 1):
                batch.listed_twice |= bits
        return batch

    def keyword(self, keyword: Keyword) -> _Hits:
        """The papers whose title or abstract contains the keyword, as `keyword_in` decides."""
        found = self._keywords.get(keyword.text)
        if found is not None:
            return found
        needle = keyword_tokens(keyword)
        title: list[int] = []
        abstract: list[int] = []
        if len(needle) == 1:
            # A one-word needle is found exactly when the word (or a hyphen compound) is among
            # the text's tokens, which is what the token tables hold: no scan needed.
            in_title = self.title_tokens.get(needle[0], 0)
            title = _positions(in_title)
            abstract = _positions(self.abstract_tokens.get(needle[0], 0) & ~in_title)
        elif needle:
            # A phrase needs all its words in one field, or its words written as one.
            candidates = self._anywhere(_stem("".join(needle)))
            together = self.everything
            for token in needle:
                together &= self._anywhere(token)
            for i in _positions(candidates | together):
                paper = self.papers[i]
                if keyword_in(keyword, paper.title):
                    title.append(i)
                elif keyword_in(keyword, paper.abstract):
                    abstract.append(i)
        reasons = dict.fromkeys(title, self.reason(ReasonKind.KEYWORD, keyword.text, "title"))
        reasons.update(
            dict.fromkeys(abstract, self.reason(ReasonKind.KEYWORD, keyword.text, "abstract"))
        )
        bits = 0
        for i in reasons:
            bits |= 1 << i
        found = self._keywords[keyword.text] = _Hits(bits, reasons)
        return found

    def _anywhere(self, token: str) -> int:
        return self.title_tokens.get(token, 0) | self.abstract_tokens.get(token, 0)

    def code(self, code: str) -> tuple[int, int]:
        """Papers listed in a subscribed code's categories, and those whose primary is there."""
        found = self._codes.get(code)
        if found is None:
            listed = primary = 0
            for category in _expand(code):
                listed |= self.categories.get(category, 0)
                primary |= self.primaries.get(category, 0)
            found = self._codes[code] = (listed, primary)
        return found

    def author(self, followed: str) -> int:
        """Papers with an author `author_matches` accepts; only same-surname names can."""
        found = self._authors.get(followed)
        if found is None:
            found = 0
            wanted = surname_key(followed)
            if wanted is not None:
                for i, name in self.surnames.get(wanted, ()):
                    if author_matches(followed, name):
                        found |= 1 << i
            self._authors[followed] = found
        return found

    def category_reason(
        self, codes: tuple[str, ...], categories: tuple[str, ...]
    ) -> tuple[Reason, ...]:
        """The category reason match.py gives, alone in a tuple: the first of the paper's
        categories a code covers, named by the first such code in sorted order."""
        key = (codes, categories)
        found = self._category_reasons.get(key)
        if found is None:
            code = next(
                code for category in categories for code in codes if category in _expand(code)
            )
            found = self._category_reasons[key] = (self.reason(ReasonKind.CATEGORY, code),)
        return found

    def reason(self, kind: ReasonKind, value: str, where: str = "") -> Reason:
        """One shared Reason per distinct value: equal to match.py's, a fraction of the memory."""
        key = (kind, value, where)
        found = self._reasons.get(key)
        if found is None:
            found = self._reasons[key] = Reason(kind, value, where)
        return found


class AnnouncementIndex:
    """One announcement's papers, indexed once, through which every chat's interests are run.

    `digests` gives each chat exactly what `build_digest` would, for the cost of indexing the
    papers once, one lookup per distinct keyword, code and author, a few set operations per chat,
    and the work of what is shown. Chats stream through it: nothing per chat is kept.
    """

    def __init__(self, papers: Sequence[Paper]) -> None:
        self.papers = tuple(papers)
        self._batch = _Announcement.index(self.papers)

    def digests(
        self,
        chats: Iterable[tuple[int, Interests]],
        *,
        announced: date | None,
        caps: Mapping[int, int] | int = DEFAULT_CAP,
        ledger: Callable[[int, Sequence[str]], Mapping[str, int]] | None = None,
        orderings: Mapping[int, Ordering] | None = None,
    ) -> Iterator[tuple[int, Digest]]:
        """Each chat's digest, equal to `build_digest(papers, interests, ...)` for it, as
        (chat_id, digest) in the order the chats come.

        Chats without a match get an empty Digest (as `build_digest` gives them), so every chat
        is answered. `caps` is one cap for all or per chat (DEFAULT_CAP when missing).
        `ledger(chat_id, arxiv_ids)` is the chat's ledger (arxiv_id → version sent) for its
        matching papers, asked only for chats with a match: the push's one ledger query per
        digest, whatever the number of papers. A generator, so a caller that queues each digest
        as it comes holds one at a time, not 100,000.
        """
        batch, papers = self._batch, self.papers
        nothing = Digest(announced=announced, entries=(), total=0)
        for chat_id, interests in chats:
            # match.py resolves a category to the first subscribed code, in sorted order.
            chat = _Chat(chat_id, interests, tuple(sorted(interests.categories)))
            matched = _chat_matches(chat, batch)
            if not matched.papers:
                yield chat_id, nothing
                continue
            cap = caps if isinstance(caps, int) else caps.get(chat_id, DEFAULT_CAP)
            sent = None
            if ledger is not None:
                ids = list(dict.fromkeys(papers[i].arxiv_id for i in _positions(matched.papers)))
                sent = ledger(chat_id, ids) or None
            ordering = orderings.get(chat_id) if orderings else None
            # The model scores every match: any of them may come first.
            candidates = (
                matched.papers
                if ordering is not None
                else _could_be_shown(chat, batch, matched, cap, sent)
            )
            positions = _positions(candidates)
            digest = assemble_digest(
                [papers[i] for i in positions],
                interests,
                _explainer(chat, batch, matched, positions),
                announced=announced,
                cap=cap,
                sent_versions=sent,
                ordering=ordering,
            )
            if candidates != matched.papers:
                # The matches left out rank below `cap` others: they count, unseen.
                left_out = matched.papers.bit_count() - candidates.bit_count()
                digest = replace(digest, total=digest.total + left_out)
            yield chat_id, digest


@dataclass(frozen=True, slots=True)
class _Matched:
    """One chat's matches in one announcement, and what they need for reasons and rank."""

    papers: int
    by_category: int
    by_author: int
    own_primary: int


def _chat_matches(chat: _Chat, batch: _Announcement) -> _Matched:
    """The papers `match_paper` accepts for this chat (as bitsets, with the ones that earn a
    category reason, those by followed authors, and those whose primary category it follows).

    A paper matches when a followed author wrote it, or when it is in a subscribed category
    (cross-lists only if the chat takes them) and, if the chat has keywords, one occurs; a
    keyword-only chat needs just the keyword. Replacements need the chat's consent, and an
    exclude keyword always wins.
    """
    interests = chat.interests
    allowed = batch.everything
    if not interests.include_replacements:
        allowed &= ~batch.replacements
    for keyword in interests.excludes:
        allowed &= ~batch.keyword(keyword).papers
    if not allowed:
        return _Matched(0, 0, 0, 0)
    listed = own_primary = 0
    for code in chat.codes:
        in_code, primary_in_code = batch.code(code)
        listed |= in_code
        own_primary |= primary_in_code
    by_category = listed if interests.include_cross else listed & own_primary
    by_author = 0
    for followed in interests.authors:
        by_author |= batch.author(followed)
    if not interests.keywords:
        matches = (by_category | by_author) & allowed
    else:
        by_keyword = 0
        for keyword in interests.keywords:
            by_keyword |= batch.keyword(keyword).papers
        if interests.categories:
            matches = ((by_category & by_keyword) | by_author) & allowed
        else:
            matches = (by_keyword | by_author) & allowed
            by_category = 0
    return _Matched(matches, by_category & matches, by_author & matches, own_primary)


def _could_be_shown(
    chat: _Chat,
    batch: _Announcement,
    matched: _Matched,
    cap: int,
    sent: Mapping[str, int] | None,
) -> int:
    """The matches that can reach the digest's first `cap`: all of them, except for a chat
    without keywords, whose many category-only matches need not all be ranked.

    Those rank by kind (new, cross-list, replacement, replaced cross-list), then feed order
    (`bot.match._rank_key`: no keyword hits, category tier), after every followed author's
    paper; so the first `cap` of each kind in turn are enough. It holds only when every match
    is counted, which the ledger and a paper listed twice would change: then all are ranked.
    """
    everything = matched.papers
    if chat.interests.keywords or everything & batch.listed_twice:
        return everything
    if sent and any(everything & batch.ids.get(arxiv_id, 0) for arxiv_id in sent):
        return everything
    chosen = matched.by_author
    budget = max(cap, 0)
    rest = everything & ~chosen
    cross = ~matched.own_primary
    replacements = batch.replacements
    for kind in (
        rest & ~cross & ~replacements,
        rest & cross & ~replacements,
        rest & ~cross & replacements,
        rest & cross & replacements,
    ):
        if budget <= 0:
            break
        first = _lowest(kind, budget)
        chosen |= first
        budget -= first.bit_count()
    return chosen


def _lowest(bits: int, count: int) -> int:
    """The `count` lowest set bits of `bits` (all of them if fewer)."""
    if bits.bit_count() <= count:
        return bits
    kept = 0
    for _ in range(count):
        lowest = bits & -bits
        kept |= lowest
        bits ^= lowest
    return kept


def _explainer(
    chat: _Chat, batch: _Announcement, matched: _Matched, positions: Sequence[int]
) -> Callable[[int], tuple[Reason, ...]]:
    """`reasons(k)` for the paper at `positions[k]`, in match_paper's order: category, then
    keywords, then authors. Keyword and author hits are found per keyword, not per paper."""
    papers, codes, by_category = batch.papers, chat.codes, matched.by_category
    more: dict[int, tuple[Reason, ...]] = {}
    for keyword in chat.interests.keywords:
        hits = batch.keyword(keyword)
        for i in _positions(hits.papers & matched.papers):
            more[i] = (*more.get(i, ()), hits.reasons[i])
    for followed in chat.interests.authors:
        reason = batch.reason(ReasonKind.AUTHOR, followed)
        for i in _positions(batch.author(followed) & matched.papers):
            more[i] = (*more.get(i, ()), reason)

    def reasons(k: int) -> tuple[Reason, ...]:
        i = positions[k]
        if by_category >> i & 1:
            return batch.category_reason(codes, papers[i].categories) + more.get(i, ())
        return more.get(i, ())

    return reasons

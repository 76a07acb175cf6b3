"""The plain data that travels from the feed to the chat.

Every stage (parse, match, rank, translate, render) takes and returns these frozen dataclasses, so
each stage can be tested with literal values and no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class AnnounceType(StrEnum):
    """How arXiv announced a paper in a category's feed."""

    NEW = "new"
    CROSS = "cross"
    REPLACE = "replace"
    REPLACE_CROSS = "replace-cross"

    @property
    def is_replacement(self) -> bool:
        """A new version of a paper announced earlier."""
        return self in (AnnounceType.REPLACE, AnnounceType.REPLACE_CROSS)

    @property
    def is_cross_list(self) -> bool:
        """Listed here, but the primary category is elsewhere."""
        return self in (AnnounceType.CROSS, AnnounceType.REPLACE_CROSS)


@dataclass(frozen=True)
class Paper:
    """One arXiv item as announced: text as arXiv wrote it (LaTeX kept), prefix stripped.

    `arxiv_id` never carries a version (`2403.11083`, `hep-th/9901001`); `version` is 1 when the
    source does not say.
    """

    arxiv_id: str
    version: int
    title: str
    abstract: str
    authors: tuple[str, ...]
    categories: tuple[str, ...]
    announce_type: AnnounceType = AnnounceType.NEW
    doi: str | None = None
    journal_ref: str | None = None
    comment: str | None = None

    @property
    def primary_category(self) -> str | None:
        """The first listed category is the primary one, as arXiv lists them."""
        return self.categories[0] if self.categories else None

    @property
    def versioned_id(self) -> str:
        """`2403.11083v2`: what people cite."""
        return f"{self.arxiv_id}v{self.version}"

    @property
    def abs_url(self) -> str:
        """The abstract page, without version, so it always shows the latest."""
        return f"https://arxiv.org/abs/{self.arxiv_id}"

    @property
    def pdf_url(self) -> str:
        """The PDF of the latest version."""
        return f"https://arxiv.org/pdf/{self.arxiv_id}"


@dataclass(frozen=True)
class Feed:
    """One parsed announcement feed.

    `papers` empty means arXiv did not announce (weekend, holiday), which is different from an
    announcement in which nothing matched a chat.
    """

    announced: date | None
    papers: tuple[Paper, ...]
    requested: tuple[str, ...] = ()
    title: str = ""
    # Items as served, before unusable or repeated ones were dropped: arXiv cuts a feed at
    # 2,000 items, and this is how a cut feed is recognised.
    entries: int = 0

    @property
    def is_announcement(self) -> bool:
        """True when the feed carries an announcement (at least one item)."""
        return bool(self.papers)


@dataclass(frozen=True)
class Keyword:
    """A word or quoted phrase a chat follows (or excludes)."""

    text: str
    phrase: bool = False


@dataclass(frozen=True)
class Interests:
    """What one chat asked for: the input of matching."""

    categories: frozenset[str] = frozenset()
    keywords: tuple[Keyword, ...] = ()
    excludes: tuple[Keyword, ...] = ()
    authors: tuple[str, ...] = ()
    include_cross: bool = True
    include_replacements: bool = False


class SubscriptionKind(StrEnum):
    """What a chat can follow; the values are what the database stores.

    Defined here, with the other plain data, because storage reads and writes it; the rules
    about subscriptions (limits, who may change them, adding one) live in `bot.subscriptions`.
    """

    CATEGORY = "category"
    KEYWORD = "keyword"
    EXCLUDE = "exclude"
    AUTHOR = "author"


class ReasonKind(StrEnum):
    """Why a paper is in a digest."""

    CATEGORY = "category"
    KEYWORD = "keyword"
    AUTHOR = "author"


@dataclass(frozen=True)
class Reason:
    """One reason a paper matched: `where` is `title` or `abstract` for keywords."""

    kind: ReasonKind
    value: str
    where: str = ""


@dataclass(frozen=True)
class DigestEntry:
    """A matched paper with the reasons it matched, in rank order within its digest.

    When the chat's model ordered the digest, `terms` are the words that raised the paper's
    score most (the "why" a reader can check), and `exploring` marks the one paper a day the
    model is least sure about, shown so that the chat's 👍/👎 on it teach the model and the
    digest does not narrow to what it already shows.
    """

    paper: Paper
    reasons: tuple[Reason, ...]
    terms: tuple[str, ...] = ()
    exploring: bool = False


@dataclass(frozen=True)
class Digest:
    """One chat's digest for one announcement; `entries` is capped, `total` is not.

    `below_threshold` counts the matched papers the chat's ranking threshold hid: counted in
    `total`, never shown, not even by `/digest more`.
    """

    announced: date | None
    entries: tuple[DigestEntry, ...]
    total: int
    below_threshold: int = 0

    @property
    def more(self) -> int:
        """How many matching papers the cap left out (the threshold's are not among them)."""
        return self.total - len(self.entries) - self.below_threshold


@dataclass(frozen=True)
class PaperText:
    """What a reader sees of a paper in the digest language.

    `translated` is False when the fields hold the original text. That is a failure, noted
    "translation unavailable" by the renderers, unless `passthrough` says no translation was
    wanted (an English digest, or TRANSLATOR=none): then the original is simply the text.
    """

    title: str
    abstract: str
    summary: str
    language: str
    translated: bool = True
    summary_original: str = field(default="")
    passthrough: bool = False

    @property
    def translation_failed(self) -> bool:
        """True when a wanted translation failed: the reader is told the original is shown."""
        return not self.translated and not self.passthrough

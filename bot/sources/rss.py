"""Parsing arXiv's announcement feeds into a `Feed`: pure, no I/O.

Two formats are read:
- the current RSS 2.0 feed (rss.arxiv.org, since January 2024): `arxiv:announce_type`,
  `dc:creator`, one `<category>` per category, and a description that starts with
  `arXiv:ID Announce Type: TYPE Abstract:`, which is stripped here;
- the older RSS 1.0/RDF feed: titles such as `Title. (arXiv:1808.09955v1 [cs.LG])`, ending in
  `UPDATED)` for replacements, HTML descriptions and creators, no categories beyond the primary.
The feed's own date is the announcement date. Zero items is a valid feed: arXiv did not announce.
"""

from __future__ import annotations

import html
import logging
import re
import xml.sax
from collections.abc import Sequence
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import feedparser

from bot.models import AnnounceType, Feed, Paper
from bot.names import without_affiliations
from bot.render.latex import latex_to_text
from bot.sources.ids import InvalidArxivId, parse_arxiv_id
from bot.sources.taxonomy import get_taxonomy
from bot.text import normalize_space

# arXiv's RSS lists at most this many items; a feed that long may have been cut short.
FEED_ITEM_CAP = 2000

log = logging.getLogger(__name__)

_PREFIX = re.compile(
    r"^\s*arXiv:(?P<id>\S+)\s+Announce\s+Type:\s*(?P<type>[\w-]+)\s*Abstract:\s*",
    re.IGNORECASE,
)
_OLD_TITLE = re.compile(
    r"^(?P<title>.*?)\.?\s*\(arXiv:(?P<id>\S+?)\s*\[(?P<primary>[^\]]+)\]\s*(?P<updated>UPDATED)?\)\s*$",
    re.DOTALL,
)
_TAG = re.compile(r"<[^>]+>")
_ERROR_TITLE = "feed error for query"


class FeedError(Exception):
    """The response is not a usable arXiv feed (an HTML page, truncated XML, arXiv's error)."""


def _plain(text: str) -> str:
    """HTML (old feeds) to plain text: tags dropped, entities decoded, whitespace collapsed."""
    return normalize_space(html.unescape(_TAG.sub(" ", text)))


def split_authors(creator: str) -> tuple[str, ...]:
    """`A, B (Univ X, City), and C` → (A, B, C): names only, split at the commas outside
    parentheses; the affiliations some feeds add in parentheses are not part of a name (shown,
    they made a 600-character author line); LaTeX accents become letters."""
    names: list[str] = []
    depth = 0
    current: list[str] = []
    for ch in creator:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(depth - 1, 0)
        if ch == "," and depth == 0:
            names.append("".join(current))
            current = []
        else:
            current.append(ch)
    names.append("".join(current))
    cleaned: list[str] = []
    for name in names:
        for part in re.split(r"\s+and\s+(?![^()]*\))", normalize_space(name)):
            part = without_affiliations(re.sub(r"^and\s+", "", part.strip()))
            if part:
                # arXiv writes accents in LaTeX (`Rodr\'iguez`): readers, the export and
                # following an author all want `Rodríguez`.
                cleaned.append(latex_to_text(part) if "\\" in part else part)
    return tuple(cleaned)


def _announced(feed_info: Any) -> date | None:
    """The channel's date in its own time zone (converting to UTC would shift old feeds' day)."""
    for key in ("published", "updated", "date"):
        raw = feed_info.get(key)
        if not raw:
            continue
        try:
            return parsedate_to_datetime(raw).date()
        except (TypeError, ValueError):
            pass
        try:
            return datetime.fromisoformat(raw.replace("Z", "+00:00")).date()
        except ValueError:
            continue
    return None


def _requested_from_title(title: str) -> tuple[str, ...]:
    """Old feeds are titled `cs updates on arXiv.org`: the archive the feed was for."""
    first = title.split(" ", 1)[0] if title else ""
    return tuple(code for code in first.split("+") if code)


def _current_entry(entry: Any) -> Paper:
    description = entry.get("summary", "") or entry.get("description", "")
    match = _PREFIX.match(description)
    abstract = description[match.end() :] if match else description
    raw_id = match["id"] if match else entry.get("id", "") or entry.get("link", "")
    arxiv_id, version = parse_arxiv_id(raw_id)
    kind = (entry.get("arxiv_announce_type") or (match["type"] if match else "new")).lower()
    title = normalize_space(entry.get("title", ""))
    if not title:
        raise ValueError("entry without a title")
    return Paper(
        arxiv_id=arxiv_id,
        version=version or 1,
        title=title,
        abstract=normalize_space(html.unescape(abstract)),
        authors=split_authors(entry.get("author", "")),
        categories=tuple(dict.fromkeys(t["term"] for t in entry.get("tags", []) if t.get("term"))),
        announce_type=AnnounceType(kind)
        if kind in AnnounceType._value2member_map_
        else AnnounceType.NEW,
        doi=entry.get("arxiv_doi") or None,
        journal_ref=entry.get("arxiv_journal_reference") or entry.get("arxiv_journal_ref") or None,
    )


def _old_entry(entry: Any, covered: frozenset[str]) -> Paper:
    match = _OLD_TITLE.match(normalize_space(entry.get("title", "")))
    if not match:
        raise ValueError("title without the (arXiv:ID [category]) suffix")
    arxiv_id, version = parse_arxiv_id(match["id"])
    primary = match["primary"].strip()
    here = primary in covered
    if match["updated"]:
        kind = AnnounceType.REPLACE if here else AnnounceType.REPLACE_CROSS
    else:
        kind = AnnounceType.NEW if here else AnnounceType.CROSS
    return Paper(
        arxiv_id=arxiv_id,
        version=version or 1,
        title=normalize_space(match["title"]),
        abstract=_plain(entry.get("summary", "") or entry.get("description", "")),
        authors=split_authors(_plain(entry.get("author", ""))),
        categories=(primary,),
        announce_type=kind,
    )


def _is_old_format(version: str, entries: Sequence[Any]) -> bool:
    """The RDF feeds arXiv served until 2024 (titles `Title. (arXiv:ID [cat])`), or the current
    format. A current feed can hold a paper whose own title cites `(arXiv:…)` (2026-01-01 had
    one): taken for an old feed, all 562 papers of that day were skipped. The current format's
    descriptions start "arXiv:ID Announce Type:", which decides it."""
    if version == "rss10":
        return True
    if any(_PREFIX.match(e.get("summary", "") or e.get("description", "")) for e in entries):
        return False
    return any(_OLD_TITLE.match(normalize_space(e.get("title", ""))) for e in entries)


def parse_feed(content: bytes, requested: Sequence[str] = ()) -> Feed:
    """Parse an arXiv RSS/RDF document; raises FeedError when it is not a complete arXiv feed."""
    # arXiv's descriptions are text, not HTML: feedparser's sanitiser would take
    # `$1<p\leq q$ … $p > q$` for a tag and drop everything between `<` and `>`. Markup is made
    # inert where the text is shown (Telegram HTML is escaped, the Markdown export escaped).
    parsed = feedparser.parse(content, sanitize_html=False, resolve_relative_uris=False)
    exception = parsed.get("bozo_exception")
    if parsed.get("bozo") and isinstance(exception, xml.sax.SAXException):
        raise FeedError(f"malformed feed XML: {exception}")
    version = parsed.get("version", "")
    title = normalize_space(parsed.feed.get("title", ""))
    if title.casefold().startswith(_ERROR_TITLE):
        detail = normalize_space(_plain(parsed.feed.get("description", "") or title))
        raise FeedError(f"arXiv rejected the feed request: {detail}")
    if not version or not version.startswith(("rss", "atom")):
        raise FeedError("the response is not an RSS feed (an HTML page or something else)")
    old_format = _is_old_format(version, parsed.entries)
    codes = tuple(requested) or _requested_from_title(title)
    covered = get_taxonomy().expand(codes) if codes else frozenset()
    papers: list[Paper] = []
    seen: set[str] = set()
    skipped = 0
    for entry in parsed.entries:
        try:
            paper = _old_entry(entry, covered) if old_format else _current_entry(entry)
        except (InvalidArxivId, ValueError, KeyError):
            skipped += 1
            continue
        if paper.arxiv_id in seen:
            continue
        seen.add(paper.arxiv_id)
        papers.append(paper)
    if skipped:
        log.warning("feed %r: skipped %d entries without a usable id or title", title, skipped)
    return Feed(
        announced=_announced(parsed.feed),
        papers=tuple(papers),
        requested=tuple(codes),
        title=title,
        entries=len(parsed.entries),
    )
